"""Shared test helpers: running the real flake8 and the engine on real text."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from flake8_wandb.engine import Engine, Message, Settings
from flake8_wandb.rules import ALL_RULES


@dataclass(frozen=True)
class Always(Message):
    """The message of the tests' own rules."""

    template: ClassVar[str] = "always"


MARK = re.compile(r"#\s*(WB\d{3})\b")


def expected_lines(source: str, code: str) -> list[int]:
    return [i for i, line in enumerate(source.splitlines(), 1) if code in MARK.findall(line)]


#: a pinned marker, ``# WB101:5 wandb log call without explicit step=; ...``: the code, the
#: 1-based column (as flake8 and wandb-fix print it) and the message, which ends at the next
#: marker or at the end of the line; a message ending in ``...`` is a prefix of the real one
PIN = re.compile(r"#\s*(WB\d{3})\b(?::(\d+))?[ \t]*(.*?)[ \t]*(?=#\s*WB\d{3}\b|$)")


@dataclass(frozen=True)
class Expected:
    line: int
    col: int | None  # 1-based; None: the marker pins the line only
    message: str  # "" when the marker pins no message

    def matches(self, line: int, col: int, message: str) -> bool:
        """``col`` 1-based."""
        if (line, col) != (self.line, self.col):
            return False
        if self.message.endswith("..."):
            return message.startswith(self.message[:-3])
        return message == self.message


def expected_findings(source: str, code: str) -> list[Expected]:
    """The findings of ``code`` that the markers of ``source`` pin, in line and column order."""
    found = []
    for i, line in enumerate(source.splitlines(), 1):
        for m in PIN.finditer(line):
            if m.group(1) == code:
                col = int(m.group(2)) if m.group(2) else None
                found.append(Expected(i, col, m.group(3)))
    return sorted(found, key=lambda e: (e.line, e.col or 0))


def matches(expected: Sequence[Expected], got: Sequence[tuple[int, int, str]]) -> bool:
    """Whether the findings ``got`` — (line, 1-based column, message), in order — are exactly
    the pinned ones."""
    got = sorted(got)
    return len(got) == len(expected) and all(e.matches(*g) for e, g in zip(expected, got))


def engine_findings(source: str, rules=None, settings: Settings | None = None):
    engine = Engine(rules or ALL_RULES, settings or Settings())
    findings, errors = engine.check(ast.parse(source), source)
    assert not errors, errors
    return findings


def run_flake8(
    paths: Sequence[str], *args: str, cwd=None, timeout: float = 600
) -> tuple[int, str, str]:
    """The real flake8, as a subprocess, with the plugin registered by the install. Run it in
    ``cwd`` (a temp dir) so that only the config files a test writes there apply. ``timeout``
    only turns a hang into a failure; speed is measured in bench/, never asserted here."""
    cmd = [sys.executable, "-m", "flake8", *args, *paths]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def parse_report(stdout: str) -> list[tuple[str, int, int, str]]:
    """flake8's default format -> (file name, line, column, code) tuples."""
    rows = []
    for line in stdout.splitlines():
        m = re.match(r"(.+?):(\d+):(\d+): (\w+) ", line)
        if m:
            rows.append((Path(m.group(1)).name, int(m.group(2)), int(m.group(3)), m.group(4)))
    return rows


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
