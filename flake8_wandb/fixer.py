"""Applying fixes to source text: edits, validation, ``# noqa``.

A fix is a set of libcst transforms of the nodes it changes, each emitted as an edit of its node's
span (``engine.Transform``, ``transforms.py``), so everything outside the edited ranges stays byte
for byte. libcst is imported here only when the first fix is asked for its text. An import a fix
needs is one more transform of that fix, placed by the rule next to the module's own ``import
wandb`` (see ``rules/imports.py``): a fix and its import go in or stay out together, and no
whole-module re-emission can touch other bytes. Fixes are re-applied until nothing changes
(overlapping fixes wait for the next round), and a result that is less valid than the input is
never returned: the offending fixes are reverted and reported; so is a fix whose transform libcst
cannot run (a node it cannot parse).

``# noqa`` is read exactly as flake8 reads it (``flake8/processor.py`` and ``defaults.py``), so the
two front ends silence the same findings: a finding is silenced by a comment on its own line, or
anywhere on the lines of a multi-line string token that holds that line; ``# flake8: noqa`` on a
line of its own skips the file.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .engine import DISPLAY_ONLY, SAFE, UNSAFE, Change, Engine, Finding, split_lines

#: rounds of fixing before giving up (each round applies every non-overlapping fix)
MAX_ROUNDS = 16

# flake8's own patterns (flake8/defaults.py), so that both front ends read the same comments:
# ``# noqa``, ``# noqa: WB101``, ``# NOQA:WB101,E501``; a code also silences longer codes
_NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.I)


def file_is_noqa(lines: Sequence[str]) -> bool:
    """``# flake8: noqa`` on a line of its own: flake8 skips the whole file."""
    return any(_NOQA_FILE.match(line) for line in lines)


def noqa_codes(text: str) -> tuple[str, ...] | None:
    """The codes a ``# noqa`` in ``text`` silences: () for a blanket ``# noqa``, None when there
    is no ``# noqa``. Codes are compared as flake8 compares them (case-sensitive prefixes)."""
    m = _NOQA.search(text)
    if m is None:
        return None
    codes = m.group("codes")
    if codes is None:
        return ()
    return tuple(c.strip() for c in re.split(r"[,\s]", codes) if c.strip())


def noqa_line_ranges(source: str, lines: Sequence[str]) -> dict[int, tuple[int, int]]:
    """Line number -> the (first, last) physical lines flake8 searches for its ``# noqa``: a
    line on its own, or all the lines of a token that spans several (a multi-line string)
    together with the lines around it up to the next line break. flake8's
    ``_noqa_line_mapping``, kept in step with it; {} when the file does not tokenize."""
    ranges: dict[int, tuple[int, int]] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(_lf(source)).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return {}
    lo, hi = len(lines) + 2, -1
    for tok in tokens:
        if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        lo, hi = min(lo, tok.start[0]), max(hi, tok.end[0])
        if tok.type in (tokenize.NL, tokenize.NEWLINE):
            for n in range(lo, hi + 1):
                ranges[n] = (lo, hi)
            lo, hi = len(lines) + 2, -1
    return ranges


def _lf(source: str) -> str:
    """``source`` with each lone CR (a line ending of an old Mac file) as LF, which the pure-Python
    tokenizer needs and Python's own reads the same way: lines and columns do not move."""
    return re.sub(r"\r(?!\n)", "\n", source) if "\r" in source else source


class NoqaMap:
    """Which findings ``# noqa`` comments silence, as flake8 decides."""

    def __init__(self, source: str, lines: Sequence[str] | None = None) -> None:
        self.lines = list(lines if lines is not None else split_lines(source))
        self.ranges = noqa_line_ranges(source, self.lines) if "noqa" in source.lower() else {}

    def text_for(self, line: int) -> str:
        first, last = self.ranges.get(line, (line, line))
        return "".join(self.lines[first - 1 : last])

    def silences(self, finding: Finding) -> bool:
        if not 0 < finding.line <= len(self.lines):
            return False
        codes = noqa_codes(self.text_for(finding.line))
        if codes is None:
            return False
        return codes == () or finding.code in codes or finding.code.startswith(codes)


