"""The import a fix needs, as one more change of that fix: a libcst transform.

Where: next to the module's own import of wandb (or of the module imported from), in the same
block: inside the function when wandb is imported lazily, so that a library which imports wandb
only when asked never gains a module-level import. Never inside a ``try`` whose handler catches
``ImportError`` (or ``Exception``) for another import (``try: import wandb`` / ``except
ImportError: wandb = None``): there a missing ``wandb-runtime`` would switch tracking off
silently, so the import goes right after that ``try`` statement, where its own failure is
visible (an ImportError at start). Under which name: the name
itself when the module does not use it for anything else (``wandb_mode = "offline"``, a parameter
``echo=False``, the user's own ``def echo``), else an alias (``from wandb_runtime import echo as
wandb_echo``), else no fix.

Where and under which name are decided here, on the ``ast`` the rules already have (cheap, and no
libcst parse of a whole module: libcst's recursion limit fails on a module of a thousand
statements). The import itself is built by libcst and emitted as a transform of the statement it
joins: ``from wandb_runtime import a`` gains ``, b`` (``transforms.add_import_name``), or the
statement line it follows is re-generated with the new import on a line of its own after it
(``transforms.import_after``); at the very start of a block it is a line of its own built by
libcst (``transforms.import_line``). The bytes of the rest of the file stay as they are, whatever
its size, line endings or form feeds.
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Callable, Iterator, Sequence
from typing import Union

from ..engine import RUNTIME_PACKAGE, UNSAFE, Change, Context, Fix, Transform, end_of, start_of
from .edits import last_simple_statement

RUNTIME = "wandb_runtime"
_BLOCKS = ("body", "orelse", "finalbody", "handlers")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
#: the attribute holding the name a match pattern binds
_MATCH_BINDS = {"MatchAs": "name", "MatchStar": "name", "MatchMapping": "rest"}
# Union, not ``|``: these aliases are evaluated, and Python 3.9 still imports the engine
# (tests/test_reach.py)
FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]  # noqa: UP007


def runtime_import(ctx: Context, site: ast.AST, name: str) -> tuple[str, tuple[Change, ...]] | None:
    """``from wandb_runtime import <name>`` for a fix at ``site``: the local name to call and
    the edits that import it (none when the module imports it already); None: no safe name."""
    alias = "runtime_" + name if name.startswith("wandb_") else "wandb_" + name
    return import_for_fix(ctx, site, RUNTIME, name, aliases=(name, alias))


def runtime_fix(
    ctx: Context, site: ast.AST, name: str, edit: Callable[[str], Change], title: str
) -> Fix | None:
    """A fix that calls ``name`` from the runtime shim at ``site``: ``edit(local)`` is the edit
    there, given the local name to call, and ``title`` says what it does (``{local}`` in it).
    Unsafe, and it names the package it needs. None where no name is free to import under."""
    imported = runtime_import(ctx, site, name)
    if imported is None:
        return None
    local, import_edits = imported
    return Fix(
        (edit(local), *import_edits),
        applicability=UNSAFE,
        title=f"{title.format(local=local)} from {RUNTIME} (needs the {RUNTIME_PACKAGE} package)",
        requires=(RUNTIME_PACKAGE,),
    )


def import_for_fix(
    ctx: Context, site: ast.AST, module: str, name: str, aliases: Sequence[str] = ()
) -> tuple[str, tuple[Change, ...]] | None:
    functions = _enclosing_functions(ctx, site)
    existing = _existing_import(ctx, functions, site, module, name)
    if existing is not None:
        facts = _facts(ctx)
        if facts.bindings.get(existing, 0) == facts.import_bindings.get(
            (module, name, existing), 0
        ):
            return existing, ()
    local = next((a for a in (aliases or (name,)) if _free(ctx, a, a == name)), None)
    if local is None:
        return None
    edit = _placement(ctx, functions, site, module, name, local)
    if edit is None:
        return None
    return local, (edit,)


# -- what the module binds -------------------------------------------------------------------------


class _Facts:
    def __init__(self, tree: ast.Module) -> None:
        #: identifier -> how many places bind it (anywhere in the module, any scope)
        self.bindings: dict[str, int] = {}
        #: every identifier the module mentions (bound or read)
        self.mentioned: set[str] = set()
        #: (module, name, local) -> how many ``from module import name [as local]`` bind it
        self.import_bindings: dict[tuple[str, str, str], int] = {}
        self.star_import = False
        for node in ast.walk(tree):
            bound: list[str] = []
            if isinstance(node, ast.Name):
                self.mentioned.add(node.id)
                if not isinstance(node.ctx, ast.Load):
                    bound.append(node.id)
            elif isinstance(node, ast.arg):
                bound.append(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.append(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name == "*":
                        self.star_import = True
                        continue
                    local = alias.asname or alias.name.split(".")[0]
                    bound.append(local)
                    if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                        key = (node.module, alias.name, local)
                        self.import_bindings[key] = self.import_bindings.get(key, 0) + 1
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                bound.extend(node.names)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.append(node.name)
            elif type(node).__name__ in _MATCH_BINDS:  # ast.Match* do not exist on Python 3.9
                name = getattr(node, _MATCH_BINDS[type(node).__name__], None)
                if name:
                    bound.append(name)
            for b in bound:
                self.bindings[b] = self.bindings.get(b, 0) + 1
                self.mentioned.add(b)


def _facts(ctx: Context) -> _Facts:
    return ctx.once("import_facts", lambda: _Facts(ctx.tree))  # one walk per module


def _free(ctx: Context, local: str, plain: bool) -> bool:
    """A name the fix may bind: the module never mentions it, and a ``from x import *`` (which
    may bind anything) leaves only the ``wandb_`` aliases free. (A name absent from the text is
    free without walking the tree: the common case, and cheap on a 100k-line module.)"""
    memo: dict[tuple[str, bool], bool] = ctx.once("import_free", dict)
    if (local, plain) not in memo:
        memo[(local, plain)] = _free_uncached(ctx, local, plain)
    return memo[(local, plain)]


def _free_uncached(ctx: Context, local: str, plain: bool) -> bool:
    if local not in ctx.source and "import *" not in ctx.source:
        return True
    facts = _facts(ctx)
    return local not in facts.mentioned and not (facts.star_import and plain)


# -- where the import goes -------------------------------------------------------------------------


def _enclosing_functions(ctx: Context, site: ast.AST) -> list[FunctionNode]:
    """The functions whose body holds ``site``, outermost first (a walk down the blocks that
    hold its line, not over the whole tree)."""
    found: list[FunctionNode] = []
    line = start_of(site)[0]
    block: Sequence[ast.stmt] = ctx.tree.body
    # the module's statements by first line, for a bisection (once per module)
    starts = ctx.once("import_body_starts", lambda: [s.lineno for s in block])
    i = bisect.bisect_right(starts, line) - 1
    stmt = block[i] if i >= 0 and line <= (block[i].end_lineno or block[i].lineno) else None
    while stmt is not None:
        if (
            isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
            and stmt.body[0].lineno <= line
        ):
            found.append(stmt)
        inner: list[ast.stmt] = []
        for field in _BLOCKS:
            for child in getattr(stmt, field, None) or ():
                inner.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])
        for case in getattr(stmt, "cases", None) or ():
            inner.extend(case.body)
        stmt = next((s for s in inner if s.lineno <= line <= (s.end_lineno or s.lineno)), None)
    return found


def _statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of a block and of the blocks nested in it (if/try/with/for), not of nested
    functions or classes."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, _DEFS) or _is_type_checking(stmt):
            continue
        for field in _BLOCKS:
            for child in getattr(stmt, field, None) or ():
                yield from _statements(
                    child.body if isinstance(child, ast.ExceptHandler) else [child]
                )


def _is_type_checking(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.If):
        return False
    test = stmt.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_future_import(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"


def _imports_module(stmt: ast.stmt, module: str) -> bool:
    if isinstance(stmt, ast.Import):
        return any(a.name == module or a.name.startswith(module + ".") for a in stmt.names)
    if isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module:
        return stmt.module == module or stmt.module.startswith(module + ".")
    return False


def _scopes(
    ctx: Context, functions: list[FunctionNode], site: ast.AST
) -> Iterator[tuple[FunctionNode | None, list[ast.stmt]]]:
    """Candidate import statements, the module's first, then each enclosing function's
    (innermost first, only those before the site)."""
    yield None, _module_imports(ctx)
    for func in reversed(functions):
        yield (
            func,
            [
                s
                for s in _statements(func.body)
                if isinstance(s, (ast.Import, ast.ImportFrom))
                and (s.end_lineno or s.lineno) < start_of(site)[0]
            ],
        )


def _module_imports(ctx: Context) -> list[ast.stmt]:
    """The module-level imports (in ``if``/``try`` blocks too), found once per module."""
    return ctx.once(
        "import_statements",
        lambda: [
            s for s in _statements(ctx.tree.body) if isinstance(s, (ast.Import, ast.ImportFrom))
        ],
    )


def _existing_import(ctx: Context, functions, site, module: str, name: str) -> str | None:
    for _, stmts in _scopes(ctx, functions, site):
        for stmt in stmts:
            if isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module == module:
                for alias in stmt.names:
                    if alias.name == name:
                        return alias.asname or name
    return None


def _placement(
    ctx: Context, functions, site, module: str, name: str, local: str
) -> Transform | None:
    statement = (module, name, local if local != name else "")
    guards = _import_guards(ctx)
    for anchor_module in (module, "wandb"):
        for _, stmts in _scopes(ctx, functions, site):
            for stmt in stmts:
                if not _imports_module(stmt, anchor_module):
                    continue
                guard = guards.get(id(stmt))
                if guard is not None:
                    # inside ``try: import wandb / except ImportError: ...``: after the try
                    edit = _after(ctx, guard, statement)
                    if edit is not None:
                        return edit
                    continue
                if (
                    anchor_module == module
                    and isinstance(stmt, ast.ImportFrom)
                    and stmt.module == module
                ):
                    merged = _merge(ctx, stmt, name, local)
                    if merged is not None:
                        return merged
                edit = _after(ctx, stmt, statement)
                if edit is not None:
                    return edit
    # No import of wandb to stand beside. A module that imports wandb only inside other
    # functions is a library that does so on purpose: import where the fix is, not at the top.
    if functions and not any(_imports_module(s, "wandb") for s in _module_imports(ctx)):
        return _at_start(ctx, functions[-1].body, statement)
    return _at_start(ctx, ctx.tree.body, statement, module_level=True)


#: exceptions whose handler also swallows a failed import
_SWALLOWS_IMPORT_ERROR = frozenset(
    {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
)


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    kind = handler.type
    if kind is None:
        return True  # a bare ``except:``
    kinds = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    return any(
        (isinstance(k, ast.Name) and k.id in _SWALLOWS_IMPORT_ERROR)
        or (isinstance(k, ast.Attribute) and k.attr in _SWALLOWS_IMPORT_ERROR)
        for k in kinds
    )


def _import_guards(ctx: Context) -> dict[int, ast.stmt]:
    """For each statement in the body of a ``try`` whose handler would catch an ImportError:
    the outermost such ``try`` of its block (nested functions and classes aside). One walk per
    module."""
    return ctx.once("import_guards", lambda: _find_import_guards(ctx))


def _find_import_guards(ctx: Context) -> dict[int, ast.stmt]:
    guards: dict[int, ast.stmt] = {}
    for node in ast.walk(ctx.tree):  # breadth first: an outer try before the ones inside
        if not isinstance(node, ast.stmt):
            continue
        if type(node).__name__ in ("Try", "TryStar") and any(
            _catches_import_error(h)
            for h in node.handlers  # type: ignore[attr-defined]
        ):
            for stmt in _statements(node.body):  # type: ignore[attr-defined]
                guards.setdefault(id(stmt), node)
    return guards


def _line(ctx: Context, n: int) -> str:
    return ctx.lines[n - 1] if 0 < n <= len(ctx.lines) else ""


def newline_at(ctx: Context, n: int) -> str:
    """The line ending of line ``n``; for a last line without one, the file's first ending."""
    text = _line(ctx, n)
    ending = text[len(text.rstrip("\r\n")) :]
    if ending:
        return ending
    for other in ctx.lines:
        ending = other[len(other.rstrip("\r\n")) :]
        if ending:
            return ending
    return "\n"


