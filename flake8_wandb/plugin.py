"""The flake8 entry point (``WB``): a thin adapter over the engine.

flake8 loads every installed plugin on every run, selected or not, so this module imports only
the ``ast``-based engine: never libcst, wandb or torch. A file without any trigger text (such as
``wandb``) costs one substring check.
"""

from __future__ import annotations

import ast
import sys
from typing import Iterator, List, Tuple

from . import __version__
from .engine import DEFAULT_STEP_NAMES, Engine, Settings
from .rules import DEFAULT_RULES, named_opt_in


class WandbChecker:
    name = "flake8-wandb"
    version = __version__
    engine = Engine(DEFAULT_RULES)

    def __init__(self, tree: ast.Module, filename: str, lines: List[str]) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, parser) -> None:
        parser.add_option(
            "--wandb-step-names",
            default=",".join(DEFAULT_STEP_NAMES),
            parse_from_config=True,
            comma_separated_list=True,
            help="Names the WB101 fix may pass as step= (default: %(default)s)",
        )
        parser.add_option(
            "--wandb-target-version",
            default=None,
            parse_from_config=True,
            help="wandb version the messages target when wandb is not installed",
        )

    @classmethod
    def parse_options(cls, options) -> None:
        names = tuple(n.strip() for n in options.wandb_step_names if n.strip())
        settings = Settings(step_names=names, target_wandb_version=options.wandb_target_version)
        # Default rules always run (flake8 filters their codes); an opt-in rule runs only when
        # --select/--extend-select (or the config) names it or its family: WB6, WB604, ...
        selectors = [*(options.select or ()), *(getattr(options, "extend_select", None) or ())]
        cls.engine = Engine([*DEFAULT_RULES, *named_opt_in(selectors)], settings)

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        source = "".join(self.lines)
        if not self.engine.may_match(source):
            return
        findings, errors = self.engine.check(self.tree, source)
        for err in errors:
            print(
                f"flake8-wandb: internal error in {err.code} on {self.filename}:{err.line}: "
                f"{err.error}; the other rules still ran. Please report this.",
                file=sys.stderr,
            )
        for f in findings:
            yield f.line, self._char_col(f.line, f.col), f.text(), type(self)

    def _char_col(self, line: int, byte_col: int) -> int:
        """``ast`` columns count UTF-8 bytes; flake8 columns count characters."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))
