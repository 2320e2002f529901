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


#: statements without a block of their own
_SIMPLE = (
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Return,
    ast.Raise,
    ast.Assert,
    ast.Delete,
    ast.Pass,
    ast.Break,
    ast.Continue,
    ast.Import,
    ast.ImportFrom,
    ast.Global,
    ast.Nonlocal,
)


def last_simple_statement(stmt: ast.stmt) -> ast.stmt | None:
    """The simple statement that ends ``stmt`` on its last line (``stmt`` itself when simple):
    a statement added after ``stmt`` is a transform of that statement's line. None when no
    simple statement ends it."""
    last_line = end_of(stmt)[0]
    while not isinstance(stmt, _SIMPLE):
        inner = [s for s in _children(stmt) if end_of(s)[0] == last_line]
        if not inner:
            return None
        stmt = inner[-1]
    return stmt


def _children(stmt: ast.stmt) -> list[ast.stmt]:
    """The statements of a compound statement's blocks, in source order."""
    found: list[ast.stmt] = []
    for field in ("body", "handlers", "orelse", "finalbody", "cases"):
        for child in getattr(stmt, field, None) or ():
            found.extend([child] if isinstance(child, ast.stmt) else getattr(child, "body", []))
    return sorted(found, key=end_of)
