"""Control-flow facts about the node being visited: the loops around it, and whether it runs
only under a condition of its function."""

from __future__ import annotations

import ast
import re

from ..analysis.counters import Loop, loops_in_function
from ..engine import Context


def enclosing_loops(ctx: Context) -> list[Loop]:
    """The loops around the node being visited, innermost first, within its function."""
    return loops_in_function(ctx.ancestors)


def _is_main_guard(test: ast.AST) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
    )


_RANK_WORD = re.compile(r"(^|_)(rank|main_process|master|is_main|rank_zero)(_|$)", re.I)
_FLAG_WORD = re.compile(r"offline|online|mode|debug|dry|test|disable|wandb|log|no_|use_", re.I)


def _is_rank_guard(test: ast.AST) -> bool:
    """``if accelerator.is_main_process:``, ``if rank == 0:``: which process runs the code,
    not which mode it runs in."""
    names = [n.id for n in ast.walk(test) if isinstance(n, ast.Name)]
    names += [n.attr for n in ast.walk(test) if isinstance(n, ast.Attribute)]
    return any(_RANK_WORD.search(n) for n in names) and not any(_FLAG_WORD.search(n) for n in names)


def under_condition(ctx: Context, ignore_rank_guards: bool = False) -> bool:
    """Inside an ``if`` of the enclosing function (``if __name__ == "__main__":`` aside, and
    rank guards too when asked): the code runs only when a flag, a rank or an argument says
    so."""
    func = ctx.function()
    inside = func is ctx.tree
    for anc in ctx.ancestors:
        if anc is func:
            inside = True
        elif (
            inside
            and isinstance(anc, ast.If)
            and not _is_main_guard(anc.test)
            and not (ignore_rank_guards and _is_rank_guard(anc.test))
        ):
            return True
    return False
