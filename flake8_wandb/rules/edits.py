"""The changes fixes are made of: libcst transforms of the flagged nodes (``engine.Transform``).

Each helper names a transform of ``transforms.py`` and gives it the node's span and text; libcst
runs only when ``wandb-fix`` applies the fix (this module, loaded by the flake8 plugin with every
rule, never imports it).
"""

from __future__ import annotations

import ast

from ..engine import Context, Transform, end_of, start_of


def transform(ctx: Context, node: ast.AST, kind: str, *args: object) -> Transform:
    """The transform ``kind`` (a function of ``transforms.py``) of ``node``, with ``args``."""
    return Transform(start_of(node), end_of(node), ctx.segment(node), kind, args)


def replace(node: ast.AST, text: str) -> Transform:
    """The node replaced by a new one, built by libcst from ``text`` (an expression, or a simple
    statement where ``node`` is a statement). The original is not parsed: nothing of it stays."""
    kind = "new_statement" if isinstance(node, ast.stmt) else "new_expression"
    return Transform(start_of(node), end_of(node), "", kind, (text,))


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


def wrap(ctx: Context, node: ast.AST, before: str, after: str) -> Transform:
    """``before`` + the node + ``after`` (``int(`` ... ``)``): the node keeps its own text."""
    return transform(ctx, node, "replace_expression", before + "{node}" + after)


def template(ctx: Context, node: ast.AST, code: str) -> Transform:
    """The node replaced by ``code``, where ``{node}`` stands for the node itself."""
    return transform(ctx, node, "replace_expression", code)


def add_keyword(call: ast.Call, text: str, ctx: Context) -> Transform:
    """``text`` (``step=global_step``) as the call's last argument: after the parentheses that
    close around the old last argument (``wandb.log(({...}))``), before its trailing comma."""
    keyword, _, value = text.partition("=")
    return transform(ctx, call, "add_keyword", keyword.strip(), value.strip())


def remove_argument(call: ast.Call, arg: ast.AST, ctx: Context) -> Transform:
    """The call without one of its arguments, and without its comma."""
    items: list[ast.AST] = sorted([*call.args, *call.keywords], key=start_of)
    return transform(ctx, call, "remove_argument", items.index(arg))


def attribute_name_edit(node: ast.Attribute, new: str, ctx: Context) -> Transform:
    """Rename the ``.attr`` part of ``a.b.attr``."""
    return transform(ctx, node, "rename_attribute", new)
