"""Small helpers shared by the rules: reading calls, and building the edits of fixes."""

from __future__ import annotations

import ast
import re
from typing import Iterable, Iterator, List, Optional, Set

from ..engine import Context, Edit
from ..flow import own_nodes  # noqa: F401  (the rules import it from here)
from ..resolve import SCOPE_NODES


def keyword(call: ast.Call, name: str) -> Optional[ast.keyword]:
    for kw in call.keywords:
        if kw.arg == name:
            return kw
    return None


def has_star_kwargs(call: ast.Call) -> bool:
    return any(kw.arg is None for kw in call.keywords)


def str_value(node: Optional[ast.AST]) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def add_keyword(call: ast.Call, text: str) -> Edit:
    """An edit that adds ``text`` (e.g. ``step=global_step``) as the call's last argument."""
    last = max(
        [*call.args, *call.keywords],
        key=lambda n: (n.end_lineno, n.end_col_offset),
        default=None,
    )
    if last is None:
        pos = (call.end_lineno, call.end_col_offset - 1)  # just inside ``)``
        return Edit(pos, pos, text)
    pos = (last.end_lineno, last.end_col_offset)
    return Edit(pos, pos, ", " + text)


def replace(node: ast.AST, text: str) -> Edit:
    return Edit((node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset), text)


def wrap(ctx: Context, node: ast.AST, before: str, after: str) -> Edit:
    return replace(node, before + ctx.segment(node) + after)


def attribute_name_edit(node: ast.Attribute, new: str) -> Edit:
    """Rename the ``.attr`` part of ``a.b.attr`` (it always ends the node's text)."""
    end = (node.end_lineno, node.end_col_offset)
    return Edit((end[0], end[1] - len(node.attr.encode())), end, new)


def statements_before(ctx: Context, node: ast.AST) -> Iterator[ast.stmt]:
    """Statements that surely ran before ``node`` in its function: earlier siblings in each
    enclosing block, innermost first. Branches that may not have run are not entered."""
    chain: List[ast.AST] = ctx.ancestors + [node]
    func = ctx.function()
    for parent, child in zip(reversed(chain[:-1]), reversed(chain[1:])):
        for fieldname in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(parent, fieldname, None)
            if isinstance(block, list) and child in block:
                yield from reversed(block[: block.index(child)])
        if parent is func:
            return


def bound_names(stmt: ast.stmt) -> Set[str]:
    """Names a simple statement binds (assignment, augmented assignment, with/for targets)."""
    targets: List[ast.AST] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)) and (
        getattr(stmt, "value", None) is not None or isinstance(stmt, ast.AugAssign)
    ):
        targets = [stmt.target]
    names = set()
    for t in targets:
        for n in ast.walk(t):
            if isinstance(n, ast.Name):
                names.add(n.id)
    return names


def target_names(target: ast.AST) -> Set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def surely_bound(ctx: Context, node: ast.AST, among: Optional[Iterable[str]] = None) -> Set[str]:
    """Names surely bound when ``node`` runs (see ``Flow.surely_bound``)."""
    return ctx.flow.surely_bound(node, among)


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for an attribute chain; '' for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def in_hf_trainer(ctx: Context) -> bool:
    """Inside a Hugging Face ``Trainer`` / ``TrainerCallback`` subclass: the trainer owns
    wandb's step there, and an explicit ``step=`` makes wandb drop the data."""
    for cls in ctx.enclosing_classes():
        for base in cls.bases:
            name = dotted(base).rsplit(".", 1)[-1]
            qual = ctx.qualname(base, ctx.names.module) or ""
            if name.endswith(("Trainer", "TrainerCallback")) or qual.startswith("transformers."):
                return True
    return False


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
    return any(_RANK_WORD.search(n) for n in names) and not any(
        _FLAG_WORD.search(n) for n in names
    )


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


def remove_argument(call: ast.Call, arg: ast.AST) -> Edit:
    """An edit that removes one argument of a call, with its comma."""
    items = sorted([*call.args, *call.keywords], key=lambda n: (n.lineno, n.col_offset))
    i = items.index(arg)
    if i > 0:
        prev = items[i - 1]
        return Edit((prev.end_lineno, prev.end_col_offset), (arg.end_lineno, arg.end_col_offset), "")
    if i + 1 < len(items):
        nxt = items[i + 1]
        return Edit((arg.lineno, arg.col_offset), (nxt.lineno, nxt.col_offset), "")
    return Edit((arg.lineno, arg.col_offset), (arg.end_lineno, arg.end_col_offset), "")


def remove_statement(ctx: Context, stmt: ast.stmt) -> Optional[Edit]:
    """An edit that deletes a statement standing alone on its lines (``pass`` when it is the
    only statement of its block); None when it shares a line with other code."""
    first = ctx.lines[stmt.lineno - 1].encode()
    last = ctx.lines[stmt.end_lineno - 1].encode()
    rest = last[stmt.end_col_offset :].decode().strip()
    if first[: stmt.col_offset].strip() or (rest and not rest.startswith("#")):
        return None
    parent = ctx.ancestors[-1] if ctx.ancestors else None
    for field in ("body", "orelse", "finalbody"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and stmt in block and len(block) == 1:
            return replace(stmt, "pass")
    return Edit((stmt.lineno, 0), (stmt.end_lineno + 1, 0), "")


LOOPS = (ast.For, ast.AsyncFor, ast.While)


def enclosing_loops(ctx: Context) -> List[ast.AST]:
    """The loops around the node being visited, innermost first, within its function."""
    loops: List[ast.AST] = []
    for anc in reversed(ctx.ancestors):
        if isinstance(anc, SCOPE_NODES):
            break
        if isinstance(anc, LOOPS):
            loops.append(anc)
    return loops
