"""Control-flow facts about the node being visited: the loops around it, and whether it runs
only under a condition of its function."""

from __future__ import annotations

import ast
from typing import List

from ..counters import Loop, loops_in_function
from ..engine import Context


def enclosing_loops(ctx: Context) -> List[Loop]:
    """The loops around the node being visited, innermost first, within its function."""
    return loops_in_function(ctx.ancestors)


def _is_main_guard(test: ast.AST) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
    )


def under_condition(ctx: Context) -> bool:
    """Inside an ``if`` of the enclosing function (``if __name__ == "__main__":`` aside): the
    code runs only when a flag, a rank or an argument says so."""
    func = ctx.function()
    inside = func is ctx.tree
    for anc in ctx.ancestors:
        if anc is func:
            inside = True
        elif inside and isinstance(anc, ast.If) and not _is_main_guard(anc.test):
            return True
    return False
