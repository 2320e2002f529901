"""wandb-fix's one pipeline: the four modes (check, diff, apply, add-noqa), written once for
every kind of document (a Python file, a notebook: document.py, notebook.py). A worker process
prepares each file's result; the parent process writes (``commit``), never a worker.
"""

from __future__ import annotations

import enum
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from . import notebook, report, signals, versions
from .defaults import DEFAULT_STEP_NAMES
from .document import Document, PythonFile
from .engine import DISPLAY_ONLY, UNSAFE, Engine, Settings
from .files import ChangedOnDisk, SourceError, Unwritable, write_atomic, write_target
from .rules import select


class Mode(str, enum.Enum):
    """What wandb-fix does with each document."""

    DIFF = "diff"  # the findings and the diff of the fixes (the default)
    APPLY = "apply"  # write the fixes
    CHECK = "check"  # lint only
    ADD_NOQA = "add-noqa"  # silence every finding with a # noqa comment

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Options:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    step_names: tuple[str, ...] = DEFAULT_STEP_NAMES
    #: what the target wandb accepts, resolved once per run (versions.resolve) in options_from
    wandb: versions.WandbFacts = versions.PINNED
    mode: Mode = Mode.DIFF
    unsafe: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", Mode(self.mode))  # "apply" reads as Mode.APPLY

    def engine(self) -> Engine:
        rules = select(self.select, self.ignore, self.extend_select, self.extend_ignore)
        return Engine(rules, Settings(self.step_names, self.wandb))


@dataclass
class FileResult:
    path: str
    rows: list[report.Row] = field(default_factory=list)
    diff: str = ""
    fixed: int = 0
    fixable: int = 0
    unsafe_more: int = 0
    errors: list[str] = field(default_factory=list)
    #: files left alone on purpose (a read-only file, a link out of the tree), with the reason
    notes: list[str] = field(default_factory=list)
    #: what to write (the parent process writes, never a worker), over the bytes read
    new_data: bytes | None = field(default=None, repr=False)
    old_data: bytes = field(default=b"", repr=False)
    #: the findings as the file stands on disk, reported instead when the write does not happen
    rows_on_disk: list[report.Row] = field(default_factory=list)
    #: the fixes (would) import wandb_runtime: the project needs wandb-runtime (dependencies.py)
    needs_runtime: bool = False


_ENGINES: dict[Options, Engine] = {}


def _engine(options: Options) -> Engine:
    if options not in _ENGINES:
        _ENGINES[options] = options.engine()
    return _ENGINES[options]


def open_document(path: Path, options: Options, errors: list[str]) -> Document | None:
    """The document at ``path``; None when there is nothing to check in it (a notebook
    without a trigger word, in another language, or one that cannot be read: ``errors``)."""
    engine = _engine(options)
    data = path.read_bytes()
    if notebook.is_notebook(path):
        return notebook.open_notebook(path, data, engine, options.unsafe, errors)
    return PythonFile(path, data, engine, options.unsafe)


