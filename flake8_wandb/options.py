"""The option schema, written once: every setting both front ends take, with its type, default
and help. flake8's options (plugin.py), wandb-fix's flags and ``[tool.flake8-wandb]`` keys
(cli.py) and the README's table of options are rendered from :data:`OPTIONS`.

Imported by the flake8 plugin on every run: nothing heavy here (no engine, no rules).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .defaults import DEFAULT_STEP_NAMES

CONFIG_TABLE = "flake8-wandb"


@dataclass(frozen=True)
class Option:
    """One setting. ``name`` is the flag (``--name``) and the ``[tool.flake8-wandb]`` key."""

    name: str
    kind: str  # "list" (comma-separated on the command line, a list in TOML), "str" or "bool"
    help: str
    #: what it sets, for the README's table
    what: str
    #: the README's default column
    shown_default: str
    default: Any = None
    #: older spellings wandb-fix still reads, as a flag and as a key
    aliases: tuple[str, ...] = ()
    #: "plugin": the plugin registers it with flake8; "flake8": flake8 has it itself; "": none
    flake8: str = ""
    #: a key of ``[tool.flake8-wandb]`` (else a command-line flag only)
    config: bool = True
    #: how its value is checked: "selector" (codes, prefixes or names; never empty),
    #: "step-names" (Python names), "version" (a wandb version)
    check: str = ""
    metavar: str | None = None
    #: an example value for the README
    example: tuple[str, ...] = ()
    #: wandb-fix takes it (a flag, and a key when ``config``)
    fix: bool = True

    @property
    def dest(self) -> str:
        """The attribute on wandb-fix's parsed arguments (0.1's names are kept there)."""
        return _DESTS.get(self.name, self.name.replace("-", "_"))

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def keys(self) -> tuple[str, ...]:
        """The ``[tool.flake8-wandb]`` keys that set it (the first is the one to write)."""
        return (self.name, *self.aliases) if self.config else ()

    @property
    def is_list(self) -> bool:
        return self.kind == "list"


_DESTS = {"wandb-step-names": "step_names", "wandb-target-version": "target_wandb_version"}

_SELECTOR = "codes, prefixes or names"

OPTIONS: tuple[Option, ...] = (
    Option(
        "select",
        "list",
        f"{_SELECTOR} to run instead of the defaults",
        what="rules to run instead of the defaults",
        shown_default="the default rules",
        flake8="flake8",
        check="selector",
        example=("WB1",),
    ),
    Option(
        "extend-select",
        "list",
        f"{_SELECTOR} to add (opt-in rules)",
        what="rules to add (the opt-in conventions)",
        shown_default="none",
        flake8="flake8",
        check="selector",
        example=("WB6",),
    ),
    Option(
        "ignore",
        "list",
        f"{_SELECTOR} to skip",
        what="rules to skip",
        shown_default="none",
        flake8="flake8",
        check="selector",
        example=("WB501",),
    ),
    Option(
        "extend-ignore",
        "list",
        f"more {_SELECTOR} to skip",
        what="more rules to skip",
        shown_default="none",
        flake8="flake8",
        check="selector",
        example=("WB603",),
    ),
    Option(
        "exclude",
        "list",
        "comma-separated glob patterns of paths to skip",
        what="paths to skip (glob patterns)",
        shown_default="the default excludes",
        flake8="flake8",
        example=("legacy/", "*_pb2.py"),
    ),
    Option(
        "extend-exclude",
        "list",
        "more patterns to skip",
        what="more paths to skip",
        shown_default="none",
        flake8="flake8",
        example=("scratch/",),
    ),
    Option(
        "wandb-step-names",
        "list",
        "comma-separated names the WB101 fix may pass as step=",
        what="names the WB101 fix may pass as `step=`",
        shown_default=f"`{', '.join(DEFAULT_STEP_NAMES)}`",
        default=DEFAULT_STEP_NAMES,
        aliases=("step-names",),
        flake8="plugin",
        check="step-names",
        metavar="NAMES",
        example=("a", "b"),
    ),
    Option(
        "wandb-target-version",
        "str",
        "wandb version WB306/WB307 target; wins over the project's declared wandb requirement "
        "and the installed wandb (default: the declared requirement, else the installed, else "
        "0.31.0)",
        what="the wandb version WB306/WB307/WB308 target",
        shown_default="the wandb requirement the project declares, else the installed wandb, "
        "else 0.31.0",
        aliases=("target-wandb-version",),
        flake8="plugin",
        check="version",
        metavar="VERSION",
        example=("0.31.0",),
    ),
    Option(
        "wandb-no-cache",
        "bool",
        "do not read or write the persistent cache (.flake8-wandb-cache/ in the project root)",
        what="skip the plugin's persistent cache",
        shown_default="false (the cache is used)",
        default=False,
        flake8="plugin",
        config=False,
        fix=False,
    ),
    Option(
        "unsafe-fixes",
        "bool",
        "also apply fixes that change behaviour",
        what="also write the fixes that change behaviour",
        shown_default="false",
        default=False,
    ),
    Option(
        "no-gitignore",
        "bool",
        "do not skip what .gitignore ignores",
        what="also check what `.gitignore` ignores",
        shown_default="false",
        default=False,
        config=False,
    ),
)

BY_NAME = {option.name: option for option in OPTIONS}

#: every ``[tool.flake8-wandb]`` key
KNOWN_KEYS = frozenset(key for option in OPTIONS for key in option.keys)


def given_key(option: Option, config: dict[str, Any]) -> str | None:
    """The key of ``config`` that sets ``option`` (its first spelling there), None if none."""
    return next((key for key in option.keys if key in config), None)


# -- flake8 ----------------------------------------------------------------------------------------


def add_flake8_options(parser: Any) -> None:
    """Register with flake8 the options the plugin adds (flake8 has the others itself)."""
    for option in OPTIONS:
        if option.flake8 != "plugin":
            continue
        kwargs: dict[str, Any] = {"parse_from_config": True}
        if option.kind == "bool":
            kwargs["action"] = "store_true"
            parser.add_option(option.flag, help=option.help[:1].upper() + option.help[1:], **kwargs)
            continue
        if option.is_list:
            kwargs["default"] = ",".join(option.default or ())
            kwargs["comma_separated_list"] = True
            help = f"{option.help} (default: %(default)s)"
        else:
            kwargs["default"] = option.default
            help = option.help
        parser.add_option(option.flag, help=help[:1].upper() + help[1:], **kwargs)


# -- wandb-fix -------------------------------------------------------------------------------------


def add_arguments(parser: Any) -> None:
    """Add wandb-fix's flags for every option to an ``argparse`` parser (0.1's spellings too)."""
    for option in OPTIONS:
        if not option.fix:
            continue
        flags = [option.flag, *(f"--{alias}" for alias in option.aliases)]
        if option.kind == "bool":
            parser.add_argument(*flags, action="store_true", help=option.help)
            continue
        kwargs: dict[str, Any] = {"help": option.help}
        if option.dest != option.name.replace("-", "_"):
            kwargs["dest"] = option.dest
        if option.metavar:
            kwargs["metavar"] = option.metavar
        parser.add_argument(*flags, **kwargs)


# -- the README ------------------------------------------------------------------------------------


def _toml(option: Option, key: str) -> str:
    if option.kind == "bool":
        return f"`{key} = true`"
    if option.is_list:
        values = ", ".join(f'"{v}"' for v in option.example)
        return f"`{key} = [{values}]`"
    return f'`{key} = "{option.example[0]}"`'


def _flake8(option: Option) -> str:
    if not option.flake8:
        return "—"
    if option.kind == "bool":
        return f"`{option.flag}`, `{option.name} = true`"
    value = ", ".join(option.example) if option.is_list else option.example[0]
    cell = f"`{option.flag}`, `{option.name} = {value}`"
    return cell + (" (flake8's own)" if option.flake8 == "flake8" else "")


def _wandb_fix(option: Option) -> str:
    if not option.fix:
        return "—"
    if option.kind == "bool":
        flag = f"`{option.flag}`"
    else:
        flag = f"`{option.flag}={','.join(option.example)}`"
    return f"{flag}, {_toml(option, option.name)}" if option.config else flag


def markdown_table(options: Sequence[Option] = OPTIONS) -> str:
    """The README's table of options."""
    head = (
        "| option | flake8 (command line, or `[flake8]` in `setup.cfg`, `tox.ini`, `.flake8`) "
        "| wandb-fix (command line, or `[tool.flake8-wandb]` in `pyproject.toml`) | default |\n"
        "| --- | --- | --- | --- |\n"
    )
    rows = [f"| {o.what} | {_flake8(o)} | {_wandb_fix(o)} | {o.shown_default} |\n" for o in options]
    return head + "".join(rows)
