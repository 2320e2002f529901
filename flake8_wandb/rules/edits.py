"""Building the text edits of fixes at ``ast`` positions."""

from __future__ import annotations

import ast

from ..engine import Context, Edit, end_of, start_of


def replace(node: ast.AST, text: str) -> Edit:
    return Edit(start_of(node), end_of(node), text)


def wrap(ctx: Context, node: ast.AST, before: str, after: str) -> Edit:
    return replace(node, before + ctx.segment(node) + after)


def add_keyword(call: ast.Call, text: str) -> Edit:
    """An edit that adds ``text`` (e.g. ``step=global_step``) as the call's last argument."""
    last = max(
        [*call.args, *call.keywords],
        key=end_of,
        default=None,
    )
    if last is None:
        line, col = end_of(call)
        pos = (line, col - 1)  # just inside ``)``
        return Edit(pos, pos, text)
    return Edit(end_of(last), end_of(last), ", " + text)


def remove_argument(call: ast.Call, arg: ast.AST) -> Edit:
    """An edit that removes one argument of a call, with its comma."""
    items: list[ast.AST] = sorted([*call.args, *call.keywords], key=start_of)
    i = items.index(arg)
    if i > 0:
        return Edit(end_of(items[i - 1]), end_of(arg), "")
    if i + 1 < len(items):
        return Edit(start_of(arg), start_of(items[i + 1]), "")
    return Edit(start_of(arg), end_of(arg), "")


def attribute_name_edit(node: ast.Attribute, new: str) -> Edit:
    """Rename the ``.attr`` part of ``a.b.attr`` (it always ends the node's text)."""
    line, col = end_of(node)
    return Edit((line, col - len(node.attr.encode())), (line, col), new)
