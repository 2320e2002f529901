"""Output formats of wandb-fix: text, json, github (workflow annotations), sarif."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import List, Optional

from . import __version__
from .engine import Finding
from .rules import ALL_RULES

DOCS = "https://github.com/flake8-wandb/flake8-wandb/blob/main/docs/rules/{code}.md"


@dataclass
class Row:
    """One finding in one file, with character columns (1-based) as editors count them."""

    path: str
    finding: Finding
    col: int
    end_col: int
    fix: str  # "safe", "unsafe" or "" (no fix)
    applicable: bool  # would be (or was) applied with the options given


def char_col(line_text: str, byte_col: int) -> int:
    if line_text.isascii():
        return byte_col + 1
    return len(line_text.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1


def text(rows: List[Row]) -> str:
    out = []
    for r in rows:
        mark = ""
        if r.fix:
            mark = " [*]" if r.applicable else f" [{r.fix} fix: --unsafe-fixes]"
        f = r.finding
        out.append(f"{r.path}:{f.line}:{r.col}: {f.code} {f.message}{mark}")
    return "\n".join(out)


def as_json(rows: List[Row]) -> str:
    return json.dumps(
        [
            {
                "code": r.finding.code,
                "name": r.finding.name,
                "message": r.finding.message,
                "filename": r.path,
                "line": r.finding.line,
                "column": r.col,
                "end_line": r.finding.end_line,
                "end_column": r.end_col,
                "fix": {"safety": r.fix, "applicable": r.applicable} if r.fix else None,
                "url": DOCS.format(code=r.finding.code),
            }
            for r in rows
        ],
        indent=2,
    )


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github(rows: List[Row]) -> str:
    return "\n".join(
        f"::error file={_escape_property(r.path)},line={r.finding.line},col={r.col},"
        f"endLine={r.finding.end_line},endColumn={r.end_col},"
        f"title={_escape_property(r.finding.code + ' ' + r.finding.name)}::"
        f"{_escape_data(r.finding.code + ' ' + r.finding.message)}"
        for r in rows
    )


def sarif(rows: List[Row]) -> str:
    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.name.replace("-", " ")},
            "helpUri": DOCS.format(code=rule.code),
            "properties": {"fix": rule.fix_safety or "none", "default": rule.default},
        }
        for rule in ALL_RULES
    ]
    index = {rule.code: i for i, rule in enumerate(ALL_RULES)}
    results = [
        {
            "ruleId": r.finding.code,
            "ruleIndex": index.get(r.finding.code, 0),
            "level": "warning",
            "message": {"text": r.finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": r.path.replace("\\", "/")},
                        "region": {
                            "startLine": r.finding.line,
                            "startColumn": r.col,
                            "endLine": r.finding.end_line,
                            "endColumn": r.end_col,
                        },
                    }
                }
            ],
        }
        for r in rows
    ]
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "flake8-wandb",
                        "version": __version__,
                        "informationUri": "https://github.com/flake8-wandb/flake8-wandb",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2)


FORMATS = {"text": text, "json": as_json, "github": github, "sarif": sarif}


def colour_diff(diff: str, enabled: bool) -> str:
    if not enabled:
        return diff
    out = []
    for line in diff.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            out.append(f"\033[1m{line.rstrip(chr(10))}\033[0m\n")
        elif line.startswith("+"):
            out.append(f"\033[32m{line.rstrip(chr(10))}\033[0m\n")
        elif line.startswith("-"):
            out.append(f"\033[31m{line.rstrip(chr(10))}\033[0m\n")
        elif line.startswith("@@"):
            out.append(f"\033[36m{line.rstrip(chr(10))}\033[0m\n")
        else:
            out.append(line)
    return "".join(out)


def summary(
    found: int,
    fixed: int,
    fixable: int,
    unsafe_more: int,
    files: int,
    errors: int,
    mode: str,
    checked: Optional[int] = None,
    skipped: int = 0,
) -> str:
    """``files``: the files with findings; ``checked``: the files read; ``skipped``: the paths
    left alone with a warning."""
    parts = []
    if mode == "apply":
        parts.append(f"fixed {fixed} finding{'s' * (fixed != 1)}; {found} left")
    elif mode == "add-noqa":
        parts.append(f"added # noqa for {fixed} finding{'s' * (fixed != 1)}; {found} left")
    else:
        parts.append(f"{found} finding{'s' * (found != 1)}")
        if fixable:
            parts.append(f"{fixable} fixable with --apply")
    if unsafe_more:
        parts.append(f"{unsafe_more} more with --unsafe-fixes")
    checked = files if checked is None else checked
    if found:
        parts.append(f"in {files} file{'s' * (files != 1)} of {checked} checked")
    else:
        parts.append(f"{checked} file{'s' * (checked != 1)} checked")
    if skipped:
        parts.append(f"{skipped} skipped")
    if errors:
        parts.append(f"{errors} error{'s' * (errors != 1)}")
    return "wandb-fix: " + ", ".join(parts)


def error_line(path: str, message: str) -> str:
    return f"{path}: error: {message}"


def warning_line(path: str, message: str) -> str:
    return f"{path}: warning: {message}"