def process(path: Path, options: Options) -> FileResult:
    """Lint and fix one file; what to write is left in ``new_data`` for ``commit``. Never raises:
    problems become errors. Warnings from compiling the user's code (SyntaxWarning on an invalid
    escape) are not ours to print."""
    result = FileResult(str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _process(path, options, result)
        except (SyntaxError, ValueError) as exc:  # ValueError: NUL bytes on older Pythons
            line = getattr(exc, "lineno", None)
            where = f" at line {line}" if line else ""
            result.errors.append(
                f"cannot parse{where}: {getattr(exc, 'msg', exc)}; file left unchanged"
            )
        except SourceError as exc:
            result.errors.append(f"{exc}; file left unchanged")
        except OSError as exc:
            result.errors.append(f"cannot read: {exc.strerror or exc}")
        except RecursionError:
            result.errors.append("too deeply nested to analyse; file left unchanged")
        except MemoryError:  # the parser's own limit ("too complex"), or a file too large
            result.errors.append(
                "too complex or too large for Python's parser (MemoryError); file left unchanged"
            )
        except Exception as exc:  # a bug of ours must not stop the other files
            result.errors.append(
                f"internal error ({type(exc).__name__}: {exc}); file left unchanged, please report"
            )
    return result


def _process(path: Path, options: Options, result: FileResult) -> None:
    doc = open_document(path, options, result.errors)
    if doc is None:
        return
    result.errors += doc.errors
    if options.mode is Mode.CHECK:
        checked = doc.check()
        result.errors += checked.errors
        result.rows = checked.rows
        return
    if options.mode is Mode.ADD_NOQA:
        silenced = doc.add_noqa()
        result.errors += silenced.errors
        result.rows_on_disk, result.rows = silenced.on_disk, silenced.left
        if silenced.text is not None:
            try:
                noqa_data = doc.encode(silenced.text)
            except SourceError as exc:  # reported as the file stands
                result.errors.append(f"{exc}; file left unchanged")
                result.rows = result.rows_on_disk
                return
            result.new_data, result.old_data = noqa_data, doc.data
            result.fixed = silenced.count
        return
    fixed = doc.fix()
    result.errors += fixed.errors
    result.needs_runtime = fixed.needs_runtime
    new_data: bytes | None = None
    if fixed.text is not None:
        try:
            new_data = doc.encode(fixed.text)
        except SourceError as exc:  # the document cannot take the fix byte for byte: as found
            result.errors.append(f"{exc}; file left unchanged")
            result.rows = fixed.initial
            for row in result.rows:
                row.applicability, row.applicable = (
                    None,
                    False,
                )  # no fix is offered that cannot be written
            result.needs_runtime = False
            return
    if options.mode is Mode.APPLY:
        result.rows_on_disk, result.rows = fixed.initial, fixed.remaining
        result.fixed = fixed.applied
        if new_data is not None:  # only then the bytes read travel, to compare before the write
            result.new_data, result.old_data = new_data, doc.data
    else:
        result.rows = fixed.initial
        result.fixable = fixed.applied
        if options.mode is Mode.DIFF and any(r.applicability is DISPLAY_ONLY for r in result.rows):
            fixed = doc.fix(display=True)  # display-only fixes are shown in the diff, never written
        if fixed.text is not None:
            result.diff = doc.diff(fixed.text)
    result.unsafe_more = _unsafe_more(result.rows)


def _unsafe_more(rows: Sequence[report.Row]) -> int:
    """Findings whose (unsafe) fix only ``--unsafe-fixes`` writes."""
    return sum(1 for row in rows if row.applicability is UNSAFE and not row.applicable)


def commit(result: FileResult, options: Options, roots: Sequence[Path]) -> None:
    """Write what ``process`` prepared (in the parent process only: a killed run stops writing).
    When the write does not happen, the findings are reported as the file stands on disk."""
    if result.new_data is None:
        return
    path = Path(result.path)
    try:
        with signals.deferred():
            write_atomic(write_target(path, roots), result.new_data, result.old_data)
        return
    except Unwritable as exc:
        result.notes.append(str(exc))
    except ChangedOnDisk as exc:
        result.errors.append(str(exc))
        if path.exists():  # report what is there now
            again = process(path, replace(options, mode=Mode.CHECK))
            result.rows_on_disk, result.errors = again.rows, result.errors + again.errors
        else:
            result.rows_on_disk = []
    except OSError as exc:
        result.errors.append(f"cannot write: {exc.strerror or exc}; file left unchanged")
    result.rows = result.rows_on_disk
    result.fixed = 0
    result.unsafe_more = _unsafe_more(result.rows)


def run(
    files: list[Path], options: Options, jobs: int = 1, roots: Sequence[Path] = ()
) -> list[FileResult]:
    """Process files (in worker processes with ``jobs`` > 1) and write the fixes here, in this
    process, as results arrive: once this process stops, nothing is written any more."""
    jobs = os.cpu_count() or 1 if jobs == 0 else max(1, jobs)
    roots = list(roots) or [Path.cwd().resolve()]
    progress = _Progress(len(files))
    results: list[FileResult] = []

    def done(result: FileResult) -> None:
        commit(result, options, roots)
        result.new_data, result.old_data = None, b""  # one file's bytes at a time, not the tree's
        results.append(result)
        progress.step()

    if jobs == 1 or len(files) < 2:
        for path in files:
            done(process(path, options))
    else:
        import multiprocessing

        workers = min(jobs, len(files))
        chunk = max(1, min(32, len(files) // (workers * 4) or 1))
        pool = multiprocessing.Pool(
            workers, initializer=signals.worker_init, initargs=(os.getpid(),)
        )
        try:
            for result in pool.imap(partial(process, options=options), files, chunksize=chunk):
                done(result)
            pool.close()
        finally:
            pool.terminate()  # on an interrupt too: the workers end with this process
            pool.join()
    progress.done()
    return results


class _Progress:
    """A one-line progress bar on a terminal, for trees large enough to wait for."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.count = 0
        self.enabled = total >= 200 and sys.stderr.isatty()

    def step(self) -> None:
        self.count += 1
        if self.enabled and (self.count % 20 == 0 or self.count == self.total):
            width = 30
            filled = width * self.count // self.total
            sys.stderr.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {self.count}/{self.total}"
            )
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 60 + "\r")
