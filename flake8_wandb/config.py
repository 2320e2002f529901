"""wandb-fix's settings: the command line and ``[tool.flake8-wandb]`` read into
:class:`pipeline.Options`, every value checked against the option schema (options.py)."""

from __future__ import annotations

import argparse
import keyword
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import dependencies, versions
from .options import BY_NAME, CONFIG_TABLE, KNOWN_KEYS, OPTIONS, given_key
from .pipeline import Mode, Options
from .rules import UnknownRule


class ConfigError(Exception):
    """A bad option or configuration value: one line naming the file, the key and what was
    expected; exit 2."""


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10
        import tomli as tomllib
    with open(path, "rb") as f:
        return tomllib.load(f)


def _our_table(path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: [tool]: expected a table, got {tool!r}")
    table = tool.get(CONFIG_TABLE)
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{CONFIG_TABLE}]: expected a table, got {table!r}")
    return table


def find_config(
    start: Path, warnings_out: list[str] | None = None
) -> tuple[Path | None, dict[str, Any]]:
    """The closest ``pyproject.toml`` above ``start`` with a ``[tool.flake8-wandb]`` table. A
    pyproject.toml that is not valid TOML is an error when it mentions flake8-wandb (it is
    probably ours) and is passed over otherwise (another project's broken file must not stop
    the run), with a warning naming it."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if not candidate.is_file():
            continue
        try:
            data = _load_toml(candidate)
        except ValueError as exc:  # tomllib.TOMLDecodeError
            try:
                ours = CONFIG_TABLE in candidate.read_text(encoding="utf-8", errors="replace")
            except OSError:
                ours = False
            if ours:
                raise ConfigError(f"{candidate}: invalid TOML: {exc}") from None
            if warnings_out is not None:
                warnings_out.append(
                    f"{candidate}: invalid TOML, passed over (no [tool.{CONFIG_TABLE}] in it)"
                )
            continue
        table = _our_table(candidate, data)
        if table is not None:
            return candidate, table
    return None, {}


def validate_config(path: Path | None, config: dict[str, Any]) -> None:
    """Every value of ``[tool.flake8-wandb]`` type-checked once, before anything runs."""
    where = f"{path}: [tool.{CONFIG_TABLE}]" if path else f"[tool.{CONFIG_TABLE}]"
    unknown = set(config) - KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
    for option in OPTIONS:
        given = [key for key in option.keys if key in config]
        if len(given) > 1 and option.check == "version":
            raise ConfigError(f"{where}: {' and '.join(given)} both given; keep one")
        for key in given:
            value = config[key]
            if option.is_list:
                items = value.split(",") if isinstance(value, str) else value
                if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
                    raise ConfigError(f"{where} {key}: expected a list of strings, got {value!r}")
                if option.check == "step-names":
                    _check_step_names(f"{where} {key}", items)
                elif option.check == "selector" and not as_tuple(items):
                    raise ConfigError(
                        f"{where} {key}: expected codes, prefixes or names, got an empty value"
                    )
            elif option.kind == "bool" and not isinstance(value, bool):
                raise ConfigError(f"{where} {key}: expected true or false, got {value!r}")
            elif option.check == "version":
                versions.check_target_version(value, f"{where} {key}")  # BadTargetVersion


def _check_step_names(where: str, names: Sequence[str]) -> None:
    bad = [n.strip() for n in names if not n.strip().isidentifier() or keyword.iskeyword(n.strip())]
    if bad:
        raise ConfigError(f"{where}: expected Python names, got {', '.join(map(repr, bad))}")


def validate_args(args: argparse.Namespace) -> None:
    """Command-line values that parse but make no sense: an empty selector, junk step names."""
    for option in OPTIONS:
        value = getattr(args, option.dest, None)
        if option.check == "selector" and value is not None and not as_tuple(value):
            raise ConfigError(
                f"{option.flag}: expected codes, prefixes or names, got an empty value"
            )
        if option.check == "step-names" and value is not None:
            if not as_tuple(value):
                raise ConfigError(f"{option.flag}: expected Python names, got an empty value")
            _check_step_names(option.flag, value.split(","))
        if option.check == "version":
            versions.check_target_version(value, option.flag)


def load_options(args: argparse.Namespace, warnings_out: list[str] | None = None) -> Options:
    """Options from the command line and the config file, every value checked. Raises
    ConfigError with one line that names the file, the key and what was expected."""
    try:
        if args.config:
            given = Path(args.config)
            try:
                data = _load_toml(given)
            except ValueError as exc:
                raise ConfigError(f"{given}: invalid TOML: {exc}") from None
            config = _our_table(given, data) or {}
            config_path: Path | None = given
        else:
            config_path, config = find_config(Path.cwd(), warnings_out)
        validate_config(config_path, config)
        validate_args(args)
        options = options_from(args, config)
        options.engine()  # validates the selectors before any file is read
    except (UnknownRule, OSError, ValueError) as exc:
        raise ConfigError(str(exc)) from None
    return options


def as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(str(v).strip() for v in value if str(v).strip())


def project_root(paths: Sequence[str] | None) -> Path | None:
    """The project whose declared wandb is the target: the one holding the first path."""
    first = Path(paths[0]) if paths else Path.cwd()
    return dependencies.find_root(first if first.exists() else Path.cwd())


def setting(args: argparse.Namespace, config: dict[str, Any], name: str) -> Any:
    """An option's value: the command line's, else the config's (under any of its keys)."""
    option = BY_NAME[name]
    value = getattr(args, option.dest, None)
    if option.kind == "bool":
        key = given_key(option, config)
        return bool(value) or bool(config.get(key, False) if key else False)
    if value is not None:
        return as_tuple(value) if option.is_list else value
    key = given_key(option, config)
    value = config.get(key) if key else None
    return as_tuple(value) if option.is_list else value


def options_from(args: argparse.Namespace, config: dict[str, Any]) -> Options:
    unknown = set(config) - KNOWN_KEYS
    if unknown:
        raise UnknownRule(f"unknown key(s) in [tool.{CONFIG_TABLE}]: {', '.join(sorted(unknown))}")
    mode = (
        Mode.APPLY
        if args.apply
        else Mode.CHECK
        if args.check
        else Mode.ADD_NOQA
        if args.add_noqa
        else Mode.DIFF
    )
    return Options(
        select=setting(args, config, "select"),
        ignore=setting(args, config, "ignore"),
        extend_select=setting(args, config, "extend-select"),
        extend_ignore=setting(args, config, "extend-ignore"),
        exclude=setting(args, config, "exclude") + setting(args, config, "extend-exclude"),
        step_names=setting(args, config, "wandb-step-names") or BY_NAME["wandb-step-names"].default,
        # once per run, before any rule runs; the project of the first path declares its wandb
        wandb=versions.resolve(
            setting(args, config, "wandb-target-version"),
            project_root(getattr(args, "paths", None)),
        ),
        mode=mode,
        unsafe=setting(args, config, "unsafe-fixes"),
    )