def parse(source: str) -> ast.Module:
    """``ast.parse`` without printing the warnings user code may raise (``SyntaxWarning`` for
    ``"\\d"`` or ``x is 1``): they are the user's compiler's business, not ours."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def lint(
    engine: Engine, source: str, tree: ast.Module | None = None, path: str | None = None
) -> tuple[list[Finding], list[str]]:
    """Findings not silenced by ``# noqa``, and internal errors as messages. ``tree``: the
    source's parse when the caller has it already (a parse is most of the cost); ``path``: the
    file's path, for the rules that read it (evaluation files, the project's other modules).
    Raises SyntaxError (or ValueError for NUL bytes) when the source does not parse."""
    if not engine.may_match(source):
        return [], []
    if tree is None:
        tree = parse(source)
    lines = split_lines(source)
    if file_is_noqa(lines):
        return [], []
    findings, errors = engine.check(tree, source, path)
    if findings:
        noqa = NoqaMap(source, lines)
        findings = [f for f in findings if not noqa.silences(f)]
    return findings, [f"internal error in {e.code} at line {e.line}: {e.error}" for e in errors]


def _edits(finding: Finding) -> tuple[Change, ...]:
    return finding.fix.edits if finding.fix is not None else ()


def _generates(finding: Finding) -> bool:
    """Whether every transform of the fix runs (its text is generated here, by libcst)."""
    from .transforms import TransformError

    try:
        for e in _edits(finding):
            e.text  # noqa: B018  generated and cached
    except TransformError:
        return False
    return True


def applicable(finding: Finding, unsafe: bool, display: bool = False) -> bool:
    """Whether ``finding``'s fix is applied: a safe one always, an unsafe one with
    ``--unsafe-fixes``, a display-only one never (``display``: only into a diff shown to a
    person, never into a file)."""
    if finding.fix is None:
        return False
    kind = finding.fix.applicability
    return kind is SAFE or (kind is UNSAFE and unsafe) or (kind is DISPLAY_ONLY and display)


@dataclass
class FixResult:
    source: str
    #: the findings on the original source (before any fix)
    initial: list[Finding] = field(default_factory=list)
    applied: list[Finding] = field(default_factory=list)
    #: fixes that were dropped, with the reason (e.g. the result would not compile)
    reverted: list[tuple[Finding, str]] = field(default_factory=list)
    #: what is left after fixing
    remaining: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: codes of the rules whose fixes were still pending after ``MAX_ROUNDS`` rounds
    unconverged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def parses(source: str) -> bool:
    try:
        parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def compiles(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def validity(original: str) -> Callable[[str], bool]:
    """The one validity check of every rewrite (fixes and ``--add-noqa``): code that compiled
    must still compile; code that only parses (``return`` at module level, top-level ``await``
    in an exported notebook) must still parse. And code that Python 3.10 and 3.11 read (the
    oldest the project supports, ``requires-python``) must still be read by them: run on 3.12+,
    where f-strings take more (PEP 701), the rewrite must not use that."""
    check = compiles if compiles(original) else parses
    if sys.version_info < (3, 12) or not old_fstrings(original):
        return check
    return lambda new: check(new) and old_fstrings(new)


def _delimiter(token: str) -> str:
    body = token.lstrip("rRfFbBuU")
    return body[:3] if body[:3] in ('"""', "'''") else body[:1]


_FSTRING = re.compile(r"(?<![\w])[rRbBuU]?[fF][rRbBuU]?['\"]")


def old_fstrings(source: str) -> bool:
    """Whether the f-strings of ``source`` (tokenized by Python 3.12+) are also valid before
    PEP 701: no replacement field holds the quote that delimits an f-string around it, a
    backslash or a comment. True when the source has no f-string or does not tokenize."""
    if sys.version_info < (3, 12) or not _FSTRING.search(source):
        return True
    names = vars(tokenize)  # these token types exist from Python 3.12 on
    start, end, middle = names["FSTRING_START"], names["FSTRING_END"], names["FSTRING_MIDDLE"]
    quotes: list[str] = []  # the delimiters of the f-strings we are in, outermost first
    depth: list[int] = []  # for each: how many replacement fields deep we are in it
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            in_field = any(depth)
            if in_field and tok.type in (tokenize.STRING, start):
                delimiter = _delimiter(tok.string)
                if any(q == delimiter or q == delimiter[0] for q in quotes):
                    return False  # closes the f-string around it, before 3.12
                if tok.type == tokenize.STRING and "\\" in tok.string:
                    return False
            elif in_field and tok.type == tokenize.COMMENT:
                return False
            elif tok.type == middle and any(depth[:-1]) and "\\" in tok.string:
                return False
            if tok.type == start:
                quotes.append(_delimiter(tok.string))
                depth.append(0)
            elif tok.type == end and quotes:
                quotes.pop()
                depth.pop()
            elif tok.type == tokenize.OP and depth:
                if tok.string == "{":
                    depth[-1] += 1
                elif tok.string == "}" and depth[-1] > 0:
                    depth[-1] -= 1
    except (tokenize.TokenError, SyntaxError):
        return True
    return True


