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

# flake8's own pattern (flake8/defaults.py), so that both front ends read the same comments:
# ``# noqa``, ``# noqa: WB101``, ``# NOQA:WB101,E501``; a code also silences longer codes
_NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)


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
    #: the findings on the original source (before any fix)
    initial: List[Finding] = field(default_factory=list)
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
    # code that parses but does not compile (``return`` at module level, ``await`` outside an
    # async function in an exported notebook) is held to the standard it met: it must parse
    valid = compiles if compiles(source) else parses
    for round_ in range(MAX_ROUNDS):
        findings, errors = lint(engine, result.source)
        result.errors = errors
        if round_ == 0:
            result.initial = findings
        todo = [
            f
            for f in findings
            if applicable(f, unsafe) and (f.code, f.line, f.col) not in reverted_keys
        ]
        if not todo:
            result.remaining = findings
            return result
        new_source, used, failed = _apply_round(result.source, todo)
        for f, why in failed:
            reverted_keys.add((f.code, f.line, f.col))
            result.reverted.append((f, why))
        if not used:
            continue
        if valid(new_source):
            result.source = new_source
            result.applied += used
            continue
        # find the fixes that break the code, one at a time; the next round retries the others
        for f in used:
            candidate, ok, _ = _apply_round(result.source, [f])
            if ok and valid(candidate):
                result.source = candidate
                result.applied.append(f)
                break
            reverted_keys.add((f.code, f.line, f.col))
            result.reverted.append((f, "the fixed code would not compile"))
    result.remaining, result.errors = lint(engine, result.source)
    return result


def parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def compiles(source: str) -> bool:
    try:
        compile(source, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _apply_round(
    source: str, findings: Sequence[Finding]
) -> Tuple[str, List[Finding], List[Tuple[Finding, str]]]:
    """Apply non-overlapping fixes (first come, first served) and add their imports. Returns
    the new source, the fixes applied, and the fixes dropped with the reason."""
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
        try:
            out = add_imports(out, imports)
        except Exception as exc:  # libcst cannot parse this file (newer syntax, say)
            why = f"the import it needs could not be added ({type(exc).__name__})"
            failed = [(f, why) for f in used if f.fix.imports]
            rest = [f for f in findings if not f.fix.imports]
            out, used, more = _apply_round(source, rest)
            return out, used, failed + more
    return out, used, []


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


def _lines_that_cannot_take_a_comment(source: str) -> Set[int]:
    """Lines that end inside a multi-line string, or continue with a backslash: a ``# noqa``
    appended there would change the string or break the code."""
    import io
    import tokenize

    blocked: Set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.start[0] < tok.end[0] and tok.type != tokenize.NL:
                blocked.update(range(tok.start[0], tok.end[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    for i, line in enumerate(split_lines(source), 1):
        if line.rstrip("\r\n").endswith("\\"):
            blocked.add(i)
    return blocked


def add_noqa(source: str, findings: Sequence[Finding]) -> Tuple[str, List[Finding]]:
    """Silence each finding with a ``# noqa: CODE`` on its line (merged into an existing
    ``# noqa: ...``), for adopting a rule on a large codebase. Returns the new source and the
    findings that could not be silenced (their lines cannot take a comment)."""
    lines = split_lines(source)
    blocked = _lines_that_cannot_take_a_comment(source)
    wanted: Dict[int, Set[str]] = {}
    skipped: List[Finding] = []
    for f in findings:
        line = next((n for n in (f.line, f.end_line) if n not in blocked), None)
        if line is None:
            skipped.append(f)
        else:
            wanted.setdefault(line, set()).add(f.code)
    for line, codes in wanted.items():
        text = lines[line - 1]
        content = text.rstrip("\r\n")
        newline = text[len(content) :]
        m = _NOQA.search(content)
        if m and m.group("codes") is None:
            continue  # a bare ``# noqa`` silences everything already
        if m:
            have = {c.upper() for c in re.split(r"[,\s]+", m.group("codes")) if c}
            extra = sorted(c for c in codes if not any(c.startswith(h) for h in have))
            if extra:
                at = m.start("codes") + len(m.group("codes").rstrip(", \t"))
                content = content[:at] + "," + ",".join(extra) + content[at:]
        else:
            content = content + "  # noqa: " + ",".join(sorted(codes))
        lines[line - 1] = content + newline
    return "".join(lines), skipped
