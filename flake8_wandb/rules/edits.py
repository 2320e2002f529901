"""Building the text edits of fixes at ``ast`` positions."""

from __future__ import annotations

import ast
import re

from ..engine import Context, Edit, Pos, end_of, start_of


def replace(node: ast.AST, text: str) -> Edit:
    return Edit(start_of(node), end_of(node), text)


def string_literal(ctx: Context, value: str) -> str | None:
    """``value`` (plain text: no quote, no backslash) as a string literal that is valid where
    the node being visited stands on every Python 3.10+: in double quotes, unless an f-string
    around it is delimited by them (before Python 3.12, PEP 701, a replacement field cannot hold
    the quote of its f-string); None when the f-strings around use both quotes."""
    used = set()
    for node in ctx.ancestors:
        if isinstance(node, ast.JoinedStr):
            used.add(ctx.segment(node).lstrip("rRfFbBuU")[:1])
    quote = next((q for q in ('"', "'") if q not in used), None)
    return None if quote is None else f"{quote}{value}{quote}"


def wrap(ctx: Context, node: ast.AST, before: str, after: str) -> Edit:
    return replace(node, before + ctx.segment(node) + after)


def add_keyword(call: ast.Call, text: str, ctx: Context | None = None) -> Edit:
    """An edit that adds ``text`` (e.g. ``step=global_step``) as the call's last argument:
    after the parentheses that close around that argument (``wandb.log(({...}))``), which
    ``ast`` leaves out of its span; ``ctx`` gives the text to find them in."""
    last = max(
        [*call.args, *call.keywords],
        key=end_of,
        default=None,
    )
    if last is None:
        line, col = end_of(call)
        pos = (line, col - 1)  # just inside ``)``
        return Edit(pos, pos, text)
    pos = end_of(last)
    if ctx is not None:
        pos = _after_closing_parens(ctx, pos, end_of(call))
    return Edit(pos, pos, ", " + text)


def _after_closing_parens(ctx: Context, start: Pos, end: Pos) -> Pos:
    """Past the ``)`` that follow ``start`` before a ``,`` or the call's own last ``)`` at
    ``end``. Between an argument's end and the call's end there can only be spaces, line breaks,
    backslash continuations, comments, ``)`` and ``,``."""
    between = ctx.text_between(start, end)
    closers = []
    i = 0
    while i < len(between):
        ch = between[i]
        if ch == "#":
            while i < len(between) and between[i] not in "\r\n":
                i += 1
            continue
        if ch == ",":
            break
        if ch == ")":
            closers.append(i + 1)
        i += 1
    closers = closers[:-1] if i >= len(between) else closers  # the last one is the call's
    if not closers:
        return start
    before = between[: closers[-1]]
    line, col = start
    for piece in re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", before):
        if piece.endswith(("\n", "\r")):
            line, col = line + 1, 0
        else:
            col += len(piece.encode())
    return line, col


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
