"""Output formats of wandb-fix: text, json, github (workflow annotations), sarif."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from . import __version__
from .engine import UNSAFE, Applicability, Finding, applicability_label, printable
from .rules import ALL_RULES

DOCS = "https://github.com/flake8-wandb/flake8-wandb/blob/main/docs/rules/{code}.md"


@dataclass(frozen=True)
class Cell:
    """Where a finding in a notebook is: the cell as ruff, Jupyter and VS Code count it (1-based
    among all cells, markdown and raw included: "cell 3"), and the lines of the ``.ipynb`` JSON
    text that hold it (for annotations on the file)."""

    number: int  # 1-based among all the notebook's cells
    index: int  # 0-based among all the notebook's cells (``number - 1``)
    code_number: int  # 1-based among the code cells only (In [N] after a run-all)
    id: str | None
    file_line: int
    end_file_line: int


@dataclass
class Row:
    """One finding in one file, with character columns (1-based) as editors count them."""

    path: str
    finding: Finding
    col: int
    end_col: int
    #: the fix offered (None: no fix, or none that can be written)
    applicability: Applicability | None
    applicable: bool  # would be (or was) applied with the options given
    cell: Cell | None = None  # in a notebook: line and columns are then those of the cell


def char_col(line_text: str, byte_col: int) -> int:
    if line_text.isascii():
        return byte_col + 1
    return len(line_text.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1


def text(rows: list[Row]) -> str:
    out = []
    for r in rows:
        mark = ""
        if r.applicability is not None:
            mark = " [*]" if r.applicable else f" [{r.applicability} fix: {_how(r.applicability)}]"
        f = r.finding
        out.append(
            f"{printable(r.path)}:{_in_cell(r)}{f.line}:{r.col}: {f.code} {printable(f.message)}{mark}"
        )
    return "\n".join(out)


def _how(kind: Applicability) -> str:
    return "--unsafe-fixes" if kind is UNSAFE else "shown by --diff, never applied"


def _in_cell(r: Row) -> str:
    return f"cell {r.cell.number}:" if r.cell else ""


def _cell_json(r: Row) -> dict[str, Any]:
    """Notebook rows: the cell, with ``line``/``column`` counted in the cell's code."""
    if r.cell is None:
        return {}
    cell = r.cell
    return {
        "cell": cell.number,
        "cell_index": cell.index,
        "code_cell": cell.code_number,
        "cell_id": cell.id,
    }


def _fix_json(r: Row) -> dict[str, Any]:
    """The fix's applicability, whether it applies, what it does (ruff's fix title) and what it
    needs. ``safety``: the same word, the field's name before ``applicability`` existed."""
    fix = r.finding.fix
    kind = str(r.applicability)
    return {
        "applicability": kind,
        "safety": kind,
        "applicable": r.applicable,
        "title": fix.title if fix else "",
        "requires": list(fix.requires) if fix else [],
    }


def as_json(rows: list[Row]) -> str:
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
                "fix": _fix_json(r) if r.applicability is not None else None,
                "url": DOCS.format(code=r.finding.code),
                **_cell_json(r),
            }
            for r in rows
        ],
        indent=2,
    )


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github(rows: list[Row]) -> str:
    return "\n".join(
        f"::error file={_escape_property(printable(r.path))},{_github_position(r)},"
        f"title={_escape_property(r.finding.code + ' ' + r.finding.name)}::"
        f"{_escape_data(_cell_prefix(r) + r.finding.code + ' ' + printable(r.finding.message))}"
        for r in rows
    )


def _github_position(r: Row) -> str:
    if r.cell:  # the annotation goes on the lines of the .ipynb file; the message says the cell
        return f"line={r.cell.file_line},endLine={r.cell.end_file_line}"
    return f"line={r.finding.line},col={r.col},endLine={r.finding.end_line},endColumn={r.end_col}"


def _cell_prefix(r: Row) -> str:
    return f"cell {r.cell.number}:{r.finding.line}:{r.col}: " if r.cell else ""


def _sarif_region(r: Row) -> dict[str, Any]:
    if r.cell:
        return {"startLine": r.cell.file_line, "endLine": r.cell.end_file_line}
    return {
        "startLine": r.finding.line,
        "startColumn": r.col,
        "endLine": r.finding.end_line,
        "endColumn": r.end_col,
    }


def _sarif_properties(r: Row) -> dict[str, Any]:
    """The fix's applicability (as JSON and the rule pages write it) and, in a notebook, the
    cell."""
    props: dict[str, Any] = {}
    if r.applicability is not None:
        props["applicability"] = str(r.applicability)
    if r.cell is not None:
        cell = r.cell
        props |= {"cell": cell.number, "codeCell": cell.code_number, "cellId": cell.id}
        props |= {"cellLine": r.finding.line, "cellColumn": r.col}
    return {"properties": props} if props else {}


def _legacy_fix(rule: Any) -> str:
    """A rule's fixes as the ``fix`` field said before ``applicability``: ``mixed`` for safe or
    unsafe; otherwise the same word."""
    label = applicability_label(rule.applicability)
    return "mixed" if label == "safe or unsafe" else label


def sarif(rows: list[Row]) -> str:
    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.name.replace("-", " ")},
            "helpUri": DOCS.format(code=rule.code),
            "properties": {
                "applicability": applicability_label(rule.applicability),
                "fix": _legacy_fix(rule),  # the field before ``applicability``
                "default": rule.default,
            },
        }
        for rule in ALL_RULES
    ]
    index = {rule.code: i for i, rule in enumerate(ALL_RULES)}
    results = [
        {
            "ruleId": r.finding.code,
            "ruleIndex": index.get(r.finding.code, 0),
            "level": "warning",
            "message": {"text": _cell_prefix(r) + r.finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": r.path.replace("\\", "/")},
                        "region": _sarif_region(r),
                    }
                }
            ],
            **_sarif_properties(r),
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
    for line in re.findall(r"[^\n]*\n|[^\n]+$", diff):  # git's lines: a lone \r is text
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
    checked: int | None = None,
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
    return f"{printable(path)}: error: {printable(message)}"


def warning_line(path: str, message: str) -> str:
    return f"{printable(path)}: warning: {printable(message)}"
