"""What the target wandb accepts, for the rules whose verdict depends on the version (WB306, WB307,
WB308).

Resolved ONCE per run by the front end (``resolve``), before any rule runs, and handed to every
rule in ``Settings.wandb``; rules never look at the machine. Decided in this order:

1. an explicit target version (``--wandb-target-version``, or ``wandb-target-version`` in the
   configuration) wins, with the facts known for that version;
2. else the wandb requirement the **project declares** (``dependencies.wandb_requirements``:
   pyproject ``[project]`` and optional dependencies, dependency groups, Poetry,
   ``requirements*.txt``, ``setup.cfg``, ``setup.py``, ``environment.yml``): every version it
   allows is a target, so a fact or a fix must hold for all of them (``wandb>=0.13.11`` allows
   0.18.7, whose ``reinit`` is still a bool);
3. else the **installed** wandb, without importing it: its version from the package metadata
   and the accepted ``console`` / ``reinit`` values read from the source of its ``Settings``;
4. else wandb 0.31.0, the version the project's facts were measured on (docs/facts.md).

``PINNED`` (wandb 0.31.0) is the default of ``Settings``: the rule pages are generated with it,
so they are the same on every machine.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# the one source of these values, shared with the runtime shim (which never imports the linter)
from wandb_runtime.api_changes import REMOVED_APIS, RemovedApi
from wandb_runtime.facts import CONSOLE_VALUES, MEASURED_ON, REINIT_STRINGS_SINCE, REINIT_VALUES

#: the string value of ``reinit`` that means what each boolean meant before the strings
REINIT_FOR = {True: "finish_previous", False: "return_previous"}

#: kept for readers of 0.1's names
CONSOLE_0_31 = CONSOLE_VALUES
REINIT_STRINGS = REINIT_VALUES
DEFAULT_VERSION = MEASURED_ON

_VERSION = re.compile(r"\d+(\.\d+){0,2}([.-]?(a|b|rc|dev|post)\d*)*")


class BadTargetVersion(ValueError):
    """A target version that is not a version: the run stops with exit code 2."""


@dataclass(frozen=True)
class WandbFacts:
    """What every targeted wandb accepts. One version (explicit, installed, pinned), or the
    range a declared requirement allows: ``version`` is then its oldest version (``(0,)`` when
    it names no lower bound) and ``newest`` its newest (None: no upper bound)."""

    version: tuple[int, ...]
    console_values: tuple[str, ...]
    reinit_strings: tuple[str, ...]  # empty: some targeted version takes reinit as a bool only
    source: str  # how it was decided, for messages and docs
    newest: tuple[int, ...] | None = ()  # () : the same as ``version``
    requirement: str = ""  # the declared requirement, ``wandb>=0.13.11``

    @property
    def version_text(self) -> str:
        """``0.31.0`` for one version, ``>=0.13.11`` for a declared range ("wandb {version}")."""
        if self.requirement and self.newest != self.version:
            return self.requirement[len("wandb") :].strip()
        return ".".join(map(str, self.version))

    @property
    def reinit_strings_somewhere(self) -> bool:
        """Some targeted version takes the string values of ``reinit``."""
        newest = self.version if self.newest == () else self.newest
        return newest is None or tuple(newest) >= REINIT_STRINGS_SINCE

    def removed_apis(self) -> tuple[RemovedApi, ...]:
        """The APIs this wandb no longer accepts or has (or that do nothing here): the entries
        of ``wandb_runtime.api_changes.REMOVED_APIS`` whose ``since`` it has reached (WB308)."""
        return _removed_since(self.version)


@lru_cache(maxsize=8)
def _removed_since(version: tuple[int, ...]) -> tuple[RemovedApi, ...]:
    padded = (tuple(version) + (0, 0, 0))[:3]  # "0.29" is 0.29.0
    return tuple(api for api in REMOVED_APIS if padded >= api.since)


def parse_version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def check_target_version(value: object, where: str = "wandb-target-version") -> str | None:
    """The target version as a clean string, ``None`` when unset; raises ``BadTargetVersion``
    (one line naming the setting and what was expected) for anything that is not a version."""
    if value is None:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    if not isinstance(value, str):
        raise BadTargetVersion(
            f'{where}: expected a version string such as "0.31.0", got {type(value).__name__} {value!r}'
        )
    text = value.strip()
    if not _VERSION.fullmatch(text):
        raise BadTargetVersion(f'{where}: expected a version such as "0.31.0", got {value!r}')
    return text


def for_version(version: str, source: str) -> WandbFacts:
    parsed = parse_version(version)
    reinit = REINIT_VALUES if parsed >= REINIT_STRINGS_SINCE else ()
    return WandbFacts(parsed, CONSOLE_VALUES, reinit, source)


_CLAUSE = re.compile(r"\s*(===|==|~=|!=|<=|>=|<|>|\^|~|=)?\s*([0-9][0-9A-Za-z.*+!-]*)\s*")
_UNBOUNDED = 10**6


def requirement_range(spec: str) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """The oldest and newest version a version specifier allows (PEP 440, Poetry's ``^``/``~``,
    conda's ``=``): ``>=0.13.11`` -> ``((0, 13, 11), None)``; ``==0.18.7`` -> both 0.18.7;
    no lower bound -> ``(0,)``. ``!=`` and pre-release details are ignored (a wider range:
    the careful reading)."""
    oldest: tuple[int, ...] = (0,)
    newest: tuple[int, ...] | None = None

    def cap(v: tuple[int, ...]) -> None:
        nonlocal newest
        newest = v if newest is None else min(newest, v)

    for clause in re.split(r"[,|]|\s+and\s+", spec):
        m = _CLAUSE.fullmatch(clause)
        if not m or not clause.strip():
            continue
        op, text = m.group(1) or "==", m.group(2)
        wildcard = text.endswith("*") or op == "="
        v = parse_version(text)
        if not v:
            continue
        if op in ("==", "===", "="):
            oldest = max(oldest, v)
            cap(v + (_UNBOUNDED,) if wildcard or len(v) < 3 else v)
        elif op in (">=", ">", "^", "~", "~="):
            oldest = max(oldest, v)
            if op == "^":
                first = next((i for i, n in enumerate(v) if n), len(v) - 1)
                cap(v[:first] + (v[first] + 1,))
            elif op in ("~", "~="):
                keep = max(1, len(v) - 1) if op == "~=" else min(2, len(v))
                cap(v[: keep - 1] + (v[keep - 1] + 1,) if keep > 1 else (v[0] + 1,))
        elif op in ("<", "<="):
            cap(v)
    return oldest, newest


def for_requirements(found: list[tuple[str, str]]) -> WandbFacts | None:
    """The facts that hold for every version the project's wandb requirements allow
    (``found``: where each is declared, and its specifier); None when it declares none."""
    if not found:
        return None
    ranges = [requirement_range(spec) for _, spec in found]
    oldest = min(r[0] for r in ranges)
    newests = [r[1] for r in ranges]
    newest = None if any(n is None for n in newests) else max(n for n in newests if n)
    where, spec = found[0]
    requirement = "wandb" + (spec.strip() or " (any version)")
    reinit = REINIT_VALUES if oldest >= REINIT_STRINGS_SINCE else ()
    return WandbFacts(
        oldest,
        CONSOLE_VALUES,
        reinit,
        source=f"{requirement}, declared in {where}",
        newest=newest,
        requirement=requirement,
    )


#: the facts of wandb 0.31.0 as measured (docs/facts.md): the default, and what the docs use
PINNED = for_version(MEASURED_ON, source=f"wandb {MEASURED_ON} (pinned)")


def _literal_values(source: str, field: str) -> tuple[str, ...]:
    m = re.search(rf"^\s+{field}:\s*\(?\s*Literal\[([^\]]*)\]", source, re.MULTILINE)
    return tuple(re.findall(r"\"([^\"]+)\"", m.group(1))) if m else ()


@lru_cache(maxsize=1)
def installed() -> WandbFacts | None:
    """The installed wandb's facts, read without importing it; ``None`` without wandb."""
    try:
        version = importlib.metadata.version("wandb")
        spec = importlib.util.find_spec("wandb")  # finds the package without importing it
    except (importlib.metadata.PackageNotFoundError, ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    console: tuple[str, ...] = ()
    reinit: tuple[str, ...] = ()
    settings = Path(list(spec.submodule_search_locations)[0]) / "sdk" / "wandb_settings.py"
    try:
        text = settings.read_text(encoding="utf-8")
        console = _literal_values(text, "console")
        reinit = _literal_values(text, "reinit")
    except (OSError, UnicodeDecodeError):
        pass
    facts = for_version(version, source=f"installed wandb {version}")
    return WandbFacts(
        facts.version,
        console or facts.console_values,
        reinit or facts.reinit_strings,
        facts.source,
    )


def resolve(target_version: object = None, project: Path | None = None) -> WandbFacts:
    """The facts every rule of this run gets: an explicit target version wins, else the wandb
    requirement the project at ``project`` declares, else the installed wandb, else the pinned
    0.31.0. Raises ``BadTargetVersion`` for a bad target."""
    target = check_target_version(target_version)
    if target is not None:
        return for_version(target, source=f"wandb-target-version {target}")
    if project is not None:
        from .dependencies import wandb_requirements  # it imports the engine, which imports us

        declared = for_requirements(wandb_requirements(project))
        if declared is not None:
            return declared
    return installed() or PINNED
