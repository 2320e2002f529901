"""Jupyter notebooks (``.ipynb``, nbformat 4) for wandb-fix, without any new dependency: the
notebook as a document of the pipeline (:class:`NotebookFile`).

The code cells, in order, are one module (the *virtual module*): a run created in cell 2 and
logged in cell 7 resolves as in a script. Each cell is preceded there by a marker comment, so that
the fixed module splits back into cells. IPython syntax is masked line by line
(notebook_magics.py) and put back byte for byte after fixing; no fix edits a masked line. A
cell that still does not parse is left out of the module (reported, never edited). A
``%%writefile NAME.py`` cell is a module of its own: the file it writes.

Cells are numbered as ruff, Jupyter and VS Code number them: every cell from 1, markdown and raw
included.

A notebook is never re-serialized: the new ``source`` of each edited cell is spliced into the
original JSON text (notebook_json.py), and the result must load to exactly the original
notebook with those sources replaced, or nothing is written."""

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wandb_runtime import facts

from . import redact, report
from .analysis import secrets
from .document import Checked, Document, Fixed, Silenced, requires_runtime
from .engine import Engine, Finding, RuleError, split_lines
from .fixer import FixResult, add_noqa, applicable, fix_source, lint, parse, still_valid
from .notebook_json import NotebookError, line_starts, source_spans, source_value
from .notebook_magics import cell_magic, env_assignment, mask

__all__ = [
    "Notebook",
    "NotebookError",
    "NotebookFile",
    "env_assignment",
    "open_notebook",
    "rebuild",
]

SUFFIX = ".ipynb"


def is_notebook(path: Path) -> bool:
    return path.suffix == SUFFIX


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
            cell.masked, cell.masks = mask(cell.source, self.tag, counter)
        self.tree: ast.Module | None = None
        self._starts: list[int] = []

    # reading -------------------------------------------------------------------------------------

    def _code_cells(self) -> list[Cell]:
        spans = source_spans(self.text)
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
        starts = self._jsonline_starts()
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
            applicability=f.fix.applicability if f.fix else None,
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

    def _jsonline_starts(self) -> list[int]:
        return line_starts(self.text)

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
            if not cell.skipped and _all_crlf(cell.masked):
                # the newline the module added after the cell's last line is LF, and a line a
                # fix inserts after it copies that; the cell keeps its own CRLF endings
                body = re.sub(r"(?<!\r)\n", "\r\n", body)
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
            value, stored = self.value(cell, new)
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

    def value(self, cell: Cell, new: str) -> tuple[str, Any]:
        """The JSON text of ``new`` as the cell's ``source``, in its form and the file's
        layout, and the value it stands for (notebook_json.py)."""
        return source_value(
            self.text, cell.span, cell.items, cell.item_spans, new, self.ensure_ascii
        )


def _parse_error(exc: BaseException | None) -> str:
    line = getattr(exc, "lineno", None)
    msg = getattr(exc, "msg", None) or str(exc)
    return f"cannot parse{f' at line {line}' if line else ''}: {msg}"


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
        starts = nb._jsonline_starts()
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


