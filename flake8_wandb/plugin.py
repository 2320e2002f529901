"""The flake8 entry point (``WB``): a thin adapter over the engine.

flake8 loads every installed plugin on every run, selected or not, and pre-commit and editors run
it on one file at a time. So this module imports nothing heavy (never libcst, wandb or torch),
and not even the rules until a file holds one of the trigger words: a file without ``wandb``
costs one substring check.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from . import __version__
from .analysis.text import calls_a_handed_logger
from .defaults import TRIGGERS
from .options import add_flake8_options

if TYPE_CHECKING:  # flake8 hands the options parsed; the engine is imported only when needed
    import argparse

    from .engine import Engine
    from .versions import WandbFacts


class WandbChecker:
    name = "flake8-wandb"
    version = __version__
    _options = None
    _engine = None  # built on the first file that may hold a finding
    _cache: object = None  # the persistent cache (cache.py); False: none this run

    def __init__(self, tree: ast.Module, filename: str, lines: list[str]) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, parser) -> None:
        add_flake8_options(parser)  # rendered from the option schema (options.py)

    @classmethod
    def parse_options(cls, options) -> None:
        if getattr(options, "wandb_target_version", None) is not None:
            from .versions import BadTargetVersion, check_target_version

            try:
                check_target_version(options.wandb_target_version)
            except BadTargetVersion as exc:  # one line and exit 2, before any file is read
                print(f"flake8-wandb: error: {exc}", file=sys.stderr)
                raise SystemExit(2) from None
        cls._options = options
        cls._engine = None
        cls._cache = None
        if _runs_in_workers(options):
            # flake8 forks its worker processes after this: an engine built here is inherited
            # by every worker instead of being imported and built once in each
            cls.engine()

    @classmethod
    def engine(cls):
        if cls._engine is None:
            cls._engine = _build_engine(cls._options)
        return cls._engine

    @classmethod
    def cache(cls):
        """The persistent cache (cache.py), or None: ``--wandb-no-cache``, or no options."""
        if cls._cache is None:
            cls._cache = False
            options = cls._options
            if options is not None and not getattr(options, "wandb_no_cache", False):
                from pathlib import Path

                from .cache import Cache, find_cache_root

                names, target, selectors = _settings(options)
                salt = repr((names, target, sorted(selectors)))
                cls._cache = Cache(find_cache_root(Path.cwd()), salt)
        return cls._cache or None

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        source = "".join(self.lines)
        if not any(t in source for t in TRIGGERS) and not calls_a_handed_logger(source):
            return
        cache = self.cache()
        key = cache.key(self.filename, source) if cache is not None else ""
        rows = cache.get(key) if cache is not None else None
        if rows is None:
            from .analysis.project import settle

            settle()  # what earlier files read of the project is kept: the collector skips it
            findings, errors, ctx = self.engine().check_with_context(
                self.tree, source, self.filename
            )
            for err in errors:
                print(
                    f"flake8-wandb: internal error in {err.code} on {self.filename}:{err.line}: "
                    f"{err.error}; the other rules still ran. Please report this.",
                    file=sys.stderr,
                )
            rows = [(f.line, self._char_col(f.line, f.col), f.text()) for f in findings]
            if cache is not None and not errors:  # a file whose rules failed stores nothing
                cache.put(key, rows, ctx.project.observations() if ctx is not None else {})
        for line, col, text in rows:
            yield line, col, text, type(self)

    def _char_col(self, line: int, byte_col: int) -> int:
        """``ast`` columns count UTF-8 bytes; flake8 columns count characters."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))


def _runs_in_workers(options) -> bool:
    """flake8 will likely check these files in forked worker processes: more than one job, and
    more than one file or a folder to walk (one file, as editors and ``-`` pass, stays lazy: a
    file without wandb then never imports the rules)."""
    jobs = getattr(options, "jobs", None)
    many_jobs = getattr(jobs, "is_auto", False) or getattr(jobs, "n_jobs", 1) > 1
    if not many_jobs or _start_method() != "fork":
        return False
    names = list(getattr(options, "filenames", None) or ["."])
    return len(names) > 1 or (names[0] != "-" and not names[0].endswith((".py", ".pyi", ".ipynb")))


def _start_method() -> str | None:
    import multiprocessing

    try:
        return multiprocessing.get_start_method(allow_none=True) or (
            "fork" if sys.platform.startswith("linux") and sys.version_info < (3, 14) else None
        )
    except Exception:  # pragma: no cover - an interpreter without multiprocessing
        return None


def _build_engine(options: argparse.Namespace | None) -> Engine:
    from .engine import Engine, Settings
    from .rules import DEFAULT_RULES, named_opt_in

    if options is None:  # used outside flake8's option parsing (tests, other tools)
        return Engine(DEFAULT_RULES)
    names, target, selectors = _settings(options)
    settings = Settings(step_names=names, wandb=target)
    # Default rules always run (flake8 filters their codes); an opt-in rule runs only when
    # --select/--extend-select (or the config) names it or its family: WB6, WB604, ...
    return Engine([*DEFAULT_RULES, *named_opt_in(selectors)], settings)


def _settings(options: argparse.Namespace) -> tuple[tuple[str, ...], WandbFacts, list[str]]:
    """The step names, the target wandb and the selectors: all the engine is built from (and
    what the persistent cache's entries are keyed by, without importing the rules)."""
    from pathlib import Path

    from .dependencies import find_root
    from .versions import resolve

    names = tuple(n.strip() for n in options.wandb_step_names if n.strip())
    # what the target wandb accepts: resolved once, before any rule runs
    # (the project is the one flake8 runs in: its declared wandb requirement is the target)
    target = resolve(options.wandb_target_version, find_root(Path.cwd()))
    selectors = [*(options.select or ()), *(getattr(options, "extend_select", None) or ())]
    return names, target, selectors
