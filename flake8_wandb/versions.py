"""What the user's wandb accepts, for the fixes whose target depends on the version.

Decided, in this order:

1. the **installed** wandb, without importing it: its version from the package metadata and
   the accepted ``console`` / ``reinit`` values read from the source of its ``Settings``;
2. else the ``target-wandb-version`` setting (``--wandb-target-version`` for flake8,
   ``target-wandb-version`` in ``[tool.flake8-wandb]``), with the values known for it;
3. else wandb 0.31, the version the project's facts were measured on.

Looked up lazily, once per process, only when a file holds ``reinit=`` or ``console``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Tuple

#: wandb 0.31's accepted console values (FACTS.md): ``wrap_pty`` is not one of them
CONSOLE_0_31 = ("auto", "off", "wrap", "redirect", "wrap_raw", "wrap_emu")
REINIT_STRINGS = ("default", "return_previous", "finish_previous", "create_new")
#: the first release whose ``reinit`` takes the string values (booleans deprecated)
REINIT_STRINGS_SINCE = (0, 19, 10)
DEFAULT_VERSION = "0.31.0"


@dataclass(frozen=True)
class WandbFacts:
    version: Tuple[int, ...]
    console_values: Tuple[str, ...]
    reinit_strings: Tuple[str, ...]  # empty: reinit is a plain bool in this version
    source: str  # how it was decided, for messages and docs


def parse_version(text: str) -> Tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def _literal_values(source: str, field: str) -> Tuple[str, ...]:
    m = re.search(rf"^\s+{field}:\s*\(?\s*Literal\[([^\]]*)\]", source, re.MULTILINE)
    return tuple(re.findall(r"\"([^\"]+)\"", m.group(1))) if m else ()


@lru_cache(maxsize=1)
def installed() -> Optional[WandbFacts]:
    try:
        version = importlib.metadata.version("wandb")
        spec = importlib.util.find_spec("wandb")  # finds the package without importing it
    except (importlib.metadata.PackageNotFoundError, ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    console: Tuple[str, ...] = ()
    reinit: Tuple[str, ...] = ()
    settings = Path(list(spec.submodule_search_locations)[0]) / "sdk" / "wandb_settings.py"
    try:
        text = settings.read_text(encoding="utf-8")
        console = _literal_values(text, "console")
        reinit = _literal_values(text, "reinit")
    except OSError:
        pass
    facts = for_version(version, source=f"installed wandb {version}")
    return WandbFacts(
        facts.version,
        console or facts.console_values,
        reinit or facts.reinit_strings,
        facts.source,
    )


def for_version(version: str, source: str) -> WandbFacts:
    parsed = parse_version(version)
    reinit = REINIT_STRINGS if parsed >= REINIT_STRINGS_SINCE else ()
    return WandbFacts(parsed, CONSOLE_0_31, reinit, source)


def wandb_facts(target_version: Optional[str]) -> WandbFacts:
    found = installed()
    if found is not None:
        return found
    if target_version:
        return for_version(target_version, source=f"target-wandb-version {target_version}")
    return for_version(DEFAULT_VERSION, source=f"wandb {DEFAULT_VERSION} (default)")
