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
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import __version__, dependencies, redact, report, rule_info, versions
from . import options as schema
from .config import ConfigError, load_options, project_root
from .engine import printable
from .files import Skipped, discover
from .pipeline import FileResult, Mode, Options, run
from .signals import Interrupted, on_signal

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
    schema.add_arguments(p)  # every setting, from the option schema (options.py)
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
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
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
        if options.mode is Mode.DIFF:
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
    missing = options.mode is Mode.APPLY and bool(needing) and dependencies.undeclared(needing)
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
            target = versions.resolve(args.target_wandb_version, project_root(args.paths))
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


if __name__ == "__main__":
    sys.exit(main())
