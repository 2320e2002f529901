"""Positions, the bottom of the analysis layer: lines as the tokenizer counts them, and where a
parsed node starts and ends (1-based line, UTF-8 byte column, as ``ast`` gives them)."""

from __future__ import annotations

import ast
import re
from typing import Any, get_args

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(source: str) -> list[str]:
    """Lines as the tokenizer counts them (``str.splitlines`` also splits on form feeds and
    ``\u2028``, which would shift every ``ast`` line number after them)."""
    return _LINE.findall(source)


#: a position in the source: 1-based line, UTF-8 byte column (as ``ast`` gives them)
Pos = tuple[int, int]
Span = tuple[Pos, Pos]


def start_of(node: ast.AST) -> Pos:
    """Where a parsed node starts. Every node the parser gives a position to (expressions,
    statements, keywords, arguments, handlers) has one; ``ast.AST`` itself declares none, and
    typeshed marks the ends optional for nodes built by hand, which rules never see."""
    n: Any = node
    return (n.lineno, n.col_offset)


def end_of(node: ast.AST) -> Pos:
    """Where a parsed node ends (see ``start_of``)."""
    n: Any = node
    return (n.end_lineno, n.end_col_offset)


#: fields that hold a name, a number or a flag in every node type, never a node
_SCALAR_FIELDS = frozenset(
    {"id", "arg", "attr", "name", "module", "level", "kind", "type_comment", "is_async"}
    | {"simple", "conversion"}
)
#: list fields that may hold something other than a node: ``None`` (a ``**`` entry of a dict),
#: names (``global a, b``; a class pattern's keyword names), a keyword-only parameter's
#: missing default
_MIXED_LISTS = frozenset({("Dict", "keys"), ("Global", "names"), ("Nonlocal", "names")})
_MIXED_LISTS |= {("MatchClass", "kwd_attrs"), ("arguments", "kw_defaults")}
_NODE_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}


#: fields that hold only an expression context or operators (``ctx``, ``op``, ``ops``): leaves
_LEAF_FIELDS = frozenset({"ctx", "op", "ops"})
#: the fields of annotations, types and not code a run executes (a function's parameters, whose
#: only nodes are their annotations, and its return type; an annotated assignment's type): the
#: walk that leaves the leaves out leaves them out too (``branch_fields``)
ANNOTATION_FIELDS = frozenset(
    {("FunctionDef", "returns"), ("AsyncFunctionDef", "returns"), ("AnnAssign", "annotation")}
    | {("arguments", f) for f in ("posonlyargs", "args", "vararg", "kwonlyargs", "kwarg")}
)
#: the fields read by a walk that may hold a plain value instead of a node, up to Python 3.12
#: (from 3.13, each node type says its fields' types, ``_field_types``, and they are asked:
#: 3.14's ``Interpolation.str``; a test checks this list against 3.13's)
SCALAR_VALUES = frozenset(
    {("Constant", "value"), ("MatchSingleton", "value"), ("MatchMapping", "rest")}
    | {("alias", "asname"), ("TypeIgnore", "tag"), ("TypeIgnore", "lineno")}
)
BRANCH_FIELDS: dict[type, tuple[tuple[str, bool, bool], ...]] = {}


def may_hold_a_value(cls: type, name: str) -> bool:
    """A field of ``cls`` that may hold a plain value (a string, a number) instead of a node."""
    if (cls.__name__, name) in SCALAR_VALUES:
        return True
    types = getattr(cls, "_field_types", None)
    if types is None:
        return False  # before Python 3.13: SCALAR_VALUES names them all
    found = types.get(name)
    return not all(
        t is type(None) or (isinstance(t, type) and issubclass(t, ast.AST))
        for t in (get_args(found) or (found,))
    )


def branch_fields(cls: type) -> tuple[tuple[str, bool, bool], ...]:
    """The fields of a node type that may hold a node other than a context or an operator,
    last field first, each with whether its list may hold something other than a node and
    whether it may hold a plain value instead of a node: what a walk that leaves the leaves out
    reads (``resolve._Binder``), in reverse for its stack."""
    fields = BRANCH_FIELDS.get(cls)
    if fields is None:
        kind = cls.__name__
        fields = BRANCH_FIELDS[cls] = tuple(
            (f, (kind, f) in _MIXED_LISTS, may_hold_a_value(cls, f))
            for f in reversed(cls._fields)  # type: ignore[attr-defined]
            if f not in _SCALAR_FIELDS
            and f not in _LEAF_FIELDS
            and (kind, f) not in ANNOTATION_FIELDS
        )
    return fields


def walked_children(node: ast.AST) -> list[ast.AST]:
    """``children`` without the annotations (``ANNOTATION_FIELDS``): the children the name
    table's walk takes when the leaves are asked for too (no rule asks today)."""
    found = children(node)
    kind = node.__class__.__name__
    left_out: set[int] = set()
    for name in node._fields:
        if (kind, name) in ANNOTATION_FIELDS:
            value = getattr(node, name, None)
            left_out.update(map(id, value if isinstance(value, list) else [value]))
    return [child for child in found if id(child) not in left_out] if left_out else found


def children(node: ast.AST) -> list[ast.AST]:
    """The direct child nodes of ``node``, in ``ast.iter_child_nodes`` order, as a list: the
    same answer without a generator per node (the walks of every module ask it for each node).
    The fields that can hold a node are listed once per node type, each with whether its list
    may hold something other than a node."""
    fields = _NODE_FIELDS.get(node.__class__)
    if fields is None:
        kind = node.__class__.__name__
        fields = _NODE_FIELDS[node.__class__] = tuple(
            (f, (kind, f) in _MIXED_LISTS) for f in node._fields if f not in _SCALAR_FIELDS
        )
    out: list[ast.AST] = []
    for name, mixed in fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            if mixed:
                out.extend([v for v in value if isinstance(v, ast.AST)])
            else:
                out.extend(value)
        elif isinstance(value, ast.AST):
            out.append(value)
    return out
