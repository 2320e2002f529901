"""Reading calls and expressions: keyword arguments, string constants, dotted names."""

from __future__ import annotations

import ast


def keyword(call: ast.Call, name: str) -> ast.keyword | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw
    return None


def has_star_kwargs(call: ast.Call) -> bool:
    for kw in call.keywords:  # asked of most calls: no generator
        if kw.arg is None:
            return True
    return False


def str_value(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


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