def open_notebook(
    path: Path, data: bytes, engine: Engine, unsafe: bool, errors: list[str]
) -> NotebookFile | None:
    """The notebook at ``path`` as a document; None when there is nothing to check in it (no
    trigger word, another language) or it cannot be read (then ``errors`` says why)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.append(f"not a notebook: not UTF-8 ({exc.reason}); file left unchanged")
        return None
    if not engine.may_match(text):  # rule triggers are plain words, the same in JSON strings
        return None
    try:
        nb = Notebook(text)
    except NotebookError as exc:
        errors.append(f"{exc}; file left unchanged")
        return None
    if nb.language != "python":
        return None
    return NotebookFile(path, data, text, nb, engine, unsafe)


class NotebookFile(Document):
    """A notebook as wandb-fix's pipeline sees it: its code cells are one module (with the
    ``%%writefile`` cells as modules of their own), positions are cells and their lines, the
    fixed module is spliced back into the JSON text, and the diff is of the edited cells."""

    def __init__(
        self, path: Path, data: bytes, text: str, nb: Notebook, engine: Engine, unsafe: bool
    ) -> None:
        self.path, self.data, self.text, self.nb, self.unsafe = path, data, text, nb, unsafe
        self.name = str(path)
        self.source = nb.prepare()
        self.errors = [f"cell {c.number}: {c.skipped}; cell skipped" for c in nb.cells if c.skipped]
        # keys the module cannot hold (``!wandb login <key>``, saved outputs): WB302 rows
        self.outside = _keys_outside_code(nb, self.name) if _reports_keys(engine) else []
        self.written = [
            (w, found)
            for w in nb.written_files()
            if (found := _lint_written(engine, w, self.errors)) is not None
        ]
        self.file_engine, self.engine = engine, nb.engine(engine)
        self._sources: dict[int, str] = {}

    def rows(
        self, module: Sequence[Finding], files: Sequence[Sequence[Finding]]
    ) -> list[report.Row]:
        out = self.nb.rows(self.name, module, self.unsafe)
        for (w, _), found in zip(self.written, files):
            out += w.rows(self.nb, self.name, found, self.unsafe)
        return _merged(sorted(out, key=lambda r: r.cell.number if r.cell else 0), self.outside)

    def check(self) -> Checked:
        findings, errors = lint(self.engine, self.source, self.nb.tree, path=self.name)
        return Checked(self.rows(findings, [found for _, found in self.written]), errors)

    def add_noqa(self) -> Silenced:
        nb, source, written = self.nb, self.source, self.written
        findings, errors = lint(self.engine, source, nb.tree, path=self.name)
        magic = [f for f in findings if nb.on_ipython_line(f.line)]
        silenced, skipped = add_noqa(source, [f for f in findings if f not in magic])
        for f in magic:  # a comment after ``%env NAME=value`` would be part of the value
            errors.append(
                f"{f.code} at {_where(nb, f.line)}: an IPython line cannot take a # noqa comment"
                " (the magic would read it as part of its argument)"
            )
        for f in skipped:
            errors.append(
                f"{f.code} at {_where(nb, f.line)}: no line of it can take a # noqa comment"
            )
        skipped += magic
        sources: dict[int, str] = {}
        skipped_files = []
        for w, found in written:
            body, left = add_noqa(w.body, found)
            for f in left:
                errors.append(
                    f"{f.code} at {w.where(f.line)}: no line of it can take a # noqa comment"
                )
            if body != w.body and still_valid(w.body, body):
                sources[w.cell.number] = w.source_with(body)
            elif body != w.body:
                left = list(found)
                errors.append(f"cell {w.cell.number}: adding # noqa comments would break it")
            skipped_files.append(left)
        out = Silenced(
            self.rows(findings, [found for _, found in written]),
            self.rows(skipped, skipped_files),
            errors,
        )
        if silenced == source and not sources:
            return out
        try:
            out.text, _ = rebuild(nb, silenced, sources)
        except NotebookError as exc:
            out.errors.append(f"adding # noqa comments failed: {exc}; file left unchanged")
            return out
        out.count = sum(len(found) for found in [findings, *(f for _, f in written)]) - len(
            out.left
        )
        return out

    def fix(self, display: bool = False) -> Fixed:  # display-only fixes: .py files only, for now
        nb, errors = self.nb, list[str]()
        fixed, sources = _fix(nb, self.engine, self.source, self.unsafe, errors, path=self.name)
        fixed_files = []
        for w, _ in self.written:
            done = fix_source(self.file_engine, w.body, unsafe=self.unsafe)
            errors += done.errors + [
                f"{f.code} fix at {w.where(f.line)} reverted: {why}" for f, why in done.reverted
            ]
            fixed_files.append(done)
            if done.changed:
                sources[w.cell.number] = w.source_with(done.source)
        new_text = self.text
        if sources:
            try:
                new_text = nb.render(sources)
            except NotebookError as exc:
                errors.append(f"{exc}; file left unchanged")
                sources = {}
                fixed.applied = []
                for done in fixed_files:
                    done.applied = []
        self._sources = sources
        initial = self.rows(fixed.initial, [done.initial for done in fixed_files])
        if not sources:
            return Fixed(initial, initial, errors)
        return Fixed(
            initial,
            _merged(_relint(new_text, self.name, self.file_engine, self.unsafe), self.outside),
            errors,
            text=new_text,
            applied=len(fixed.applied) + sum(len(done.applied) for done in fixed_files),
            needs_runtime=requires_runtime(
                [*fixed.applied, *(f for done in fixed_files for f in done.applied)]
            ),
        )

    def encode(self, text: str) -> bytes:
        return text.encode("utf-8")

    def diff(self, text: str) -> str:
        keys = _key_texts(self.nb, self.source) | _magic_key_texts(self.nb)
        for w, _ in self.written:
            keys |= _key_texts_of(w.body, None)
        return diff(self.nb, self._sources, self.path, keys)


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
    starts = line_starts(nb.text)
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
                message=secrets.KeyHardcoded(where=where).text,
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
                    applicability=None,
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


def _all_crlf(text: str) -> bool:
    """Whether every line of ``text`` that ends, ends in CRLF (and at least one does)."""
    return (
        "\r\n" in text
        and text.count("\n") == text.count("\r\n")
        and "\r" not in text.replace("\r\n", "")
    )