def _indent_of(ctx: Context, stmt: ast.stmt) -> str | None:
    """The whitespace before a statement that starts its line; None when code precedes it
    (``try: import wandb``, ``x = 1; import wandb``)."""
    prefix = _line(ctx, stmt.lineno).encode()[: stmt.col_offset].decode("utf-8", "replace")
    if prefix.strip(" \t\f") != "":
        return None
    # a form feed resets Python's indentation count: the indentation is what follows the last one
    return prefix.rpartition("\f")[2]


#: (module, name, alias or "") of the import a fix adds
Statement = tuple[str, str, str]


def _after(ctx: Context, stmt: ast.stmt, statement: Statement) -> Transform | None:
    """A new line with ``statement`` after ``stmt``, at its indentation: the transform of the
    statement's line (from the statement to the end of its last line, a comment included); for
    a compound statement (the ``try`` that would swallow the import's failure), of the line of
    the simple statement that ends it."""
    indent = _indent_of(ctx, stmt)
    if indent is None:
        return None
    last = stmt.end_lineno or stmt.lineno
    inner = last_simple_statement(stmt)
    if inner is None:
        return None
    text = _line(ctx, last)
    end = (last, len(text.rstrip("\r\n").encode()))
    start = start_of(inner)
    original = ctx.text_between(start, end)
    return Transform(
        start, end, original, "import_after", (indent, newline_at(ctx, last), *statement)
    )


