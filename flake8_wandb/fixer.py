"""Applying fixes to source text: edits, imports, validation, ``# noqa``.

A fix is a set of text edits at ``ast`` positions (see ``engine.Fix``), so everything outside the
edited ranges stays byte for byte. Imports a fix needs (``from wandb_runtime import echo``) are
added once at the end with libcst's ``AddImportsVisitor``, which merges them into an existing
``from wandb_runtime import ...`` and places them with the other imports. Fixes are re-applied
until nothing changes (overlapping fixes wait for the next round), and a result that does not
compile is never returned: the offending fixes are reverted and reported.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from .engine import Engine, Finding, split_lines

MAX_ROUNDS = 8

# flake8's own syntax: ``# noqa``, ``# noqa: WB101``, ``# noqa:WB101,WB2``, case-insensitive
_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z][0-9]+(?:[,\s]+[A-Z][0-9]+)*))?", re.IGNORECASE
)


def noqa_map(lines: Sequence[str]) -> Dict[int, Optional[Set[str]]]:
    """Line number -> codes silenced there (None: all). Only lines with a noqa comment."""
    found: Dict[int, Optional[Set[str]]] = {}
    for i, line in enumerate(lines, 1):
        if "noqa" not in line.lower():
            continue
        m = _NOQA.search(line)
        if m is None:
            continue
        codes = m.group("codes")
        found[i] = None if codes is None else {c.upper() for c in re.split(r"[,\s]+", codes) if c}
    return found


def is_silenced(finding: Finding, noqa: Dict[int, Optional[Set[str]]]) -> bool:
    for line in range(finding.line, finding.end_line + 1):
        if line in noqa:
            codes = noqa[line]
            if codes is None or any(finding.code.startswith(c) for c in codes):
                return True
    return False


def lint(engine: Engine, source: str) -> Tuple[List[Finding], List[str]]:
    """Findings not silenced by ``# noqa``, and internal errors as messages.
    Raises SyntaxError (or ValueError for NUL bytes) when the source does not parse."""
    if not engine.may_match(source):
        return [], []
    tree = ast.parse(source)
    findings, errors = engine.check(tree, source)
    noqa = noqa_map(split_lines(source))
    findings = [f for f in findings if not is_silenced(f, noqa)]
    return findings, [f"internal error in {e.code} at line {e.line}: {e.error}" for e in errors]


def applicable(finding: Finding, unsafe: bool) -> bool:
    return finding.fix is not None and (finding.fix.safe or unsafe)


@dataclass
class FixResult:
    source: str
    applied: List[Finding] = field(default_factory=list)
    #: fixes that were dropped, with the reason (e.g. the result would not compile)
    reverted: List[Tuple[Finding, str]] = field(default_factory=list)
    #: what is left after fixing
    remaining: List[Finding] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def fix_source(engine: Engine, source: str, unsafe: bool = False) -> FixResult:
    """Apply every applicable fix until the source is stable. The result always compiles when
    the input did."""
    result = FixResult(source)
    reverted_keys: Set[Tuple[str, int, int]] = set()
    for _ in range(MAX_ROUNDS):
        findings, errors = lint(engine, result.source)
        result.errors = errors
        todo = [
            f
            for f in findings
            if applicable(f, unsafe) and (f.code, f.line, f.col) not in reverted_keys
        ]
        if not todo:
            result.remaining = findings
            return result
        new_source, used = _apply_round(result.source, todo)
        if _compiles(new_source):
            result.source = new_source
            result.applied += used
            continue
        # find the fixes that break the code, one at a time; the next round retries the others
        for f in used:
            candidate, _ = _apply_round(result.source, [f])
            if _compiles(candidate):
                result.source = candidate
                result.applied.append(f)
                break
            reverted_keys.add((f.code, f.line, f.col))
            result.reverted.append((f, "the fixed code would not compile"))
    result.remaining, result.errors = lint(engine, result.source)
    return result


def _compiles(source: str) -> bool:
    try:
        compile(source, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _apply_round(source: str, findings: Sequence[Finding]) -> Tuple[str, List[Finding]]:
    """Apply non-overlapping fixes (first come, first served) and add their imports."""
    lines = split_lines(source)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(pos: Tuple[int, int]) -> int:
        line, byte_col = pos
        if line > len(lines):
            return len(source)
        text = lines[line - 1]
        col = byte_col if text.isascii() else len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))
        return starts[line - 1] + col

    taken: List[Tuple[int, int]] = []
    chosen: List[Tuple[int, int, str]] = []
    used: List[Finding] = []
    for f in sorted(findings, key=lambda f: (f.line, f.col)):
        spans = [(offset(e.start), offset(e.end), e.text) for e in f.fix.edits]
        if any(_overlaps(a, b, x, y) for a, b, _ in spans for x, y in taken):
            continue  # the next round sees it again, on the fixed text
        taken += [(a, b) for a, b, _ in spans]
        chosen += spans
        used.append(f)
    out = source
    for a, b, text in sorted(chosen, key=lambda s: (s[0], s[1]), reverse=True):
        out = out[:a] + text + out[b:]
    imports = sorted({imp for f in used for imp in f.fix.imports})
    if imports:
        out = add_imports(out, imports)
    return out, used


def _overlaps(a: int, b: int, x: int, y: int) -> bool:
    if a == b or x == y:  # insertions clash only at the same point or strictly inside
        return x < a < y or a < x < b or a == x
    return a < y and x < b


def add_imports(source: str, imports: Iterable[Tuple[str, str]]) -> str:
    """``from module import name`` for each pair, merged with existing imports, via libcst."""
    import libcst as cst  # only wandb-fix pays for libcst, and only when a fix needs an import
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor, ImportItem

    module = cst.parse_module(source)
    context = CodemodContext()
    items = [ImportItem(mod, obj_name=name) for mod, name in imports]
    return AddImportsVisitor(context, items).transform_module(module).code
