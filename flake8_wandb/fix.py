"""wandb-fix: lint and fix W&B anti-patterns without flake8.

    wandb-fix [PATH ...]                 dry run: diffs of the fixes, findings, a summary
    wandb-fix --apply [PATH ...]         write the safe fixes
    wandb-fix --apply --unsafe-fixes     write the unsafe ones too
    wandb-fix --check [PATH ...]         lint only (for teams that run ruff, not flake8)

Jupyter notebooks (.ipynb) are read and fixed too: their code cells are one module, findings
say the cell (``train.ipynb:cell 3:2:5``), and only the edited cells' sources change.

Exit codes: 0 nothing left, 1 findings left, 2 an error (a file that does not parse or decode,
a file changed on disk while being fixed, an internal error, bad options).
"""

from __future__ import annotations

import argparse
import difflib
import keyword
import os
import re
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from . import __version__, dependencies, notebook, redact, report, rule_info, versions
from .defaults import DEFAULT_STEP_NAMES
from .engine import Engine, Finding, Settings, Span, printable, split_lines
from .files import (
    ChangedOnDisk,
    Skipped,
    SourceError,
    Unwritable,
    decode,
    discover,
    encode_like,
    write_atomic,
    write_target,
)
from .fixer import FixResult, NoqaMap, add_noqa, applicable, fix_source, lint, still_valid
from .rules import UnknownRule, select

CONFIG_TABLE = "flake8-wandb"


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
    mode: str = "diff"  # "diff", "apply", "check" or "add-noqa"
    unsafe: bool = False

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
    if notebook.is_notebook(path):
        notebook.process(path, options, _engine(options), result)
        return
    data = path.read_bytes()
    source, encoding = decode(data)
    engine = _engine(options)
    if options.mode == "check":
        findings, errors = lint(engine, source, path=str(path))
        result.errors += errors
        result.rows = _rows(result.path, source, findings, options.unsafe)
        return
    if options.mode == "add-noqa":
        findings, errors = lint(engine, source, path=str(path))
        result.errors += errors
        result.rows_on_disk = _rows(result.path, source, findings, options.unsafe)
        silenced, skipped = add_noqa(source, findings)
        for f in skipped:
            result.errors.append(
                f"{f.code} at line {f.line}: no line of it can take a # noqa comment"
            )
        noqa = NoqaMap(silenced)
        gone = {id(f) for f in skipped}
        unread = [f for f in findings if id(f) not in gone and not noqa.silences(f)]
        for f in unread:
            result.errors.append(
                f"{f.code} at line {f.line}: a '# noqa' inside a string on that line comes first, "
                "and flake8 reads that one, not the comment written; move the text off the line"
            )
        result.rows = _rows(result.path, source, skipped + unread, options.unsafe)
        if silenced != source:
            if not still_valid(source, silenced):  # the same check as for fixes
                result.errors.append("adding # noqa comments would break the file; left unchanged")
                return
            try:
                result.new_data = encode_like(data, source, silenced, encoding)
            except SourceError as exc:  # reported as the file stands
                result.errors.append(f"{exc}; file left unchanged")
                result.rows = result.rows_on_disk
                return
            result.old_data = data
            result.fixed = len(findings) - len(skipped) - len(unread)
        return
    fixed = fix_source(engine, source, unsafe=options.unsafe, path=str(path))
    result.errors += fixed.errors
    for finding, why in fixed.reverted:
        result.errors.append(f"{finding.code} fix at line {finding.line} reverted: {why}")
    result.needs_runtime = any(
        dependencies.DISTRIBUTION in f.fix.requires for f in fixed.applied if f.fix
    )
    new_data = None
    if fixed.changed:
        try:
            new_data = encode_like(data, source, fixed.source, encoding)
        except SourceError as exc:  # the file cannot take the fix byte for byte: as found
            result.errors.append(f"{exc}; file left unchanged")
            result.rows = _rows(result.path, source, fixed.initial, options.unsafe)
            for row in result.rows:
                row.fix, row.applicable = "", False  # no fix is offered that cannot be written
            result.needs_runtime = False
            return
    if options.mode == "apply":
        result.rows_on_disk = _rows(result.path, source, fixed.initial, options.unsafe)
        result.rows = _rows(result.path, fixed.source, fixed.remaining, options.unsafe)
        _not_applicable(result.rows, fixed)
        result.fixed = len(fixed.applied)
        result.unsafe_more = sum(
            1 for f in fixed.remaining if f.fix and not applicable(f, options.unsafe)
        )
        if new_data is not None:  # only then the bytes read travel, to compare before the write
            result.new_data, result.old_data = new_data, data
        return
    findings = fixed.initial
    result.rows = _rows(result.path, source, findings, options.unsafe)
    _not_applicable(result.rows, fixed)
    result.fixable = len(fixed.applied)  # what --apply writes: not what it would revert
    result.unsafe_more = sum(1 for f in findings if f.fix and not applicable(f, options.unsafe))
    if fixed.changed:
        old_spans = _key_spans(engine, source, fixed.initial)
        new_spans = _key_spans(engine, fixed.source, fixed.remaining)
        result.diff = unified_diff(
            path, source, fixed.source, old_spans, new_spans, bom=encoding == "utf-8-sig"
        )


