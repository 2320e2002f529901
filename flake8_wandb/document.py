"""What wandb-fix reads and writes: a document (ruff's ``SourceKind``). A Python file and a
Jupyter notebook (notebook.py) each know their source, their tree, where a finding is (rows,
cells), how their fixed text is written back and how it is shown as a diff; the pipeline
(pipeline.py) runs the same four modes on either.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import dependencies, redact, report
from .engine import Engine, Finding, Span, split_lines
from .files import decode, encode_like
from .fixer import FixResult, NoqaMap, add_noqa, applicable, fix_source, lint, still_valid


@dataclass
class Checked:
    """What ``--check`` reports on a document."""

    rows: list[report.Row]
    errors: list[str] = field(default_factory=list)


@dataclass
class Silenced:
    """``--add-noqa`` on a document: the findings as found, those no comment silences, and the
    text with the comments (None: nothing to write)."""

    on_disk: list[report.Row]
    left: list[report.Row]
    errors: list[str] = field(default_factory=list)
    text: str | None = None
    count: int = 0  # findings silenced


@dataclass
class Fixed:
    """The fixes of a document: the findings as found and as left, and the fixed text (None:
    nothing to write)."""

    initial: list[report.Row]
    remaining: list[report.Row]
    errors: list[str] = field(default_factory=list)
    text: str | None = None
    applied: int = 0  # fixes written (what --apply writes; not the ones it would revert)
    needs_runtime: bool = False  # the fixed code imports wandb_runtime (dependencies.py)


class Document:
    """One file wandb-fix works on. ``errors``: what was found wrong on reading it (a cell
    that does not parse), reported in every mode."""

    path: Path
    data: bytes  # the bytes read: a write happens only over these, unchanged on disk
    errors: list[str]

    def check(self) -> Checked:
        raise NotImplementedError

    def add_noqa(self) -> Silenced:
        raise NotImplementedError

    def fix(self, display: bool = False) -> Fixed:
        """``display``: display-only fixes too, for a diff shown to a person (never written)."""
        raise NotImplementedError

    def encode(self, text: str) -> bytes:
        """The bytes that hold ``text`` as this document stores it. Raises SourceError when
        they cannot (an encoding that does not give back the file's own bytes)."""
        raise NotImplementedError

    def diff(self, text: str) -> str:
        """The fix, as a diff a user reads (API keys masked)."""
        raise NotImplementedError


class PythonFile(Document):
    def __init__(self, path: Path, data: bytes, engine: Engine, unsafe: bool) -> None:
        self.path, self.data, self.engine, self.unsafe = path, data, engine, unsafe
        self.source, self.encoding = decode(data)  # SourceError
        self.errors = []

    def rows(self, source: str, findings: Sequence[Finding]) -> list[report.Row]:
        return rows(str(self.path), source, findings, self.unsafe)

    def check(self) -> Checked:
        findings, errors = lint(self.engine, self.source, path=str(self.path))
        return Checked(self.rows(self.source, findings), errors)

    def add_noqa(self) -> Silenced:
        source = self.source
        findings, errors = lint(self.engine, source, path=str(self.path))
        out = Silenced(self.rows(source, findings), [], errors)
        silenced, skipped = add_noqa(source, findings)
        for f in skipped:
            out.errors.append(f"{f.code} at line {f.line}: no line of it can take a # noqa comment")
        noqa = NoqaMap(silenced)
        gone = {id(f) for f in skipped}
        unread = [f for f in findings if id(f) not in gone and not noqa.silences(f)]
        for f in unread:
            out.errors.append(
                f"{f.code} at line {f.line}: a '# noqa' inside a string on that line comes first, "
                "and flake8 reads that one, not the comment written; move the text off the line"
            )
        out.left = self.rows(source, skipped + unread)
        if silenced != source:
            if not still_valid(source, silenced):  # the same check as for fixes
                out.errors.append("adding # noqa comments would break the file; left unchanged")
                return out
            out.text = silenced
            out.count = len(findings) - len(skipped) - len(unread)
        return out

    def fix(self, display: bool = False) -> Fixed:
        fixed = fix_source(
            self.engine, self.source, unsafe=self.unsafe, path=str(self.path), display=display
        )
        errors = fixed.errors + [
            f"{finding.code} fix at line {finding.line} reverted: {why}"
            for finding, why in fixed.reverted
        ]
        initial = self.rows(self.source, fixed.initial)
        remaining = self.rows(fixed.source, fixed.remaining)
        not_applicable(initial, fixed)
        not_applicable(remaining, fixed)
        return Fixed(
            initial,
            remaining,
            errors,
            text=fixed.source if fixed.changed else None,
            applied=len(fixed.applied),
            needs_runtime=requires_runtime(fixed.applied),
        )

    def encode(self, text: str) -> bytes:
        return encode_like(self.data, self.source, text, self.encoding)

    def diff(self, text: str) -> str:
        return unified_diff(self.path, self.source, text, bom=self.encoding == "utf-8-sig")


def requires_runtime(applied: Iterable[Finding]) -> bool:
    """Whether an applied fix makes the code import wandb_runtime (dependencies.py advises)."""
    return any(dependencies.DISTRIBUTION in f.fix.requires for f in applied if f.fix)


def not_applicable(rows: Sequence[report.Row], fixed: FixResult) -> None:
    """Rows whose fix was reverted (it would break the file): no fix is offered for them."""
    reverted = {(f.code, f.line, f.col) for f, _ in fixed.reverted}
    for row in rows:
        if (row.finding.code, row.finding.line, row.finding.col) in reverted:
            row.applicability, row.applicable = None, False


def rows(path: str, source: str, findings: Sequence[Finding], unsafe: bool) -> list[report.Row]:
    """Findings of a Python module as report rows (columns in characters, not bytes)."""
    lines = split_lines(source)

    def col(line: int, byte_col: int) -> int:
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return report.char_col(text, byte_col)

    return [
        report.Row(
            path=path,
            finding=f,
            col=col(f.line, f.col),
            end_col=col(f.end_line, f.end_col),
            applicability=f.fix.applicability if f.fix else None,
            applicable=applicable(f, unsafe),
        )
        for f in findings
    ]


def unified_diff(
    path: Path,
    old: str,
    new: str,
    old_spans: Sequence[Span] | None = None,
    new_spans: Sequence[Span] | None = None,
    bom: bool = False,
) -> str:
    """The diff of a fix as ``git apply`` reads it, with every API key masked (see redact.py):
    both sides are masked line by line before diffing, so a key split over several literals or
    lines, or sitting on a ``# noqa`` line shown as context, never appears. ``*_spans``: the key
    literals when already known. Lines are git's: split at ``\n`` only (a CR-only file is one
    line to git, a lone ``\r`` is part of a line); ``bom``: the file starts with a UTF-8 BOM,
    which git sees as part of its first line."""
    mark = "\ufeff" if bom else ""
    old_text = mark + "".join(
        redact.masked_lines(old, redact.key_spans(old) if old_spans is None else old_spans)
    )
    new_text = mark + "".join(
        redact.masked_lines(new, redact.key_spans(new) if new_spans is None else new_spans)
    )
    lines = difflib.unified_diff(
        git_lines(old_text),
        git_lines(new_text),
        f"a/{path.as_posix()}",
        f"b/{path.as_posix()}",
    )
    out = []
    for line in lines:
        out.append(line)
        if not line.endswith("\n"):  # the last line of a file without a final newline
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def git_lines(text: str) -> list[str]:
    """Lines as git counts them: ended by ``\n`` only, endings kept."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)
