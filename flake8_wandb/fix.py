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
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import __version__, notebook, report
from .defaults import DEFAULT_STEP_NAMES
from .engine import Engine, Finding, Settings, split_lines
from .files import ChangedOnDisk, SourceError, decode, discover, write_atomic
from .fixer import add_noqa, applicable, fix_source, lint, still_valid
from .rules import UnknownRule, select

CONFIG_TABLE = "flake8-wandb"


@dataclass(frozen=True)
class Options:
    select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    extend_ignore: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = ()
    step_names: Tuple[str, ...] = DEFAULT_STEP_NAMES
    target_wandb_version: Optional[str] = None
    mode: str = "diff"  # "diff", "apply", "check" or "add-noqa"
    unsafe: bool = False

    def engine(self) -> Engine:
        rules = select(self.select, self.ignore, self.extend_select, self.extend_ignore)
        return Engine(rules, Settings(self.step_names, self.target_wandb_version))


@dataclass
class FileResult:
    path: str
    rows: List[report.Row] = field(default_factory=list)
    diff: str = ""
    fixed: int = 0
    fixable: int = 0
    unsafe_more: int = 0
    errors: List[str] = field(default_factory=list)


_ENGINES: Dict[Options, Engine] = {}


def _engine(options: Options) -> Engine:
    if options not in _ENGINES:
        _ENGINES[options] = options.engine()
    return _ENGINES[options]


def process(path: Path, options: Options) -> FileResult:
    """Lint, fix and (with --apply) write one file. Never raises: problems become errors."""
    result = FileResult(str(path))
    try:
        if notebook.is_notebook(path):
            notebook.process(path, options, _engine(options), result)
            return result
        data = path.read_bytes()
        source, encoding = decode(data)
        engine = _engine(options)
        if options.mode == "check":
            findings, errors = lint(engine, source)
            result.errors += errors
            result.rows = _rows(result.path, source, findings, options.unsafe)
            return result
        if options.mode == "add-noqa":
            findings, errors = lint(engine, source)
            result.errors += errors
            silenced, skipped = add_noqa(source, findings)
            for f in skipped:
                result.errors.append(f"{f.code} at line {f.line}: no line of it can take a # noqa comment")
            if silenced != source:
                if not still_valid(source, silenced):  # the same check as for fixes
                    result.errors.append("adding # noqa comments would break the file; left unchanged")
                    return result
                write_atomic(path, silenced.encode(encoding), data)
                result.fixed = len(findings) - len(skipped)
            result.rows = _rows(result.path, source, skipped, options.unsafe)
            return result
        fixed = fix_source(engine, source, unsafe=options.unsafe)
        result.errors += fixed.errors
        for finding, why in fixed.reverted:
            result.errors.append(f"{finding.code} fix at line {finding.line} reverted: {why}")
        if options.mode == "apply":
            result.rows = _rows(result.path, fixed.source, fixed.remaining, options.unsafe)
            result.fixed = len(fixed.applied)
            result.unsafe_more = sum(1 for f in fixed.remaining if f.fix and not f.fix.safe)
            if fixed.changed:
                write_atomic(path, fixed.source.encode(encoding), data)
        else:
            findings = fixed.initial
            result.rows = _rows(result.path, source, findings, options.unsafe)
            result.fixable = sum(1 for f in findings if applicable(f, options.unsafe))
            result.unsafe_more = sum(1 for f in findings if f.fix and not applicable(f, options.unsafe))
        if fixed.changed and options.mode == "diff":
            diff = "".join(
                difflib.unified_diff(
                    split_lines(source),
                    split_lines(fixed.source),
                    f"a/{path.as_posix()}",
                    f"b/{path.as_posix()}",
                )
            )
            for secret in {s for row in result.rows for s in row.finding.secrets}:
                diff = diff.replace(secret, "<redacted>")  # a diff must not leak an API key
            result.diff = diff
    except (SyntaxError, ValueError) as exc:  # ValueError: NUL bytes on older Pythons
        line = getattr(exc, "lineno", None)
        where = f" at line {line}" if line else ""
        result.errors.append(f"cannot parse{where}: {getattr(exc, 'msg', exc)}; file left unchanged")
    except SourceError as exc:
        result.errors.append(f"{exc}; file left unchanged")
    except ChangedOnDisk as exc:
        result.errors.append(str(exc))
    except OSError as exc:
        result.errors.append(f"cannot read or write: {exc.strerror or exc}")
    except RecursionError:
        result.errors.append("too deeply nested to analyse; file left unchanged")
    except Exception as exc:  # a bug of ours must not stop the other files
        result.errors.append(f"internal error ({type(exc).__name__}: {exc}); file left unchanged, please report")
    return result


def _rows(path: str, source: str, findings: Sequence[Finding], unsafe: bool) -> List[report.Row]:
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


def _load_toml(path: Path) -> Dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10
        import tomli as tomllib
    with open(path, "rb") as f:
        return tomllib.load(f)


