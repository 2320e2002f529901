"""Jupyter notebooks (``.ipynb``, nbformat 4) for wandb-fix, without any new dependency.

The code cells, in order, are one module (the *virtual module*): a run created in cell 2 and
logged in cell 7 resolves as in a script. Each cell is preceded there by a marker comment, so that
the fixed module splits back into cells. IPython syntax (``%magic``, ``!shell``, ``x = !cmd``,
``obj?``, a ``%%bash`` cell) is masked line by line with a placeholder that parses (``pass`` at the
line's indentation, with a marker comment) and is put back byte for byte after fixing. A cell
that still does not parse is left out of the module (reported, never edited).

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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]  # real, but not in typeshed
from pathlib import Path
from typing import Any

from . import redact, report
from .engine import Engine, Finding, split_lines
from .fixer import (
    FixResult,
    add_noqa,
    applicable,
    fix_source,
    lint,
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

_ASSIGN_MAGIC = re.compile(r"[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*(?=[!%])")
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

    def at_statement_start(self) -> bool:
        return self.depth == 0 and not self.quote and not self.continued

    def feed(self, line: str) -> int:
        """Scan one line; return where its comment starts (the line's length if none)."""
        body = line.rstrip("\r\n")
        comment = len(body)
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
            if c in "\"'":
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


_CODE = re.compile(r"[#\"'()\[\]{}]")
_IN_STRING = {q: re.compile(r"\\|" + re.escape(q)) for q in ("'", '"', "'''", '"""')}


def _is_ipython(content: str) -> bool:
    """A line that starts a statement and is IPython syntax, not Python."""
    s = content.strip()
    if not s or s[0] == "#":
        return False
    if s[0] in "%!?" or _ASSIGN_MAGIC.match(s):
        return True
    word = s.split(None, 1)[0]
    if word in AUTOMAGICS and s[len(word) : len(word) + 1].isspace():
        rest = s[len(word) :].lstrip()
        scanner = _Scanner()
        scanner.feed(s)  # an open bracket or string: a Python statement that goes on
        complete = scanner.at_statement_start()
        return complete and not re.match(r"=(?!=)|[-+*/%&|^@]=", rest) and not parses(s)
    if "?" in s:  # ``obj?`` / ``obj??``: help; ``?`` is no Python token outside strings
        scanner = _Scanner()
        code = s[: scanner.feed(s)].rstrip()
        return not scanner.quote and code.endswith("?")
    return False


def cell_magic(source: str) -> str | None:
    """The name of the cell magic on the first non-blank line (``%%time`` -> ``time``)."""
    for line in split_lines(source):
        s = line.strip()
        if s:
            return s[2:].split(None, 1)[0] if s.startswith("%%") and len(s) > 2 else None
    return None


# -- the notebook ----------------------------------------------------------------------------------


@dataclass
class Cell:
    """One code cell: where its ``source`` sits in the JSON text and where its lines sit in the
    virtual module."""

    number: int  # 1-based among the code cells: "cell 3" (In [3] after a run-all)
    index: int  # position in the notebook's cells
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
                raise NotebookError(
                    f"not a notebook: the source of cell {len(cells) + 1} is not text"
                )
            span, item_spans = spans.get(index, ((-1, -1), []))
            if "source" in raw and (span[0] < 0 or json.loads(self.text[span[0] : span[1]]) != src):
                raise NotebookError(
                    "not a notebook this tool can edit: duplicate or unexpected keys"
                )
            cid = raw.get("id")
            cells.append(
                Cell(
                    len(cells) + 1,
                    index,
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

        def mask(line: str, statement: bool) -> None:
            content = line.rstrip("\r\n")
            key = f"#{self.tag}:{next(counter)}"
            indent = content[: len(content) - len(content.lstrip())]
            assign = _ASSIGN_MAGIC.match(content.lstrip()) if statement else None
            if not statement:
                placeholder = f"{indent}{key}"
            elif assign:
                placeholder = f"{indent}{assign.group().rstrip()} ...  {key}"
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
            if scanner.at_statement_start() and _is_ipython(content):
                mask(line, statement=True)
                continued = content.endswith("\\")
                continue
            scanner.feed(line)
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
        starts = _line_starts(self.text)
        for f in findings:
            found = self.locate(f.line)
            if found is None:
                continue
            cell, line = found
            end = self.locate(f.end_line)
            end_line, end_col = (end[1], f.end_col) if end and end[0] is cell else (line, f.col)
            text = cell.lines[min(line, len(cell.lines)) - 1] if cell.lines else ""
            end_text = cell.lines[min(end_line, len(cell.lines)) - 1] if cell.lines else ""
            rows.append(
                report.Row(
                    path=path,
                    finding=dataclasses.replace(f, line=line, end_line=end_line),
                    col=report.char_col(text, f.col),
                    end_col=report.char_col(end_text, end_col),
                    fix=("safe" if f.fix.safe else "unsafe") if f.fix else "",
                    applicable=applicable(f, unsafe),
                    cell=report.Cell(
                        number=cell.number,
                        index=cell.index,
                        id=cell.id,
                        file_line=self._file_line(cell, line, starts),
                        end_file_line=self._file_line(cell, end_line, starts),
                    ),
                )
            )
        return rows

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


# -- wandb-fix on one notebook ---------------------------------------------------------------------


def rebuild(nb: Notebook, fixed: str) -> tuple[str, dict[int, str]]:
    """The fixed virtual module -> the new JSON text and the new code of each edited cell. An
    import a fix needs is an edit of that fix, beside the notebook's own ``import wandb``: in
    the cell that imports wandb."""
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
    return nb.render(sources), sources


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
    name = str(path)
    if options.mode == "check":
        findings, errors = lint(engine, source, nb.tree, path=name)
        result.errors += errors
        result.rows = nb.rows(name, findings, options.unsafe)
        return
    if options.mode == "add-noqa":
        findings, errors = lint(engine, source, nb.tree, path=name)
        result.errors += errors
        silenced, skipped = add_noqa(source, findings)
        for f in skipped:
            result.errors.append(
                f"{f.code} at {_where(nb, f.line)}: no line of it can take a # noqa comment"
            )
        result.rows_on_disk = nb.rows(name, findings, options.unsafe)
        result.rows = nb.rows(name, skipped, options.unsafe)
        if silenced != source:
            try:
                new_text, _ = rebuild(nb, silenced)
            except NotebookError as exc:
                result.errors.append(f"adding # noqa comments failed: {exc}; file left unchanged")
                return
            _to_write(result, new_text, data)
            result.fixed = len(findings) - len(skipped)
        return
    fixed, new_text, sources = _fix(
        nb, engine, source, options.unsafe, text, result.errors, path=name
    )
    if options.mode == "apply":
        result.rows_on_disk = nb.rows(name, fixed.initial, options.unsafe)
        if sources:
            _to_write(result, new_text, data)
            result.fixed = len(fixed.applied)
            again = Notebook(new_text)
            findings, _ = lint(engine, again.prepare(), path=name)
            result.rows = again.rows(name, findings, options.unsafe)
        else:
            result.rows = nb.rows(name, fixed.initial, options.unsafe)
        result.unsafe_more = sum(1 for r in result.rows if r.finding.fix and not r.finding.fix.safe)
        return
    result.rows = nb.rows(name, fixed.initial, options.unsafe)
    result.fixable = sum(1 for f in fixed.initial if applicable(f, options.unsafe))
    result.unsafe_more = sum(
        1 for f in fixed.initial if f.fix and not applicable(f, options.unsafe)
    )
    result.diff = diff(nb, sources, path, _key_texts(nb, source))


def _fix(
    nb: Notebook,
    engine: Engine,
    source: str,
    unsafe: bool,
    text: str,
    errors: list[str],
    path: str | None = None,
) -> tuple[FixResult, str, dict[int, str]]:
    """Fix the virtual module, then write the cells back: the fixed result, the new JSON text
    and the new code of each edited cell."""
    fixed = fix_source(engine, source, unsafe=unsafe, path=path)
    errors += fixed.errors + _reverted(nb, fixed)
    if not fixed.changed:
        return fixed, text, {}
    try:
        new_text, sources = rebuild(nb, fixed.source)
    except NotebookError as exc:
        errors.append(f"{exc}; file left unchanged")
        fixed.applied = []
        return fixed, text, {}
    return fixed, new_text, sources


def _reverted(nb: Notebook, fixed: FixResult) -> list[str]:
    return [f"{f.code} fix at {_where(nb, f.line)} reverted: {why}" for f, why in fixed.reverted]


def _to_write(result: Any, text: str, old: bytes) -> None:
    """What to write, for ``fix.commit`` (the parent process writes, atomically, and not over a
    notebook changed since it was read)."""
    result.old_data, result.new_data = old, text.encode("utf-8")


def _key_texts(nb: Notebook, source: str) -> set[str]:
    """The text of every API-key literal WB302 sees in the notebook's code, whatever the
    selection and ``# noqa`` say (``Finding.secrets`` holds the key or its source span)."""
    from .rules.hardcoded_api_key import HardcodedApiKey

    if nb.tree is None:
        return set()
    findings, _ = Engine([HardcodedApiKey]).check(nb.tree, source)
    lines = split_lines(source)
    texts: set[str] = set()
    for f in findings:
        for secret in f.secrets:
            if isinstance(secret, str):
                texts.add(secret)
                continue
            (l1, c1), (l2, c2) = secret
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