def still_valid(original: str, new: str) -> bool:
    return validity(original)(new)


def fix_source(
    engine: Engine,
    source: str,
    unsafe: bool = False,
    path: str | None = None,
    display: bool = False,
) -> FixResult:
    """Apply every applicable fix until the source is stable. The result is as valid as the
    input (see ``validity``); a fix that breaks it is reverted with a reason, and the others
    still go in. ``display``: display-only fixes too (for a diff shown to a person, never for a
    file written)."""
    result = FixResult(source)
    #: reverted fixes: (code, message, offset of the finding), offsets kept up to date
    given_up: set[tuple[str, str, int]] = set()
    valid = validity(source)
    for round_ in range(MAX_ROUNDS):
        findings, errors = lint(engine, result.source, path=path)
        result.errors = errors
        if round_ == 0:
            result.initial = findings
        offset = _offsets(result.source)

        def key(f: Finding) -> tuple[str, str, int]:
            return f.code, f.message, offset((f.line, f.col))  # noqa: B023  called in this round only

        todo = [f for f in findings if applicable(f, unsafe, display) and key(f) not in given_up]
        if not todo:
            result.remaining = findings
            return result
        for f in [f for f in todo if _self_overlapping(f)]:  # a malformed fix: never applied
            given_up.add(key(f))
            result.reverted.append((f, "its edits overlap each other"))
            todo.remove(f)
        for f in [f for f in todo if not _generates(f)]:
            given_up.add(key(f))
            result.reverted.append((f, "libcst could not transform the code it changes"))
            todo.remove(f)
        chosen = _non_overlapping(result.source, todo)
        accepted = chosen
        if not valid(apply_fixes(result.source, chosen)):
            # Find the fixes that break the code, each alone; then take the good ones together
            # as far as they stay valid together (the rest waits for the next round).
            good = []
            for f in chosen:
                if valid(apply_fixes(result.source, [f])):
                    good.append(f)
                else:
                    given_up.add(key(f))
                    result.reverted.append((f, "the fixed code would not compile"))
            accepted = []
            for f in good:
                if valid(apply_fixes(result.source, accepted + [f])):
                    accepted.append(f)
        if accepted:
            spans = sorted(
                (offset(e.start), offset(e.end), len(e.text)) for f in accepted for e in _edits(f)
            )
            given_up = {(c, m, _moved(p, spans)) for c, m, p in given_up}
            result.source = apply_fixes(result.source, accepted)
            result.applied += accepted
    result.remaining, result.errors = lint(engine, result.source, path=path)
    offset = _offsets(result.source)
    pending = [
        f
        for f in result.remaining
        if applicable(f, unsafe) and (f.code, f.message, offset((f.line, f.col))) not in given_up
    ]
    if pending:
        result.unconverged = sorted({f.code for f in pending})
        result.errors.append(
            f"fixes did not converge after {MAX_ROUNDS} rounds ({', '.join(result.unconverged)}); "
            "the file holds the fixes applied so far, please report"
        )
    return result


def _moved(pos: int, spans: Sequence[tuple[int, int, int]]) -> int:
    """Where offset ``pos`` lands once each ``(start, end)`` span (sorted, not overlapping) is
    replaced by text of the given length; a position inside a replaced span lands at its start."""
    shift = 0
    for a, b, n in spans:
        if b <= pos:
            shift += n - (b - a)
        elif a < pos:
            return a + shift
        else:
            break
    return pos + shift