def find_config(start: Path) -> Tuple[Optional[Path], Dict[str, Any]]:
    """The closest ``pyproject.toml`` above ``start`` with a ``[tool.flake8-wandb]`` table."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            table = _load_toml(candidate).get("tool", {}).get(CONFIG_TABLE)
            if table is not None:
                return candidate, table
    return None, {}


def _as_tuple(value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(str(v).strip() for v in value if str(v).strip())


KNOWN_KEYS = {
    "select", "ignore", "extend-select", "extend-ignore", "exclude", "extend-exclude",
    "step-names", "target-wandb-version", "unsafe-fixes",
}  # fmt: skip


def options_from(args: argparse.Namespace, config: Dict[str, Any]) -> Options:
    unknown = set(config) - KNOWN_KEYS
    if unknown:
        raise UnknownRule(f"unknown key(s) in [tool.{CONFIG_TABLE}]: {', '.join(sorted(unknown))}")

    def pick(arg: Optional[str], key: str) -> Tuple[str, ...]:
        return _as_tuple(arg) if arg is not None else _as_tuple(config.get(key))

    mode = "apply" if args.apply else "check" if args.check else "add-noqa" if args.add_noqa else "diff"
    return Options(
        select=pick(args.select, "select"),
        ignore=pick(args.ignore, "ignore"),
        extend_select=pick(args.extend_select, "extend-select"),
        extend_ignore=pick(args.extend_ignore, "extend-ignore"),
        exclude=pick(args.exclude, "exclude") + pick(args.extend_exclude, "extend-exclude"),
        step_names=pick(args.step_names, "step-names") or DEFAULT_STEP_NAMES,
        target_wandb_version=args.target_wandb_version or config.get("target-wandb-version"),
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
        "--add-noqa", action="store_true", help="silence every finding with a # noqa: CODE comment (adopting a rule)"
    )
    p.add_argument("--diff", action="store_true", help="show the diff without writing (the default)")
    p.add_argument("--unsafe-fixes", action="store_true", help="also apply fixes that change behaviour")
    p.add_argument("--select", help="codes, prefixes or names to run instead of the defaults")
    p.add_argument("--extend-select", help="codes, prefixes or names to add (opt-in rules)")
    p.add_argument("--ignore", help="codes, prefixes or names to skip")
    p.add_argument("--extend-ignore", help="more codes, prefixes or names to skip")
    p.add_argument("--exclude", help="comma-separated glob patterns of paths to skip")
    p.add_argument("--extend-exclude", help="more patterns to skip")
    p.add_argument("--no-gitignore", action="store_true", help="do not skip what .gitignore ignores")
    p.add_argument("--step-names", help="names the WB101 fix may pass as step=")
    p.add_argument("--target-wandb-version", help="wandb version fixes target when wandb is not installed")
    p.add_argument("--config", help="pyproject.toml to read [tool.flake8-wandb] from")
    p.add_argument("--format", choices=sorted(report.FORMATS), default="text")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument("-j", "--jobs", type=int, default=1, help="files processed in parallel (0 = all cores)")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary line")
    p.add_argument("--version", action="version", version=f"wandb-fix {__version__}")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.config:
            config_path: Optional[Path] = Path(args.config)
            config = _load_toml(config_path).get("tool", {}).get(CONFIG_TABLE, {})
        else:
            config_path, config = find_config(Path.cwd())
        options = options_from(args, config)
        options.engine()  # validates the selectors before any file is read
    except (UnknownRule, OSError, ValueError) as exc:
        print(f"wandb-fix: error: {exc}", file=sys.stderr)
        return 2
    files = discover(args.paths, options.exclude, use_gitignore=not args.no_gitignore)
    results = run(files, options, jobs=args.jobs)
    return emit(results, options, args)


def run(files: List[Path], options: Options, jobs: int = 1) -> List[FileResult]:
    jobs = os.cpu_count() or 1 if jobs == 0 else max(1, jobs)
    progress = _Progress(len(files))
    results: List[FileResult] = []
    if jobs == 1 or len(files) < 2:
        for path in files:
            results.append(process(path, options))
            progress.step()
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, len(files))) as pool:
            chunk = max(1, min(32, len(files) // (jobs * 4) or 1))
            for result in pool.map(process, files, [options] * len(files), chunksize=chunk):
                results.append(result)
                progress.step()
    progress.done()
    return results


def emit(results: List[FileResult], options: Options, args: argparse.Namespace) -> int:
    rows = [row for r in results for row in r.rows]
    errors = [(r.path, e) for r in results for e in r.errors]
    colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    out = sys.stdout
    if args.format == "text":
        if rows:
            print(report.text(rows), file=out)
        if options.mode == "diff":
            for r in results:
                if r.diff:
                    out.write(report.colour_diff(r.diff, colour))
    else:
        print(report.FORMATS[args.format](rows), file=out)
    for path, message in errors:
        print(report.error_line(path, message), file=sys.stderr)
    if not args.quiet:
        print(
            report.summary(
                found=len(rows),
                fixed=sum(r.fixed for r in results),
                fixable=sum(r.fixable for r in results),
                unsafe_more=sum(r.unsafe_more for r in results),
                files=len(results),
                errors=len(errors),
                mode=options.mode,
            ),
            file=sys.stderr,
        )
    if errors:
        return 2
    return 1 if rows else 0


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
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.count}/{self.total}")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 60 + "\r")


if __name__ == "__main__":
    sys.exit(main())
