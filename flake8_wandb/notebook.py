"""Jupyter notebooks (``.ipynb``, nbformat 4) for wandb-fix, without any new dependency.

The code cells, in order, are one module (the *virtual module*): a run created in cell 2 and
logged in cell 7 resolves as in a script. Each cell is preceded there by a marker comment, so that
the fixed module splits back into cells. IPython syntax (``%magic``, ``!shell``, ``x = !cmd``,
``obj?``, a ``%%bash`` cell) is masked line by line with a placeholder that parses (``pass`` at the
line's indentation, with a marker comment) and is put back byte for byte after fixing; an
assignment from a command keeps its target (``files, = ...``), and ``%env NAME=value`` becomes
the ``os.environ`` assignment it stands for, so the rules read it. No fix edits a masked line. A
cell that still does not parse is left out of the module (reported, never edited). A
``%%writefile NAME.py`` cell is a module of its own: the file it writes.

Cells are numbered as ruff, Jupyter and VS Code number them: every cell from 1, markdown and raw
included.

A notebook is never re-serialized: the new ``source`` of each edited cell is spliced into the
original JSON text (a list of lines stays a list, keeping the items that did not change and the
file's layout; a string stays a string), and the result must load to exactly the original
notebook with those sources replaced, or nothing is written.
"""

from __future__ import annotations

import ast
import bisect
import copy
import dataclasses
import difflib
import itertools
import json
import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]  # real, but not in typeshed
from pathlib import Path
from typing import Any

from wandb_runtime import facts

from . import redact, report
from .analysis import secrets
from .engine import Engine, Finding, RuleError, split_lines
from .fixer import (
    FixResult,
    add_noqa,
    applicable,
    fix_source,
    lint,
    parse,
    parses,
    still_valid,
)

SUFFIX = ".ipynb"

#: cell magics whose body IPython runs as Python in the notebook's namespace: only their first
#: line is masked. Any other cell magic (``%%bash``, ``%%writefile``, ``%%html``) masks the cell.
PYTHON_BODY_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "wandb"})

#: line magics IPython runs without their ``%`` (automagic) when the line is no Python:
#: ``cd data/``, ``pip install wandb``
AUTOMAGICS = frozenset(
    "cd pwd ls ll pip conda env cat mkdir rm rmdir cp mv pushd popd load_ext reload_ext matplotlib"
    " run time timeit alias who whos reset history store tensorflow_version".split()
)

#: what follows the assignment's ``=`` in IPython's ``x = !cmd`` (a ``!`` that is not ``!=``) and
#: ``x = %magic`` (a ``%`` then a name): ``SystemAssign`` and ``MagicAssign`` in IPython's
#: ``inputtransformer2``
_ASSIGNED_IPYTHON = re.compile(r"[ \t]*(?:!(?!=)|%[ \t]*(?=[^\W\d]))")
#: characters that make an ``=`` before them part of an operator (``==``, ``<=``, ``+=``, ``:=``)
_OPERATOR_BEFORE_EQUALS = frozenset("=<>!+-*/%@&|^:")
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class NotebookError(Exception):
    """A notebook that cannot be read, or a fix that cannot be written back exactly."""


def is_notebook(path: Path) -> bool:
    return path.suffix == SUFFIX


# -- IPython syntax --------------------------------------------------------------------------------