def _key_spans(engine: Engine, source: str, findings: Sequence[Finding]) -> list[Span]:
    """The key literals of ``source``, whatever the selection and ``# noqa`` say, as the secrets
    finder knows them (see redact.py)."""
    return redact.key_spans(source)


def commit(result: FileResult, options: Options, roots: Sequence[Path]) -> None:
    """Write what ``process`` prepared (in the parent process only: a killed run stops writing).
    When the write does not happen, the findings are reported as the file stands on disk."""
    if result.new_data is None:
        return
    path = Path(result.path)
    try:
        with _signals_deferred():
            write_atomic(write_target(path, roots), result.new_data, result.old_data)
        return
    except Unwritable as exc:
        result.notes.append(str(exc))
    except ChangedOnDisk as exc:
        result.errors.append(str(exc))
        if path.exists():  # report what is there now
            again = process(path, replace(options, mode="check"))
            result.rows_on_disk, result.errors = again.rows, result.errors + again.errors
        else:
            result.rows_on_disk = []
    except OSError as exc:
        result.errors.append(f"cannot write: {exc.strerror or exc}; file left unchanged")
    result.rows = result.rows_on_disk
    result.fixed = 0
    result.unsafe_more = sum(1 for r in result.rows if r.fix == "unsafe" and not r.applicable)


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


def _not_applicable(rows: Sequence[report.Row], fixed: FixResult) -> None:
    """Rows whose fix was reverted (it would break the file): no fix is offered for them."""
    reverted = {(f.code, f.line, f.col) for f, _ in fixed.reverted}
    for row in rows:
        if (row.finding.code, row.finding.line, row.finding.col) in reverted:
            row.fix, row.applicable = "", False


def _rows(path: str, source: str, findings: Sequence[Finding], unsafe: bool) -> list[report.Row]:
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
            fix=("safe" if f.fix.safe else "unsafe") if f.fix else "",
            applicable=applicable(f, unsafe),
        )
        for f in findings
    ]


# -- configuration ---------------------------------------------------------------------------------


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10
        import tomli as tomllib
    with open(path, "rb") as f:
        return tomllib.load(f)


class ConfigError(Exception):
    """A bad option or configuration value: one line naming the file, the key and what was
    expected; exit 2."""


def _our_table(path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: [tool]: expected a table, got {tool!r}")
    table = tool.get(CONFIG_TABLE)
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{CONFIG_TABLE}]: expected a table, got {table!r}")
    return table


