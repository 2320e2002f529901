"""What the target wandb accepts, for the rules whose verdict depends on the version (WB306, WB307,
WB308).

Resolved ONCE per run by the front end (``resolve``), before any rule runs, and handed to every
rule in ``Settings.wandb``; rules never look at the machine. Decided in this order:

1. an explicit target version (``--wandb-target-version``, or ``wandb-target-version`` in the
   configuration) wins, with the facts known for that version;
2. else the **installed** wandb, without importing it: its version from the package metadata
   and the accepted ``console`` / ``reinit`` values read from the source of its ``Settings``;
3. else wandb 0.31.0, the version the project's facts were measured on (docs/facts.md).

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

#: kept for readers of 0.1's names
CONSOLE_0_31 = CONSOLE_VALUES
REINIT_STRINGS = REINIT_VALUES
DEFAULT_VERSION = MEASURED_ON

_VERSION = re.compile(r"\d+(\.\d+){0,2}([.-]?(a|b|rc|dev|post)\d*)*")


class BadTargetVersion(ValueError):
    """A target version that is not a version: the run stops with exit code 2."""


@dataclass(frozen=True)
class WandbFacts:
    version: tuple[int, ...]
    console_values: tuple[str, ...]
    reinit_strings: tuple[str, ...]  # empty: reinit is a plain bool in this version
    source: str  # how it was decided, for messages and docs

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))

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


def resolve(target_version: object = None) -> WandbFacts:
    """The facts every rule of this run gets: an explicit target version wins, else the
    installed wandb, else the pinned 0.31.0. Raises ``BadTargetVersion`` for a bad target."""
    target = check_target_version(target_version)
    if target is not None:
        return for_version(target, source=f"wandb-target-version {target}")
    return installed() or PINNED