class _Scanner:
    """Just enough of Python's tokenizer to know whether a line starts a statement: open
    brackets, strings that span lines, backslash continuations. A ``!`` or ``%`` inside a
    multi-line string or call is Python, not IPython."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote = ""
        self.continued = False
        #: the statement (logical line) has had its first ``=`` outside brackets
        self.assigned = False
        #: where the statement's first ``=`` outside brackets is on the line last fed, if there
        self.assign_at: int | None = None

    def at_statement_start(self) -> bool:
        return self.depth == 0 and not self.quote and not self.continued

    def feed(self, line: str) -> int:
        """Scan one line; return where its comment starts (the line's length if none)."""
        body = line.rstrip("\r\n")
        comment = len(body)
        if self.at_statement_start():
            self.assigned = False
        self.assign_at = None
        self.continued = False
        i, n = 0, len(body)
        while i < n:
            if self.quote:  # jump to the next backslash or closing quote
                m = _IN_STRING[self.quote].search(body, i)
                if m is None:
                    break
                i = m.end() + (1 if m.group() == "\\" else 0)
                if m.group() != "\\":
                    self.quote = ""
                continue
            m = _CODE.search(body, i)
            if m is None:
                break
            c, i = m.group(), m.end()
            if c == "#":
                comment = m.start()
                break
            if c == "=":
                if body[i : i + 1] == "=":  # ``==``
                    i += 1
                elif self.depth == 0 and not self.assigned:
                    before = body[m.start() - 1 : m.start()]
                    if before not in _OPERATOR_BEFORE_EQUALS:
                        self.assigned, self.assign_at = True, m.start()
            elif c in "\"'":
                self.quote = c * 3 if body.startswith(c * 3, m.start()) else c
                i = m.start() + len(self.quote)
            elif c in "([{":
                self.depth += 1
            else:
                self.depth = max(0, self.depth - 1)
        trailing = len(body) - len(body.rstrip("\\"))
        if len(self.quote) == 1 and trailing % 2 == 0:
            self.quote = ""  # an unterminated string: Python reports it, the next line is new
        elif not self.quote and comment == n and trailing % 2 == 1:
            self.continued = True
        return comment


_CODE = re.compile(r"[#\"'()\[\]{}=]")
_IN_STRING = {q: re.compile(r"\\|" + re.escape(q)) for q in ("'", '"', "'''", '"""')}


def _is_ipython(content: str) -> bool:
    """A line that starts a statement and is IPython syntax, not Python."""
    s = content.strip()
    if not s or s[0] == "#":
        return False
    if s[0] in "%!?":
        return True
    word = s.split(None, 1)[0]
    if word in AUTOMAGICS and s[len(word) : len(word) + 1].isspace():
        rest = s[len(word) :].lstrip()
        scanner = _Scanner()
        scanner.feed(s)  # an open bracket or string: a Python statement that goes on
        complete = scanner.at_statement_start()
        return complete and not re.match(r"=(?!=)|[-+*/%&|^@]=", rest) and not parses(s)
    return _help_end(s)


def _help_end(s: str) -> bool:
    """``obj?`` / ``obj??``: help; ``?`` is no Python token outside strings. IPython reads
    ``x = !ls?`` as help too (``HelpEnd`` starts at the line's start: before the assignment)."""
    if "?" not in s:
        return False
    scanner = _Scanner()
    code = s[: scanner.feed(s)].rstrip()
    return not scanner.quote and code.endswith("?")


def _ipython_assignment(content: str, scanner: _Scanner) -> str | None:
    """The target and ``=`` of an IPython assignment (``files, = !ls``, ``d["k"] = %time f()``)
    on a line ``scanner`` was just fed, None if the line is no such assignment.

    IPython's rule (``SystemAssign`` / ``MagicAssign``): the first ``=`` of the statement outside
    brackets, followed by ``!`` or ``%name``; IPython does not look at the target at all (Python
    then accepts or refuses it), so neither do we. The ``=`` may be on a later line of the
    statement (``(out,\n err) = !cmd``), but not the first thing on its line."""
    at = scanner.assign_at
    if at is None or not content[:at].strip():
        return None
    return content[: at + 1] if _ASSIGNED_IPYTHON.match(content, at + 1) else None


#: line magics that set an environment variable, and IPython's automagic form of ``%env``
_ENV_MAGICS = ("%env", "%set_env", "env")


def env_assignment(content: str) -> tuple[str, str] | None:
    """``(name, value)`` when the line sets an environment variable to a literal value as
    IPython's ``%env`` / ``%set_env`` magic does (``%env WANDB_MODE=offline``, ``%env
    WANDB_MODE offline``, automagic ``env NAME=value``); None for any other line, and for a value
    IPython expands (``$name``, ``{expr}``) or a line continued with ``\\``.

    IPython's rule (``OSMagics.set_env``): split the argument at its first ``=`` if it has one,
    else at its first space; both sides stripped; a name with whitespace in it is refused. A
    ``#`` is part of the value (a line magic takes the rest of the line)."""
    s = content.strip()
    word, _, args = s.partition(" ")
    if word not in _ENV_MAGICS or any(c in args for c in "${}") or s.endswith("\\"):
        return None
    if word == "env":  # automagic: the argument is what follows the word and its blanks
        args = args.lstrip()
    split = "=" if "=" in args else " "
    if len(args.split(split)) < 2:
        return None  # ``%env`` lists, ``%env NAME`` gets
    name, value = (part.strip() for part in args.split(split, 1))
    if not name or re.search(r"\s", name):
        return None
    return name, value


def cell_magic(source: str) -> str | None:
    """The name of the cell magic on the first non-blank line (``%%time`` -> ``time``)."""
    for line in split_lines(source):
        s = line.strip()
        if s:
            return s[2:].split(None, 1)[0] if s.startswith("%%") and len(s) > 2 else None
    return None


class _NotebookEngine(Engine):
    """The engine on a notebook's module: a fix that would edit a masked IPython line is not
    offered. The line is written back byte for byte, and the Python it stands for (``%env``'s
    ``os.environ[...] = ...``) is not the magic: a fix of that Python is no fix of the magic."""

    def __init__(self, engine: Engine, tag: str) -> None:
        super().__init__(engine.rules, engine.settings)
        self._marker = re.compile(rf"#{tag}:\d+$")

    def check(
        self, tree: ast.Module, source: str, path: str | None = None
    ) -> tuple[list[Finding], list[RuleError]]:
        findings, errors = super().check(tree, source, path)
        masked = {
            n
            for n, line in enumerate(split_lines(source), 1)
            if self._marker.search(line.rstrip("\r\n"))
        }
        if masked:
            findings = [
                dataclasses.replace(f, fix=None) if _edits_lines(f, masked) else f for f in findings
            ]
        return findings, errors


def _edits_lines(finding: Finding, lines: set[int]) -> bool:
    """Whether the finding's fix edits any of ``lines`` (a line inserted before one does not)."""
    for e in finding.fix.edits if finding.fix else ():
        first, last = e.start[0], e.end[0]
        if e.start == e.end and e.start[1] == 0 and e.text.endswith("\n"):
            continue
        if e.end[1] == 0 and last > first:
            last -= 1  # up to the start of a line: that line is not edited
        if any(first <= n <= last for n in lines):
            return True
    return False


# -- the notebook ----------------------------------------------------------------------------------


@dataclass
class Cell:
    """One code cell: where its ``source`` sits in the JSON text and where its lines sit in the
    virtual module."""

    number: int  # 1-based among all the notebook's cells, markdown and raw too, as ruff counts
    index: int  # position in the notebook's cells (0-based): ``number - 1``
    code_number: int  # 1-based among the code cells only (In [N] after a run-all)
    id: str | None
    source: str  # the code, joined
    items: list[str] | None  # the list items when ``source`` is a list, else None
    span: tuple[int, int]  # the ``source`` value in the JSON text
    item_spans: list[tuple[int, int]]
    masked: str = ""
    #: marker -> (placeholder line without newline, original line without newline)
    masks: dict[str, tuple[str, str]] = field(default_factory=dict)
    skipped: str = ""  # why the cell is left out of the module ("" when it is checked)
    start: int = 0  # virtual line of the cell's marker; cell line L is virtual line start + L
    lines: list[str] = field(default_factory=list)  # the lines as the module holds them


class Notebook:
    def __init__(self, text: str) -> None:
        self.bom = text.startswith("\ufeff")
        self.text = text[1:] if self.bom else text
        try:
            data = json.loads(self.text)
        except ValueError as exc:
            raise NotebookError(f"not a notebook: invalid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise NotebookError("not a notebook: not a JSON object")
        if data.get("nbformat") != 4:
            raise NotebookError(f"not an nbformat 4 notebook (nbformat {data.get('nbformat')!r})")
        if not isinstance(data.get("cells"), list):
            raise NotebookError("not a notebook: no list of cells")
        self.data: dict[str, Any] = data
        meta = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
        info = meta["language_info"] if isinstance(meta.get("language_info"), dict) else {}
        kernel = meta["kernelspec"] if isinstance(meta.get("kernelspec"), dict) else {}
        self.language = str(info.get("name") or kernel.get("language") or "python").lower()
        self.ensure_ascii = (
            self.text.isascii()
            and re.search(r"\\u(?!00[0-7])[0-9a-fA-F]{4}", self.text) is not None
        )
        self.tag = next(t for t in (f"wbfx{n}" for n in itertools.count()) if t not in self.text)
        self.cells = self._code_cells()
        counter = itertools.count()
        for cell in self.cells:
            self._mask(cell, counter)
        self.tree: ast.Module | None = None
        self._starts: list[int] = []

    # reading -------------------------------------------------------------------------------------

    def _code_cells(self) -> list[Cell]:
        spans = _source_spans(self.text)
        cells: list[Cell] = []
        for index, raw in enumerate(self.data["cells"]):
            if not isinstance(raw, dict) or raw.get("cell_type") != "code":
                continue
            src = raw.get("source", "")
            if isinstance(src, list) and all(isinstance(s, str) for s in src):
                items: list[str] | None = list(src)
                joined = "".join(src)
            elif isinstance(src, str):
                items, joined = None, src
            else:
                raise NotebookError(f"not a notebook: the source of cell {index + 1} is not text")
            span, item_spans = spans.get(index, ((-1, -1), []))
            if "source" in raw and (span[0] < 0 or json.loads(self.text[span[0] : span[1]]) != src):
                raise NotebookError(
                    "not a notebook this tool can edit: duplicate or unexpected keys"
                )
            cid = raw.get("id")
            cells.append(
                Cell(
                    index + 1,
                    index,
                    len(cells) + 1,
                    cid if isinstance(cid, str) else None,
                    joined,
                    items,
                    span,
                    item_spans,
                )
            )
        return cells

    def _mask(self, cell: Cell, counter: Iterator[int]) -> None:
        lines = split_lines(cell.source)
        magic = cell_magic(cell.source)
        whole = magic is not None and magic not in PYTHON_BODY_MAGICS
        scanner = _Scanner()
        out: list[str] = []
        continued = False
        after_equals = False  # the line before ends with the statement's first ``=`` and a ``\``

        def mask(line: str, statement: bool, target: str | None = None) -> None:
            content = line.rstrip("\r\n")
            key = f"#{self.tag}:{next(counter)}"
            indent = content[: len(content) - len(content.lstrip())]
            env = env_assignment(content) if statement and target is None else None
            if target is not None:  # the target stays Python: the name is bound, as in IPython
                placeholder = f"{target} ...  {key}"
            elif env is not None:  # the Python it stands for: the rules read it as such
                os_name = f"{self.tag}_os"
                placeholder = (
                    f"{indent}import os as {os_name}; {os_name}.environ[{env[0]!r}] = {env[1]!r}"
                    f"  {key}"
                )
            elif not statement:
                placeholder = f"{indent}{key}"
            else:
                placeholder = f"{indent}pass  {key}"
            cell.masks[key] = (placeholder, content)
            out.append(placeholder + line[len(content) :])

        for line in lines:
            content = line.rstrip("\r\n")
            if whole or continued:
                if content.strip():
                    mask(line, statement=False)
                else:
                    out.append(line)
                continued = continued and content.endswith("\\")
                continue
            start = scanner.at_statement_start()
            escaped = start and (content.lstrip()[:1] in ("%", "!", "?") or _help_end(content))
            target: str | None = None
            if after_equals and _ASSIGNED_IPYTHON.match(content):  # ``x = \`` then ``!cmd``
                target = content[: len(content) - len(content.lstrip())]
            else:
                probe = copy.copy(scanner)
                probe.feed(line)
                target = None if escaped else _ipython_assignment(content, probe)
            after_equals = False
            if target is not None:
                mask(line, statement=True, target=target)
                scanner = _Scanner()  # the statement ends with the command (or its ``\``)
                continued = content.endswith("\\")
                continue
            if start and _is_ipython(content):
                mask(line, statement=True)
                continued = content.endswith("\\")
                continue
            scanner = probe
            at = scanner.assign_at
            after_equals = at is not None and content[at + 1 :].strip() == "\\"
            out.append(line)
        cell.masked = "".join(out)

    # the virtual module --------------------------------------------------------------------------

    def marker(self, cell: Cell) -> str:
        return f"#{self.tag}:cell{cell.number}\n"

    def virtual(self) -> str:
        parts: list[str] = []
        line = 1
        for cell in self.cells:
            cell.start = line
            body = "" if cell.skipped else cell.masked
            if body and not body.endswith(("\n", "\r")):
                body += "\n"
            cell.lines = split_lines(body)
            parts += [self.marker(cell), body]
            line += 1 + len(cell.lines)
        self._starts = [c.start for c in self.cells]
        return "".join(parts)

    def engine(self, engine: Engine) -> Engine:
        """``engine`` for this notebook's module: no fix edits a masked IPython line."""
        return _NotebookEngine(engine, self.tag)

    def original(self, cell: Cell, text: str) -> str | None:
        """The IPython line a line of the module masks (None for a line of Python)."""
        m = re.search(rf"#{self.tag}:\d+$", text.rstrip("\r\n"))
        return cell.masks[m.group()][1] if m and m.group() in cell.masks else None

    def on_ipython_line(self, line: int) -> bool:
        """Whether a line of the module masks an IPython line."""
        found = self.locate(line)
        return (
            found is not None and self.original(found[0], found[0].lines[found[1] - 1]) is not None
        )

    def locate(self, line: int) -> tuple[Cell, int] | None:
        """Virtual line -> (cell, line in the cell), None on a marker line."""
        at = bisect.bisect_right(self._starts, line) - 1
        if at < 0 or line - self.cells[at].start < 1:
            return None
        return self.cells[at], line - self.cells[at].start

    def prepare(self) -> str:
        """The virtual module, leaving out the cells that do not parse on their own (their
        ``skipped`` says why). Sets ``tree``."""
        for _ in range(len(self.cells) + 1):
            source = self.virtual()
            try:
                tree = ast.parse(source)
            except (SyntaxError, ValueError) as exc:
                bad = self._bad_cells() or self._cell_at(getattr(exc, "lineno", None), exc)
            else:
                spanning = [
                    s
                    for s in tree.body
                    if self._cell_of(s.lineno) is not self._cell_of(s.end_lineno or s.lineno)
                ]
                if not spanning:
                    self.tree = tree
                    return source
                bad = self._bad_cells() or self._cell_at(spanning[0].lineno, None)
            if not bad:
                break
        for cell in self.cells:  # pragma: no cover - defensive: a module that never parses
            cell.skipped = cell.skipped or "cannot parse"
        self.tree = ast.Module(body=[], type_ignores=[])
        return self.virtual()

    def _cell_of(self, line: int) -> Cell | None:
        found = self.locate(line)
        return found[0] if found else None

    def _bad_cells(self) -> list[Cell]:
        bad = []
        for cell in self.cells:
            if cell.skipped:
                continue
            try:
                ast.parse(cell.masked)
            except (SyntaxError, ValueError) as exc:
                bad.append(cell)
                cell.skipped = _parse_error(exc)
        return bad

    def _cell_at(self, line: int | None, exc: BaseException | None) -> list[Cell]:
        cell = self._cell_of(line) if line else None
        if cell is None:
            cell = next((c for c in reversed(self.cells) if not c.skipped), None)
        if cell is None:
            return []
        cell.skipped = (
            _parse_error(exc) if exc else "cannot parse: a statement continues into the next cell"
        )
        return [cell]

    # findings ------------------------------------------------------------------------------------

    def rows(self, path: str, findings: Sequence[Finding], unsafe: bool) -> list[report.Row]:
        rows = []
        starts = self._json_line_starts()
        for f in findings:
            found = self.locate(f.line)
            if found is None:
                continue
            cell, line = found
            end = self.locate(f.end_line)
            end_line, end_col = (end[1], f.end_col) if end and end[0] is cell else (line, f.col)
            text = cell.lines[min(line, len(cell.lines)) - 1] if cell.lines else ""
            end_text = cell.lines[min(end_line, len(cell.lines)) - 1] if cell.lines else ""
            col, end_col = report.char_col(text, f.col), report.char_col(end_text, end_col)
            magic = self.original(cell, text)
            if magic is not None:  # a finding on an IPython line (``%env``): the whole line
                end_line = line
                col, end_col = len(magic) - len(magic.lstrip()) + 1, len(magic) + 1
            rows.append(self.row(path, f, cell, (line, col), (end_line, end_col), unsafe, starts))
        return rows

    def row(
        self,
        path: str,
        f: Finding,
        cell: Cell,
        start: tuple[int, int],
        end: tuple[int, int],
        unsafe: bool,
        starts: list[int],
    ) -> report.Row:
        """A finding at ``start``/``end`` (line of the cell, 1-based character column)."""
        return report.Row(
            path=path,
            finding=dataclasses.replace(f, line=start[0], end_line=end[0]),
            col=start[1],
            end_col=end[1],
            fix=("safe" if f.fix.safe else "unsafe") if f.fix else "",
            applicable=applicable(f, unsafe),
            cell=report.Cell(
                number=cell.number,
                index=cell.index,
                code_number=cell.code_number,
                id=cell.id,
                file_line=self._file_line(cell, start[0], starts),
                end_file_line=self._file_line(cell, end[0], starts),
            ),
        )

    def _json_line_starts(self) -> list[int]:
        return _line_starts(self.text)

    def written_files(self) -> list[WrittenFile]:
        """The ``%%writefile NAME.py`` cells (``%%file`` too), whose bodies are Python files."""
        found = []
        for cell in self.cells:
            written = _written_file(cell)
            if written is not None:
                found.append(written)
        return found

    def _file_line(self, cell: Cell, line: int, starts: list[int]) -> int:
        """The line of the JSON text that holds line ``line`` of the cell (where an annotation
        on the ``.ipynb`` file itself belongs)."""
        offset = cell.span[0]
        if cell.items is not None and cell.item_spans:
            char = sum(len(x) for x in split_lines(cell.source)[: line - 1])
            ends = list(itertools.accumulate(len(x) for x in cell.items))
            at = min(bisect.bisect_right(ends, char), len(cell.item_spans) - 1)
            offset = cell.item_spans[at][0]
        return bisect.bisect_right(starts, offset)

    # writing back --------------------------------------------------------------------------------

    def split(self, source: str) -> dict[int, str]:
        """The fixed virtual module -> cell number -> the cell's masked text, as it would be
        stored (the newline the module added after a cell's last line removed)."""
        lines = split_lines(source)
        at = 0
        bodies: dict[int, str] = {}
        positions = []
        for cell in self.cells:
            try:
                at = lines.index(self.marker(cell), at)
            except ValueError:
                raise NotebookError("a fix moved code across cells; file left unchanged") from None
            positions.append(at)
        if positions and "".join(lines[: positions[0]]):
            raise NotebookError("a fix put code before the first cell; file left unchanged")
        for i, cell in enumerate(self.cells):
            end = positions[i + 1] if i + 1 < len(positions) else len(lines)
            body = "".join(lines[positions[i] + 1 : end])
            if not cell.skipped and not cell.masked.endswith(("\n", "\r")) and body.endswith("\n"):
                body = body[:-1]
            bodies[cell.number] = body
        return bodies

    def unmask(self, cell: Cell, body: str) -> str:
        """Put the IPython lines back, byte for byte. Raises NotebookError if a fix touched one."""
        if cell.skipped:
            if body:
                raise NotebookError(f"a fix changed cell {cell.number}, which does not parse")
            return cell.source
        out = []
        seen: set[str] = set()
        for line in split_lines(body):
            if f"#{self.tag}:" not in line:
                out.append(line)
                continue
            content = line.rstrip("\r\n")
            m = re.search(rf"#{self.tag}:\d+$", content)
            key = m.group() if m else ""
            if key not in cell.masks or key in seen or cell.masks[key][0] != content:
                raise NotebookError(f"a fix changed an IPython line of cell {cell.number}")
            seen.add(key)
            out.append(cell.masks[key][1] + line[len(content) :])
        if seen != set(cell.masks):
            raise NotebookError(f"a fix removed an IPython line of cell {cell.number}")
        return "".join(out)

    def render(self, sources: dict[int, str]) -> str:
        """The JSON text with the new sources (cell number -> code) spliced in. Raises
        NotebookError unless the result loads to the original notebook with exactly those
        sources replaced."""
        text = self.text
        expected = copy.deepcopy(self.data)
        by_number = {c.number: c for c in self.cells}
        for number in sorted(sources, key=lambda n: by_number[n].span[0], reverse=True):
            cell, new = by_number[number], sources[number]
            if cell.span[0] < 0:
                raise NotebookError(f"cell {number} has no source to edit")
            value, stored = self._value(cell, new)
            expected["cells"][cell.index]["source"] = stored
            text = text[: cell.span[0]] + value + text[cell.span[1] :]
        try:
            ok = json.loads(text) == expected
        except ValueError:
            ok = False
        if not ok:
            raise NotebookError(
                "the edited notebook would not match the original outside the fixed cells"
            )
        return ("\ufeff" if self.bom else "") + text

    def _value(self, cell: Cell, new: str) -> tuple[str, Any]:
        """The JSON text of a new ``source`` value in the cell's form and the file's layout,
        and the value it stands for."""
        dump = lambda s: json.dumps(s, ensure_ascii=self.ensure_ascii)  # noqa: E731
        if cell.items is None:
            return dump(new), new
        old, spans = cell.items, cell.item_spans
        # keep the items that did not change, byte for byte (whatever their splitting)
        head = 0  # an item that gains a continuation (its newline was missing) is not kept
        while head < len(old) and new.startswith("".join(old[: head + 1])):
            if not old[head].endswith(("\n", "\r")) and new != "".join(old[: head + 1]):
                break
            head += 1
        tail = 0  # kept at the end too, where they still start a line
        rest = new[len("".join(old[:head])) :]
        while tail < len(old) - head:
            kept = "".join(old[len(old) - tail - 1 :])
            before = rest[: len(rest) - len(kept)]
            if not rest.endswith(kept) or (before and not before.endswith(("\n", "\r"))):
                break
            tail += 1
        middle = rest[: len(rest) - len("".join(old[len(old) - tail :]))]
        raw = [self.text[a:b] for a, b in spans]
        new_items = old[:head] + _nb_lines(middle) + old[len(old) - tail :]
        new_raw = raw[:head] + [dump(s) for s in _nb_lines(middle)] + raw[len(raw) - tail :]
        if not new_raw:
            return "[]", []
        a, b = cell.span
        if spans:
            opening = self.text[a + 1 : spans[0][0]]
            closing = self.text[spans[-1][1] : b - 1]
            sep = self.text[spans[0][1] : spans[1][0]] if len(spans) > 1 else "," + opening
        else:  # an empty list: lay it out like the file's other lists
            line_start = self.text.rfind("\n", 0, a) + 1
            indent = re.match(r"[ \t]*", self.text[line_start:]).group()  # type: ignore[union-attr]
            unit = _indent_unit(self.text)
            newline = "\r\n" if "\r\n" in self.text else "\n"
            opening = newline + indent + unit if unit is not None else ""
            closing = newline + indent if unit is not None else ""
            sep = "," + opening
        return "[" + opening + sep.join(new_raw) + closing + "]", new_items


def _nb_lines(text: str) -> list[str]:
    """Split as Jupyter stores sources: lines keeping their ``\\n``."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _indent_unit(text: str) -> str | None:
    m = re.search(r"\n([ \t]+)\S", text)
    return m.group(1) if m else None


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _parse_error(exc: BaseException | None) -> str:
    line = getattr(exc, "lineno", None)
    msg = getattr(exc, "msg", None) or str(exc)
    return f"cannot parse{f' at line {line}' if line else ''}: {msg}"


def _ws(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]


def _object(text: str, i: int, walk: dict[str, Callable[[int], int]]) -> int:
    """Walk the JSON object at ``text[i] == "{"``; return its end. The value of a key in
    ``walk`` is handed to ``walk[key](start) -> end``; any other value is skipped (decoded once)."""
    i = _ws(text, i + 1)
    if text[i] == "}":
        return i + 1
    while True:
        if text[i] != '"':
            raise NotebookError("not a notebook: unexpected JSON")
        key, i = scanstring(text, i + 1)
        i = _ws(text, _ws(text, i) + 1)  # past ":"
        end = walk[key](i) if key in walk else _DECODER.raw_decode(text, i)[1]
        i = _ws(text, end)
        if text[i] == "}":
            return i + 1
        i = _ws(text, i + 1)  # past ","


def _array(text: str, i: int, item: Callable[[int, int], int]) -> int:
    """Walk the JSON array at ``text[i] == "["``, handing each item to ``item(index, start) ->
    end``; return the array's end."""
    i = _ws(text, i + 1)
    if text[i] == "]":
        return i + 1
    for index in itertools.count():
        i = _ws(text, item(index, i))
        if text[i] == "]":
            return i + 1
        i = _ws(text, i + 1)  # past ","
    raise AssertionError("unreachable")  # pragma: no cover


def _skip(text: str, i: int) -> int:
    return _DECODER.raw_decode(text, i)[1]


def _source_spans(text: str) -> dict[int, tuple[tuple[int, int], list[tuple[int, int]]]]:
    """Cell index -> (span of its ``source`` value, spans of the list items) in the JSON text,
    each byte decoded once or twice. The last of duplicate keys wins, as in ``json.loads``."""
    found: dict[int, tuple[tuple[int, int], list[tuple[int, int]]]] = {}

    def cell(index: int, start: int) -> int:
        def source(a: int) -> int:
            items: list[tuple[int, int]] = []

            def one(_: int, s: int) -> int:
                items.append((s, _skip(text, s)))
                return items[-1][1]

            b = _array(text, a, one) if text[a] == "[" else _skip(text, a)
            found[index] = ((a, b), items)
            return b

        return (
            _object(text, start, {"source": source}) if text[start] == "{" else _skip(text, start)
        )

    def cells(a: int) -> int:
        found.clear()  # a later "cells" key wins
        return _array(text, a, cell) if text[a] == "[" else _skip(text, a)

    _object(text, _ws(text, 0), {"cells": cells})
    return found


# -- %%writefile cells ----------------------------------------------------------------------------

#: the cell magics that write their body to a file, verbatim (IPython's ``%%file`` is an alias)
WRITEFILE_MAGICS = frozenset({"writefile", "file"})


@dataclass
class WrittenFile:
    """A ``%%writefile train.py`` cell. Its body is the file it writes, byte for byte (IPython
    expands nothing in a cell magic's body): linted as that module on its own (the notebook's
    names are not its names), its findings reported at the cell, its fixes written back into
    the cell, which writes the fixed file the next time it runs."""

    cell: Cell
    filename: str
    head: str  # the cell's text before the body: blank lines, then the magic's line
    body: str

    @property
    def offset(self) -> int:
        """Line L of the body is line ``offset + L`` of the cell."""
        return len(split_lines(self.head))

    def source_with(self, body: str) -> str:
        return self.head + body

    def rows(
        self, nb: Notebook, path: str, findings: Sequence[Finding], unsafe: bool
    ) -> list[report.Row]:
        lines = split_lines(self.body) or [""]
        starts = nb._json_line_starts()
        rows = []
        for f in findings:
            line, end_line = min(f.line, len(lines)), min(f.end_line, len(lines))
            start = (self.offset + line, report.char_col(lines[line - 1], f.col))
            end = (self.offset + end_line, report.char_col(lines[end_line - 1], f.end_col))
            rows.append(nb.row(path, f, self.cell, start, end, unsafe, starts))
        return rows

    def where(self, line: int) -> str:
        return f"cell {self.cell.number} line {self.offset + line}"


def _written_file(cell: Cell) -> WrittenFile | None:
    """The cell as a :class:`WrittenFile` when it writes a ``.py`` file with ``%%writefile``;
    None otherwise, and for ``-a`` (appending: the body is only part of the file) and a name
    IPython expands (``$name``, ``{expr}``)."""
    if cell_magic(cell.source) not in WRITEFILE_MAGICS:
        return None
    lines = split_lines(cell.source)
    first = next(i for i, line in enumerate(lines) if line.strip())
    args = lines[first].strip()[2:].split(None, 1)[1:]
    try:
        words = shlex.split(args[0]) if args else []
    except ValueError:
        return None
    if len(words) != 1 or not words[0].endswith(".py") or any(c in args[0] for c in "${}"):
        return None  # no name, options (``-a``), or a name we cannot know
    return WrittenFile(cell, words[0], "".join(lines[: first + 1]), "".join(lines[first + 1 :]))


def _lint_written(engine: Engine, written: WrittenFile, errors: list[str]) -> list[Finding] | None:
    """The findings of a written file; None (and an error) when it holds a trigger but does not
    parse, as for a ``.py`` file."""
    try:
        findings, internal = lint(engine, written.body)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        where = f" at line {written.offset + line}" if line else ""
        msg = getattr(exc, "msg", None) or str(exc)
        errors.append(
            f"cell {written.cell.number}: cannot parse{where}: {msg} (the file "
            f"{written.filename!r} it writes); cell skipped"
        )
        return None
    errors += [f"cell {written.cell.number}: {e}" for e in internal]
    return findings


# -- wandb-fix on one notebook ---------------------------------------------------------------------


def rebuild(
    nb: Notebook, fixed: str, extra: dict[int, str] | None = None
) -> tuple[str, dict[int, str]]:
    """The fixed virtual module (and ``extra``: new sources of cells outside it, the
    ``%%writefile`` cells) -> the new JSON text and the new code of each edited cell."""
    sources = {**cell_sources(nb, fixed), **(extra or {})}
    return nb.render(sources), sources


def cell_sources(nb: Notebook, fixed: str) -> dict[int, str]:
    """The fixed virtual module -> the new code of each edited cell. An import a fix needs is
    an edit of that fix, beside the notebook's own ``import wandb``: in the cell that imports
    wandb."""
    bodies = nb.split(fixed)
    sources: dict[int, str] = {}
    for cell in nb.cells:
        before, after = "" if cell.skipped else cell.masked, bodies[cell.number]
        if after == before:
            continue
        if not still_valid(before, after):
            raise NotebookError(f"the fixed cell {cell.number} would not compile")
        new = nb.unmask(cell, after)
        if new != cell.source:
            sources[cell.number] = new
    return sources


def _where(nb: Notebook, line: int) -> str:
    found = nb.locate(line)
    return f"cell {found[0].number} line {found[1]}" if found else f"line {line}"


def process(path: Path, options: Any, engine: Engine, result: Any) -> None:
    """wandb-fix on one notebook, in every mode; fills ``result`` (a ``fix.FileResult``)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        result.errors.append(f"not a notebook: not UTF-8 ({exc.reason}); file left unchanged")
        return
    if not engine.may_match(text):  # rule triggers are plain words, the same in JSON strings
        return
    try:
        nb = Notebook(text)
    except NotebookError as exc:
        result.errors.append(f"{exc}; file left unchanged")
        return
    if nb.language != "python":
        return
    source = nb.prepare()
    result.errors += [f"cell {c.number}: {c.skipped}; cell skipped" for c in nb.cells if c.skipped]
    name, unsafe = str(path), options.unsafe
    # keys the module cannot hold (``!wandb login <key>``, saved outputs): WB302 rows of their own
    outside = _keys_outside_code(nb, name) if _reports_keys(engine) else []
    written = [
        (w, found)
        for w in nb.written_files()
        if (found := _lint_written(engine, w, result.errors)) is not None
    ]
    file_engine, engine = engine, nb.engine(engine)

    def rows(module: Sequence[Finding], files: Sequence[Sequence[Finding]]) -> list[report.Row]:
        out = nb.rows(name, module, unsafe)
        for (w, _), found in zip(written, files):
            out += w.rows(nb, name, found, unsafe)
        return _merged(sorted(out, key=lambda r: r.cell.number if r.cell else 0), outside)

    if options.mode == "check":
        findings, errors = lint(engine, source, nb.tree, path=name)
        result.errors += errors
        result.rows = rows(findings, [found for _, found in written])
        return
    if options.mode == "add-noqa":
        _add_noqa(nb, engine, source, written, data, result, rows, name)
        return
    fixed, sources = _fix(nb, engine, source, unsafe, result.errors, path=name)
    fixed_files = []
    for w, _ in written:
        done = fix_source(file_engine, w.body, unsafe=unsafe)
        result.errors += done.errors + [
            f"{f.code} fix at {w.where(f.line)} reverted: {why}" for f, why in done.reverted
        ]
        fixed_files.append(done)
        if done.changed:
            sources[w.cell.number] = w.source_with(done.source)
    new_text = text
    if sources:
        try:
            new_text = nb.render(sources)
        except NotebookError as exc:
            result.errors.append(f"{exc}; file left unchanged")
            sources = {}
            fixed.applied = []
            for done in fixed_files:
                done.applied = []
    initial = rows(fixed.initial, [done.initial for done in fixed_files])
    if options.mode == "apply":
        result.rows_on_disk = initial
        if sources:
            _to_write(result, new_text, data)
            result.fixed = len(fixed.applied) + sum(len(done.applied) for done in fixed_files)
            result.rows = _merged(_relint(new_text, name, file_engine, unsafe), outside)
        else:
            result.rows = initial
        result.unsafe_more = sum(1 for r in result.rows if r.finding.fix and not r.finding.fix.safe)
        return
    result.rows = initial
    result.fixable = sum(1 for r in initial if r.applicable)
    result.unsafe_more = sum(1 for r in initial if r.fix and not r.applicable)
    keys = _key_texts(nb, source) | _magic_key_texts(nb)
    for w, _ in written:
        keys |= _key_texts_of(w.body, None)
    result.diff = diff(nb, sources, path, keys)


def _relint(text: str, name: str, engine: Engine, unsafe: bool) -> list[report.Row]:
    """The findings left in a notebook just fixed (what ``--apply`` reports)."""
    again = Notebook(text)
    source = again.prepare()
    findings, _ = lint(again.engine(engine), source, path=name)
    out = again.rows(name, findings, unsafe)
    for w in again.written_files():
        found = _lint_written(engine, w, [])
        out += w.rows(again, name, found or [], unsafe)
    return sorted(out, key=lambda r: r.cell.number if r.cell else 0)


def _add_noqa(
    nb: Notebook,
    engine: Engine,
    source: str,
    written: list[tuple[WrittenFile, list[Finding]]],
    data: bytes,
    result: Any,
    rows: Callable[[Sequence[Finding], Sequence[Sequence[Finding]]], list[report.Row]],
    name: str,
) -> None:
    findings, errors = lint(engine, source, nb.tree, path=name)
    result.errors += errors
    magic = [f for f in findings if nb.on_ipython_line(f.line)]
    silenced, skipped = add_noqa(source, [f for f in findings if f not in magic])
    for f in magic:  # a comment after ``%env NAME=value`` would be part of the value
        result.errors.append(
            f"{f.code} at {_where(nb, f.line)}: an IPython line cannot take a # noqa comment"
            " (the magic would read it as part of its argument)"
        )
    for f in skipped:
        result.errors.append(
            f"{f.code} at {_where(nb, f.line)}: no line of it can take a # noqa comment"
        )
    skipped += magic
    sources: dict[int, str] = {}
    skipped_files = []
    for w, found in written:
        body, left = add_noqa(w.body, found)
        for f in left:
            result.errors.append(
                f"{f.code} at {w.where(f.line)}: no line of it can take a # noqa comment"
            )
        if body != w.body and still_valid(w.body, body):
            sources[w.cell.number] = w.source_with(body)
        elif body != w.body:
            left = list(found)
            result.errors.append(f"cell {w.cell.number}: adding # noqa comments would break it")
        skipped_files.append(left)
    result.rows_on_disk = rows(findings, [found for _, found in written])
    result.rows = rows(skipped, skipped_files)
    if silenced == source and not sources:
        return
    try:
        new_text, _ = rebuild(nb, silenced, sources)
    except NotebookError as exc:
        result.errors.append(f"adding # noqa comments failed: {exc}; file left unchanged")
        return
    _to_write(result, new_text, data)
    result.fixed = sum(len(found) for found in [findings, *(f for _, f in written)]) - len(
        result.rows
    )


def _fix(
    nb: Notebook,
    engine: Engine,
    source: str,
    unsafe: bool,
    errors: list[str],
    path: str | None = None,
) -> tuple[FixResult, dict[int, str]]:
    """Fix the virtual module, then split it back into cells: the fixed result and the new code
    of each edited cell."""
    fixed = fix_source(engine, source, unsafe=unsafe, path=path)
    errors += fixed.errors + _reverted(nb, fixed)
    if not fixed.changed:
        return fixed, {}
    try:
        sources = cell_sources(nb, fixed.source)
    except NotebookError as exc:
        errors.append(f"{exc}; file left unchanged")
        fixed.applied = []
        return fixed, {}
    return fixed, sources


def _reverted(nb: Notebook, fixed: FixResult) -> list[str]:
    return [f"{f.code} fix at {_where(nb, f.line)} reverted: {why}" for f, why in fixed.reverted]


def _to_write(result: Any, text: str, old: bytes) -> None:
    """What to write, for ``fix.commit`` (the parent process writes, atomically, and not over a
    notebook changed since it was read)."""
    result.old_data, result.new_data = old, text.encode("utf-8")


def _key_texts(nb: Notebook, source: str) -> set[str]:
    """The text of every API-key literal the secrets finder sees in the notebook's code,
    whatever the selection and ``# noqa`` say."""
    if nb.tree is None:
        return set()
    return _key_texts_of(source, nb.tree, nb)


def _key_texts_of(source: str, tree: ast.Module | None, nb: Notebook | None = None) -> set[str]:
    """The key texts of a module (``nb``: the notebook whose virtual module it is, where a key
    on a masked ``%env`` line is the value as the line holds it)."""
    if tree is None:
        try:
            tree = parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return set()
    lines = split_lines(source)
    texts: set[str] = set()
    for (l1, c1), (l2, c2) in redact.tree_key_spans(tree, source):
        found = nb.locate(l1) if nb else None
        magic = nb.original(found[0], lines[l1 - 1]) if nb and found else None
        env = env_assignment(magic) if magic is not None else None
        if env is not None:  # ``%env WANDB_API_KEY=<key>``: the key as the line holds it
            texts.add(env[1])
            continue
        for n in range(l1, min(l2, len(lines)) + 1):
            raw = lines[n - 1].rstrip("\r\n").encode("utf-8")
            piece = raw[c1 if n == l1 else 0 : c2 if n == l2 else len(raw)]
            texts.add(piece.decode("utf-8", "replace").strip())
    return {t for t in texts if t}


def diff(nb: Notebook, sources: dict[int, str], path: Path, secrets: set[str]) -> str:
    """A unified diff of each edited cell's code (not of the JSON), with API keys masked."""
    out = []
    for cell in nb.cells:
        if cell.number not in sources:
            continue
        out.append(
            "".join(
                difflib.unified_diff(
                    _diff_lines(cell.source),
                    _diff_lines(sources[cell.number]),
                    f"a/{path.as_posix()}:cell {cell.number}",
                    f"b/{path.as_posix()}:cell {cell.number}",
                )
            )
        )
    text = "".join(out)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, redact.MASK)  # a diff must not leak an API key
    return redact.mask_text(text)  # nor anything shaped like one


def _diff_lines(source: str) -> list[str]:
    lines = split_lines(source)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"  # Jupyter stores a cell's last line without one: nothing to show
    return lines


# -- keys outside the code: %env lines and saved outputs (WB302) -----------------------------------

#: ``!wandb login <key>``: an IPython line the module never sees (it is masked), so the secrets
#: finder cannot (``%env WANDB_API_KEY=<key>`` is masked as the ``os.environ`` write it stands for)
_LOGIN_SHELL = re.compile(r"\s*!\s*wandb\s+login\s+(?:--\S+\s+)*(?P<value>[^\s-]\S*)\s*$")
#: a key-shaped run in printed text; a 40-hex run right after a hash's word (``commit 1a2b...``,
#: ``HEAD is now at``, ``sha256:``) is the hash
_KEY_IN_OUTPUT = re.compile(
    r"(?<![\w-])(?:" + "|".join((facts.V1_KEY, facts.ONPREM_KEY, facts.LEGACY_KEY)) + r")(?![\w-])"
)


def _reports_keys(engine: Engine) -> bool:
    return any(rule.code == "WB302" for rule in engine.rules)


def _magic_lines(cell: Cell) -> list[tuple[int, str, str]]:
    """(line in the cell, what it is, the key) of each IPython line that holds a key."""
    found = []
    for number, line in enumerate(split_lines(cell.source), 1):
        content = line.rstrip("\r\n")
        m = _LOGIN_SHELL.match(content)
        if m and facts.is_api_key(m.group("value")):
            found.append((number, "!wandb login ...", m.group("value")))
    return found


def _output_keys(raw: Any) -> list[str]:
    """The key-shaped runs in a cell's saved outputs (every string in them)."""
    keys: list[str] = []
    stack = [raw.get("outputs")] if isinstance(raw, dict) else []
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            for m in _KEY_IN_OUTPUT.finditer(item):
                before = re.findall(r"[A-Za-z0-9]+", item[max(0, m.start() - 24) : m.start()])
                if re.fullmatch(facts.LEGACY_KEY, m.group()) and any(
                    facts.is_hash_name(w) or w.lower() == "at" for w in before[-2:]
                ):
                    continue
                keys.append(m.group())
    return keys


def _keys_outside_code(nb: Notebook, path: str) -> list[report.Row]:
    """WB302 rows for keys the module cannot hold: ``%env WANDB_API_KEY=<key>`` (and
    ``!wandb login <key>``) at its line, a key in a cell's saved outputs at the cell's first
    line. No fix: the line must go by hand and the output be cleared; never printed."""
    rows: list[report.Row] = []
    starts = _line_starts(nb.text)
    message = secrets.MESSAGE
    for cell in nb.cells:
        places = [(line, where) for line, where, _ in _magic_lines(cell)]
        if _output_keys(nb.data["cells"][cell.index]):
            places.append((1, f"a saved output of cell {cell.number} (clear it)"))
        for line, where in places:
            text = split_lines(cell.source)[line - 1] if cell.source else ""
            indent = len(text) - len(text.lstrip())
            finding = Finding(
                code="WB302",
                name="hardcoded-api-key",
                message=message.format(where=where),
                line=line,
                col=indent,
                end_line=line,
                end_col=len(text.rstrip("\r\n").encode("utf-8")),
            )
            rows.append(
                report.Row(
                    path=path,
                    finding=finding,
                    col=indent + 1,
                    end_col=report.char_col(text, finding.end_col),
                    fix="",
                    applicable=False,
                    cell=report.Cell(
                        number=cell.number,
                        index=cell.index,
                        code_number=cell.code_number,
                        id=cell.id,
                        file_line=nb._file_line(cell, line, starts),
                        end_file_line=nb._file_line(cell, line, starts),
                    ),
                )
            )
    return rows


def _merged(rows: list[report.Row], more: list[report.Row]) -> list[report.Row]:
    if not more:
        return rows
    where = lambda r: (r.cell.number if r.cell else 0, r.finding.line, r.finding.col)  # noqa: E731
    return sorted(rows + more, key=where)


def _magic_key_texts(nb: Notebook) -> set[str]:
    """The keys of IPython lines, masked in the diff like the module's keys."""
    return {key for cell in nb.cells for _, _, key in _magic_lines(cell)}