def _offsets(source: str) -> Callable[[tuple[int, int]], int]:
    lines = split_lines(source)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(pos: tuple[int, int]) -> int:
        line, byte_col = pos
        if line > len(lines):
            return len(source)
        text = lines[line - 1]
        if text.isascii():
            col = byte_col
        else:
            col = len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))
        return starts[line - 1] + col

    return offset


def _non_overlapping(source: str, findings: Sequence[Finding]) -> list[Finding]:
    """Fixes whose edits do not overlap, first come first served; the others wait for the next
    round, where they are found again on the fixed text."""
    offset = _offsets(source)
    taken: list[tuple[int, int]] = []
    chosen: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.line, f.col)):
        spans = [(offset(e.start), offset(e.end)) for e in _edits(f)]
        if any(_overlaps(a, b, x, y) for a, b in spans for x, y in taken):
            continue
        taken += spans
        chosen.append(f)
    return chosen


def _self_overlapping(finding: Finding) -> bool:
    edits = sorted(_edits(finding), key=lambda e: (e.start, e.end))
    return any(
        a.end > b.start or (a.start == b.start and a.end == b.end) for a, b in zip(edits, edits[1:])
    )


def apply_fixes(source: str, findings: Sequence[Finding]) -> str:
    """The source with the edits of these (non-overlapping) fixes applied."""
    offset = _offsets(source)
    spans = [(offset(e.start), offset(e.end), e.text) for f in findings for e in _edits(f)]
    out = source
    for a, b, text in sorted(spans, key=lambda s: (s[0], s[1]), reverse=True):
        out = out[:a] + text + out[b:]
    return out


def _overlaps(a: int, b: int, x: int, y: int) -> bool:
    if a == b or x == y:  # insertions clash only at the same point or strictly inside
        return x < a < y or a < x < b or a == x
    return a < y and x < b


def add_noqa(source: str, findings: Sequence[Finding]) -> tuple[str, list[Finding]]:
    """Silence each finding with a ``# noqa: CODE`` where flake8 (and so ``lint``) reads it: at
    the end of the last line of the finding's noqa range (its own line, or the line that closes
    a multi-line string on it), merged into a ``# noqa: ...`` comment already there. Only a real
    comment (a tokenize COMMENT token) is merged into: a ``# noqa`` inside a string literal is the
    program's data. For adopting a rule on a large codebase. Returns the new source and the
    findings that could not be silenced (a file that does not tokenize). The caller checks the
    result with ``still_valid``, and with ``NoqaMap`` that flake8 reads what was written (a
    ``# noqa`` inside a string earlier on the line is the one it reads)."""
    lines = split_lines(source)
    ranges = noqa_line_ranges(source, lines)
    wanted: dict[int, set[str]] = {}
    skipped: list[Finding] = []
    for f in findings:
        if not ranges or f.line not in ranges:
            skipped.append(f)
        else:
            wanted.setdefault(ranges[f.line][1], set()).add(f.code)
    comments = _comments(source)
    for line, codes in wanted.items():
        text = lines[line - 1]
        content = text.rstrip("\r\n")
        newline = text[len(content) :]
        m = None
        if line in comments:
            col, comment = comments[line]
            found = _NOQA.search(comment)
            if found:
                m, base = found, col
        if m and m.group("codes") is None:
            continue  # a bare ``# noqa`` silences everything already
        if m:
            have = noqa_codes(m.group(0)) or ()
            extra = sorted(c for c in codes if not c.startswith(have))
            if extra:
                at = base + m.start("codes") + len(m.group("codes").rstrip(", \t"))
                content = content[:at] + "," + ",".join(extra) + content[at:]
        else:
            content = content + "  # noqa: " + ",".join(sorted(codes))
        lines[line - 1] = content + newline
    return "".join(lines), skipped


def _comments(source: str) -> dict[int, tuple[int, str]]:
    """Line -> (column, text) of the comment that ends it, from tokenize: never text inside a
    string literal. {} when the source does not tokenize (``add_noqa`` then skips every line)."""
    try:
        tokens = tokenize.generate_tokens(io.StringIO(_lf(source)).readline)
        return {t.start[0]: (t.start[1], t.string) for t in tokens if t.type == tokenize.COMMENT}
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return {}