def _merge(ctx: Context, stmt: ast.ImportFrom, name: str, local: str) -> Transform | None:
    """``, name`` added to ``from module import a, b``: libcst keeps its parentheses, line
    breaks and comments (a star import gains nothing)."""
    if any(a.name == "*" for a in stmt.names):
        return None
    asname = local if local != name else ""
    return Transform(
        start_of(stmt), end_of(stmt), ctx.segment(stmt), "add_import_name", (name, asname)
    )


def _at_start(
    ctx: Context, body: Sequence[ast.stmt], statement: Statement, module_level: bool = False
) -> Transform | None:
    """Before the first statement of a block that is not its docstring, a ``__future__``
    import or (at module level) one of the leading imports."""
    i = 0
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        if isinstance(first.value.value, str):
            i = 1
    while i < len(body) and _is_future_import(body[i]):
        i += 1
    if module_level:
        while i < len(body) and isinstance(body[i], (ast.Import, ast.ImportFrom)):
            i += 1
    if i > 0:
        return _after(ctx, body[i - 1], statement)
    if not body:
        return None
    first = body[0]
    indent = _indent_of(ctx, first)
    if indent is None:
        return None
    pos = (first.lineno, 0)
    return Transform(
        pos, pos, "", "import_line", (indent, newline_at(ctx, first.lineno), *statement)
    )