def find_config(
    start: Path, warnings_out: list[str] | None = None
) -> tuple[Path | None, dict[str, Any]]:
    """The closest ``pyproject.toml`` above ``start`` with a ``[tool.flake8-wandb]`` table. A
    pyproject.toml that is not valid TOML is an error when it mentions flake8-wandb (it is
    probably ours) and is passed over otherwise (another project's broken file must not stop
    the run), with a warning naming it."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if not candidate.is_file():
            continue
        try:
            data = _load_toml(candidate)
        except ValueError as exc:  # tomllib.TOMLDecodeError
            try:
                ours = CONFIG_TABLE in candidate.read_text(encoding="utf-8", errors="replace")
            except OSError:
                ours = False
            if ours:
                raise ConfigError(f"{candidate}: invalid TOML: {exc}") from None
            if warnings_out is not None:
                warnings_out.append(
                    f"{candidate}: invalid TOML, passed over (no [tool.{CONFIG_TABLE}] in it)"
                )
            continue
        table = _our_table(candidate, data)
        if table is not None:
            return candidate, table
    return None, {}


_LIST_KEYS = (
    "select", "ignore", "extend-select", "extend-ignore", "exclude", "extend-exclude",
    "step-names", "wandb-step-names",
)  # fmt: skip
#: the flake8 option names, and 0.1's names that wandb-fix still reads
_STEP_KEYS = ("wandb-step-names", "step-names")
_TARGET_KEYS = ("wandb-target-version", "target-wandb-version")
_SELECTOR_KEYS = ("select", "ignore", "extend-select", "extend-ignore")


def validate_config(path: Path | None, config: dict[str, Any]) -> None:
    """Every value of ``[tool.flake8-wandb]`` type-checked once, before anything runs."""
    where = f"{path}: [tool.{CONFIG_TABLE}]" if path else f"[tool.{CONFIG_TABLE}]"
    unknown = set(config) - KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
    for key in _LIST_KEYS:
        if key not in config:
            continue
        value = config[key]
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            raise ConfigError(f"{where} {key}: expected a list of strings, got {value!r}")
        if key in _STEP_KEYS:
            _check_step_names(f"{where} {key}", items)
        elif key in _SELECTOR_KEYS and not _as_tuple(items):
            raise ConfigError(
                f"{where} {key}: expected codes, prefixes or names, got an empty value"
            )
    given = [key for key in _TARGET_KEYS if key in config]
    if len(given) > 1:
        raise ConfigError(f"{where}: {' and '.join(given)} both given; keep one")
    for key in _TARGET_KEYS:
        if key in config:
            versions.check_target_version(config[key], f"{where} {key}")  # BadTargetVersion
    if "unsafe-fixes" in config and not isinstance(config["unsafe-fixes"], bool):
        raise ConfigError(
            f"{where} unsafe-fixes: expected true or false, got {config['unsafe-fixes']!r}"
        )


def _check_step_names(where: str, names: Sequence[str]) -> None:
    bad = [n.strip() for n in names if not n.strip().isidentifier() or keyword.iskeyword(n.strip())]
    if bad:
        raise ConfigError(f"{where}: expected Python names, got {', '.join(map(repr, bad))}")


def validate_args(args: argparse.Namespace) -> None:
    """Command-line values that parse but make no sense: an empty selector, junk step names."""
    for flag in ("select", "extend_select", "ignore", "extend_ignore"):
        value = getattr(args, flag)
        if value is not None and not _as_tuple(value):
            raise ConfigError(
                f"--{flag.replace('_', '-')}: expected codes, prefixes or names, got an empty value"
            )
    if args.step_names is not None:
        if not _as_tuple(args.step_names):
            raise ConfigError("--wandb-step-names: expected Python names, got an empty value")
        _check_step_names("--wandb-step-names", args.step_names.split(","))
    versions.check_target_version(args.target_wandb_version, "--wandb-target-version")


def load_options(args: argparse.Namespace, warnings_out: list[str] | None = None) -> Options:
    """Options from the command line and the config file, every value checked. Raises
    ConfigError with one line that names the file, the key and what was expected."""
    try:
        if args.config:
            given = Path(args.config)
            try:
                data = _load_toml(given)
            except ValueError as exc:
                raise ConfigError(f"{given}: invalid TOML: {exc}") from None
            config = _our_table(given, data) or {}
            config_path: Path | None = given
        else:
            config_path, config = find_config(Path.cwd(), warnings_out)
        validate_config(config_path, config)
        validate_args(args)
        options = options_from(args, config)
        options.engine()  # validates the selectors before any file is read
    except (UnknownRule, OSError, ValueError) as exc:
        raise ConfigError(str(exc)) from None
    return options


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(str(v).strip() for v in value if str(v).strip())


KNOWN_KEYS = {
    "select", "ignore", "extend-select", "extend-ignore", "exclude", "extend-exclude",
    "step-names", "target-wandb-version", "unsafe-fixes",
    "wandb-step-names", "wandb-target-version",
}  # fmt: skip


def _project_root(paths: Sequence[str] | None) -> Path | None:
    """The project whose declared wandb is the target: the one holding the first path."""
    first = Path(paths[0]) if paths else Path.cwd()
    return dependencies.find_root(first if first.exists() else Path.cwd())


def options_from(args: argparse.Namespace, config: dict[str, Any]) -> Options:
    unknown = set(config) - KNOWN_KEYS
    if unknown:
        raise UnknownRule(f"unknown key(s) in [tool.{CONFIG_TABLE}]: {', '.join(sorted(unknown))}")

    def pick(arg: str | None, key: str) -> tuple[str, ...]:
        return _as_tuple(arg) if arg is not None else _as_tuple(config.get(key))

    step_key = next((k for k in _STEP_KEYS if k in config), _STEP_KEYS[0])
    target_key = next((k for k in _TARGET_KEYS if k in config), _TARGET_KEYS[0])
    target = (
        args.target_wandb_version
        if args.target_wandb_version is not None
        else config.get(target_key)
    )
    mode = (
        "apply"
        if args.apply
        else "check"
        if args.check
        else "add-noqa"
        if args.add_noqa
        else "diff"
    )
    return Options(
        select=pick(args.select, "select"),
        ignore=pick(args.ignore, "ignore"),
        extend_select=pick(args.extend_select, "extend-select"),
        extend_ignore=pick(args.extend_ignore, "extend-ignore"),
        exclude=pick(args.exclude, "exclude") + pick(args.extend_exclude, "extend-exclude"),
        step_names=pick(args.step_names, step_key) or DEFAULT_STEP_NAMES,
        # once per run, before any rule runs; the project of the first path declares its wandb
        wandb=versions.resolve(target, _project_root(getattr(args, "paths", None))),
        mode=mode,
        unsafe=args.unsafe_fixes or bool(config.get("unsafe-fixes", False)),
    )


# -- command line ----------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wandb-fix",
        description=__doc__.split("\n\n")[0],
        epilog="Exit codes: 0 nothing left, 1 findings left, 2 an error.",
    )
    p.add_argument("paths", nargs="*", default=["."], help="files and folders (default: .)")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--apply", action="store_true", help="write the fixes")
    action.add_argument("--check", action="store_true", help="lint only; exit 1 on findings")
    action.add_argument(
        "--add-noqa",
        action="store_true",
        help="silence every finding with a # noqa: CODE comment (adopting a rule)",
    )
    action.add_argument(
        "--diff", action="store_true", help="show the diff without writing (the default)"
    )
    p.add_argument(
        "--unsafe-fixes", action="store_true", help="also apply fixes that change behaviour"
    )
    p.add_argument("--select", help="codes, prefixes or names to run instead of the defaults")
    p.add_argument("--extend-select", help="codes, prefixes or names to add (opt-in rules)")
    p.add_argument("--ignore", help="codes, prefixes or names to skip")
    p.add_argument("--extend-ignore", help="more codes, prefixes or names to skip")
    p.add_argument("--exclude", help="comma-separated glob patterns of paths to skip")
    p.add_argument("--extend-exclude", help="more patterns to skip")
    p.add_argument(
        "--no-gitignore", action="store_true", help="do not skip what .gitignore ignores"
    )
    p.add_argument(
        "--wandb-step-names",
        "--step-names",
        dest="step_names",
        metavar="NAMES",
        help="comma-separated names the WB101 fix may pass as step=",
    )
    p.add_argument(
        "--wandb-target-version",
        "--target-wandb-version",
        dest="target_wandb_version",
        metavar="VERSION",
        help="wandb version WB306/WB307 target; wins over the project's declared wandb requirement "
        "and the installed wandb (default: the declared requirement, else the installed, else 0.31.0)",
    )
    p.add_argument("--config", help="pyproject.toml to read [tool.flake8-wandb] from")
    p.add_argument(
        "--format",
        choices=sorted(report.FORMATS),
        default="text",
        help="text: findings, the diff and a summary (default); json: a list of findings with their "
        "fixes; github: GitHub Actions annotations; sarif: SARIF 2.1.0 for code scanning",
    )
    p.add_argument(
        "--list-rules",
        action="store_true",
        help="list every rule (code, name, default, fix safety) and exit",
    )
    p.add_argument(
        "--explain",
        metavar="CODE|NAME",
        help="print a rule's page (what, why, example, fix) and exit",
    )
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument(
        "-j", "--jobs", type=int, default=1, help="files processed in parallel (0 = all cores)"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no summary line")
    p.add_argument("--version", action="version", version=f"wandb-fix {__version__}")
    return p


class Interrupted(BaseException):
    """SIGTERM, turned into an exception so that pending writes are cleaned up. A BaseException,
    like KeyboardInterrupt: the ``except Exception`` that keeps one file's bug (or one rule's)
    from stopping the others must never swallow it, wherever the signal lands."""


_writing = False
_pending_signal: BaseException | None = None


def _on_signal(signum: int, frame: Any) -> None:
    """SIGTERM and Ctrl-C stop the run, but never in the middle of writing a file: there the
    signal waits until the file is whole (and its temp file gone)."""
    global _pending_signal
    exc: BaseException = KeyboardInterrupt() if signum == signal.SIGINT else Interrupted(signum)
    if _writing:
        _pending_signal = exc
        return
    raise exc


@contextmanager
def _signals_deferred() -> Iterator[None]:
    global _writing, _pending_signal
    _writing = True
    try:
        yield
    finally:
        _writing = False
        if _pending_signal is not None:
            exc, _pending_signal = _pending_signal, None
            raise exc


def main(argv: Sequence[str] | None = None) -> int:
    with _printable_output():
        return _main(argv)


@contextmanager
def _printable_output() -> Iterator[None]:
    """Print what the output's encoding cannot hold as escapes (a cp1252 console, an ``ascii``
    PYTHONIOENCODING): a file name or message must never crash the run after its writes and
    lose the summary."""
    previous = []
    for stream in (sys.stdout, sys.stderr):
        errors = getattr(stream, "errors", None)
        if hasattr(stream, "reconfigure") and errors in ("strict", "surrogateescape"):
            try:
                stream.reconfigure(errors="backslashreplace")
                previous.append((stream, errors))
            except (ValueError, OSError):
                pass
    try:
        yield
    finally:
        for stream, errors in previous:
            try:
                stream.reconfigure(errors=errors)
            except (ValueError, OSError):
                pass


def _main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.list_rules or args.explain:
        return _rule_info(args)
    config_warnings: list[str] = []
    try:
        options = load_options(args, config_warnings)
    except ConfigError as exc:
        print(redact.mask_text(f"wandb-fix: error: {exc}"), file=sys.stderr)
        return 2
    for warning in config_warnings:
        print(redact.mask_text(f"wandb-fix: warning: {warning}"), file=sys.stderr)
    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        skipped: Skipped = []
        files = discover(
            args.paths, options.exclude, use_gitignore=not args.no_gitignore, skipped=skipped
        )
        results = run(files, options, jobs=args.jobs, roots=_roots(args.paths))
        return emit(results, options, args, skipped)
    except (KeyboardInterrupt, Interrupted) as exc:
        sys.stderr.write(
            "\nwandb-fix: interrupted; each file is either unchanged or completely fixed\n"
        )
        return 143 if isinstance(exc, Interrupted) else 130
    except BrokenPipeError:  # ``wandb-fix | head``: the reader is gone, so is the output
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _roots(paths: Sequence[str]) -> list[Path]:
    """The trees being fixed: a symlink is written through only to a target inside them."""
    roots = [Path.cwd().resolve()]
    for raw in paths:
        p = Path(raw)
        roots.append((p if p.is_dir() else p.parent).resolve())
    return roots


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
        pool = multiprocessing.Pool(workers, initializer=_worker_init, initargs=(os.getpid(),))
        try:
            for result in pool.imap(partial(process, options=options), files, chunksize=chunk):
                done(result)
            pool.close()
        finally:
            pool.terminate()  # on an interrupt too: the workers end with this process
            pool.join()
    progress.done()
    return results


def _worker_init(parent: int) -> None:
    """A worker leaves signals to the parent (Ctrl-C reaches the whole process group) and ends
    when the parent does, even on SIGKILL: PR_SET_PDEATHSIG on Linux, a watchdog elsewhere."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)

    def watchdog() -> None:
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watchdog, daemon=True).start()


