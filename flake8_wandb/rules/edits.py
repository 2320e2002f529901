"""Building the text edits of fixes at ``ast`` positions."""

from __future__ import annotations

import ast

from ..engine import Context, Edit


def replace(node: ast.AST, text: str) -> Edit:
    return Edit((node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset), text)


def wrap(ctx: Context, node: ast.AST, before: str, after: str) -> Edit:
    return replace(node, before + ctx.segment(node) + after)


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


def attribute_name_edit(node: ast.Attribute, new: str) -> Edit:
    """Rename the ``.attr`` part of ``a.b.attr`` (it always ends the node's text)."""
    end = (node.end_lineno, node.end_col_offset)
    return Edit((end[0], end[1] - len(node.attr.encode())), end, new)