def emit(
    results: list[FileResult],
    options: Options,
    args: argparse.Namespace,
    skipped: Sequence[tuple[Path, str]] = (),
) -> int:
    """Print the results. Everything printed goes through the key mask (redact.py)."""
    rows = [row for r in results for row in r.rows]
    errors = [(r.path, e) for r in results for e in r.errors]
    notes = [(str(p), why) for p, why in skipped] + [(r.path, n) for r in results for n in r.notes]
    colour = args.color == "always" or (
        args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    )

    def out(text: str, stream: Any = sys.stdout) -> None:
        stream.write(redact.mask_text(text))

    if args.format == "text":
        if rows:
            out(report.text(rows) + "\n")
        if options.mode == "diff":
            for r in results:
                if r.diff:
                    out(report.colour_diff(r.diff, colour))
    else:
        out(report.FORMATS[args.format](rows) + "\n")
    sys.stdout.flush()
    for path, message in notes:
        out(report.warning_line(path, message) + "\n", sys.stderr)
    for path, message in errors:
        out(report.error_line(path, message) + "\n", sys.stderr)
    if not args.quiet:
        line = report.summary(
            found=len(rows),
            fixed=sum(r.fixed for r in results),
            fixable=sum(r.fixable for r in results),
            unsafe_more=sum(r.unsafe_more for r in results),
            files=len({r.path for r in rows}),
            errors=len(errors),
            mode=options.mode,
            checked=len(results),
            skipped=len(notes),
        )
        out(f"{line}; target: {options.wandb.source}\n", sys.stderr)
    needing = [Path(r.path) for r in results if r.needs_runtime]
    # --apply wrote code that needs a package the project does not declare: fail, as --check
    # does, so that CI notices before the training image does (said even with --quiet)
    missing = options.mode == "apply" and bool(needing) and dependencies.undeclared(needing)
    if not args.quiet or missing:
        for dep_line in dependencies.summary_lines(needing, options.mode):
            out(f"wandb-fix: {printable(dep_line)}\n", sys.stderr)
    if errors:
        return 2
    return 1 if rows or missing else 0


def _rule_info(args: argparse.Namespace) -> int:
    """--list-rules / --explain (rule_info.py)."""
    if args.explain:
        page = rule_info.explain(args.explain)
        if page is None:
            print(f"wandb-fix: error: {rule_info.unknown(args.explain)}", file=sys.stderr)
            return 2
        print(page, end="")
        try:
            target = versions.resolve(args.target_wandb_version, _project_root(args.paths))
            print(f"wandb-fix: target: {target.source}", file=sys.stderr)
        except versions.BadTargetVersion as exc:
            print(f"wandb-fix: error: {exc}", file=sys.stderr)
            return 2
        return 0
    try:
        print(rule_info.as_json() if args.format == "json" else rule_info.table())
        sys.stdout.flush()
    except BrokenPipeError:  # wandb-fix --list-rules | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


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


if __name__ == "__main__":
    sys.exit(main())
