"""Data flow on the name table: the queries rules ask instead of walking the tree themselves.

- ``assignments(func, name)``: the values a name is assigned in a function (or the module);
- ``surely_bound(node)``: names surely bound where a node runs (linear in the file: each block is
  indexed once, not walked again for every call);
- ``reaches_sink(expr)``: does a value reach a report (a log, print, format, metrics dict),
  directly or through a local name;
- ``print_helpers()`` / ``memory_helpers()``: module-level functions that only forward to
  ``print``, or return ``torch.cuda.memory_allocated()``.

One ``Flow`` per module, built lazily by ``Context.flow``; every answer is cached.
"""

from __future__ import annotations

import ast
from bisect import bisect_left
from collections.abc import Iterable

from .positions import children, end_of, start_of
from .resolve import ALLOCATED, LEAVES, SCOPE_NODES, own_nodes

#: callee names whose arguments are a report: printing, logging, formatting, metrics
SINK_CALLS = frozenset(
    {
        "print", "log", "info", "debug", "warning", "write", "log_metrics", "log_dict",
        "add_scalar", "add_scalars", "set_postfix", "format", "echo", "update",
    }
)  # fmt: skip
#: conversions that keep a figure what it is (bytes to GB, rounding)
KEEPS_VALUE = (ast.Div, ast.FloorDiv, ast.Mult, ast.RShift)
WRAPPERS = frozenset({"round", "float", "int", "str", "format"})
_BLOCKS = ("body", "orelse", "finalbody", "handlers")


class Flow:
    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self._assigned: dict[int, dict[str, list[tuple[ast.AST, ast.AST]]]] = {}
        self._block_index: dict[int, tuple[dict[str, int], dict[int, int]]] = {}
        self._parents: dict[int, dict[int, ast.AST]] = {}
        self._module_parent_map: dict[int, ast.AST] | None = None
        self._print_helpers: frozenset[str] | None = None
        self._memory_helpers: dict[str, str] | None = None

    # -- assignments ---------------------------------------------------------------------------

    def assignments(self, func: ast.AST, name: str) -> list[ast.AST]:
        """Values assigned to ``name`` in a function (or module) body, nested scopes aside:
        ``name = v``, ``name: T = v``, ``(name := v)``; ``name += v`` as the AugAssign node."""
        return [value for _node, value in self.assigning(func, name)]

    def assigning(self, func: ast.AST, name: str) -> list[tuple[ast.AST, ast.AST]]:
        """``assignments`` with the node that assigns each value (the ``Assign``, the
        ``AnnAssign``, the ``NamedExpr``; an ``AugAssign`` is both)."""
        table = self._assigned.get(id(func))
        if table is None:
            table = self._assigned[id(func)] = {}
            for node in own_nodes(func):
                if isinstance(node, ast.Assign):
                    for t in node.targets:
                        if isinstance(t, ast.Name):
                            table.setdefault(t.id, []).append((node, node.value))
                elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)):
                    if isinstance(node.target, ast.Name) and node.value is not None:
                        table.setdefault(node.target.id, []).append((node, node.value))
                elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                    table.setdefault(node.target.id, []).append((node, node))
        return table.get(name, [])

    # -- what is bound where -------------------------------------------------------------------

    def ancestors_of(self, node: ast.AST) -> list[ast.AST]:
        """The nodes around ``node``, outermost (the module) first: what the engine's
        ``ctx.ancestors`` holds while it visits ``node``, for any node of the module."""
        parents = self.ctx.names.parents()  # from the walk the name table made
        if id(node) not in parents and type(node) in LEAVES:
            parents = self._module_parents()  # a name or a constant: the walk leaves them out
        chain: list[ast.AST] = []
        parent = parents.get(id(node))
        while parent is not None:
            chain.append(parent)
            parent = parents.get(id(parent))
        chain.reverse()
        return chain

    def _module_parents(self) -> dict[int, ast.AST]:
        """Each node's parent over the whole module, names and constants too (an explicit
        stack; built once, only when a name or a constant is asked about)."""
        parents = self._module_parent_map
        if parents is None:
            parents = self._module_parent_map = {}
            stack: list[ast.AST] = [self.ctx.tree]
            while stack:
                node = stack.pop()
                for child in children(node):
                    if not isinstance(child, ast.expr_context):  # shared singletons
                        parents[id(child)] = node
                        stack.append(child)
        return parents

    def surely_bound(self, node: ast.AST, among: Iterable[str] | None = None) -> set[str]:
        """Names surely bound when ``node`` runs: parameters of the
        enclosing function, targets of enclosing ``for``/``with``, and names assigned by simple
        statements that surely ran before it (earlier siblings in each enclosing block).
        ``among``: only these names are asked about (the cost then does not grow with the
        number of names in the block)."""
        wanted = None if among is None else set(among)
        names: set[str] = set()
        ancestors = self.ancestors_of(node)
        func = _innermost_function(ancestors) or self.ctx.tree
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = func.args
            for p in a.posonlyargs + a.args + a.kwonlyargs:
                names.add(p.arg)
        chain: list[ast.AST] = ancestors + [node]
        start = chain.index(func) if func in chain else 0
        for i in range(start, len(chain) - 1):
            parent, child = chain[i], chain[i + 1]
            if i > start and isinstance(parent, (ast.For, ast.AsyncFor)):
                names |= target_names(parent.target)
            elif i > start and isinstance(parent, (ast.With, ast.AsyncWith)):
                for item in parent.items:
                    if item.optional_vars is not None:
                        names |= target_names(item.optional_vars)
            for fieldname in _BLOCKS:
                block = getattr(parent, fieldname, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.AST):
                    index, positions = self._index(block)
                    pos = positions.get(id(child))
                    if pos is None:
                        continue
                    if wanted is None:
                        names.update(n for n, first in index.items() if first < pos)
                    else:
                        names.update(n for n in wanted if index.get(n, pos) < pos)
        return names if wanted is None else names & wanted

    def position(self, block: list[ast.AST], stmt: ast.AST) -> int | None:
        """The index of ``stmt`` in ``block`` (cached: no scan per question)."""
        return self._index(block)[1].get(id(stmt))

    def _index(self, block: list[ast.AST]) -> tuple[dict[str, int], dict[int, int]]:
        """For one block: each name a simple statement binds with the first position binding
        it, and the position of each statement."""
        found = self._block_index.get(id(block))
        if found is None:
            index: dict[str, int] = {}
            positions: dict[int, int] = {}
            for i, stmt in enumerate(block):
                positions[id(stmt)] = i
                for n in bound_names(stmt):
                    index.setdefault(n, i)
            found = self._block_index[id(block)] = (index, positions)
        return found

    # -- where values go -----------------------------------------------------------------------

    def reaches_sink(self, expr: ast.AST, func: ast.AST | None = None) -> bool:
        """Does the value of ``expr`` reach a report (a log, print, format or metrics dict),
        directly or through one local name? ``func``: the function to follow a name in (the
        innermost around ``expr`` when not given)."""
        ancestors = self.ancestors_of(expr)
        func = func or _innermost_function(ancestors) or self.ctx.tree
        child: ast.AST = expr
        for parent in reversed(ancestors):
            verdict = _step(parent, child)
            if verdict is not None:
                if isinstance(verdict, str):
                    return self._name_reaches_sink(verdict, func)
                return verdict
            child = parent
        return False

    def _name_reaches_sink(self, name: str, func: ast.AST) -> bool:
        parents = self.parents_of(func)
        for node in own_nodes(func):
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
                child: ast.AST = node
                while id(child) in parents:
                    parent = parents[id(child)]
                    verdict = _step(parent, child)
                    if verdict is not None:
                        if verdict is True:
                            return True
                        break  # one level of names is enough
                    child = parent
        return False

    def parents_of(self, func: ast.AST) -> dict[int, ast.AST]:
        parents = self._parents.get(id(func))
        if parents is None:
            parents = self._parents[id(func)] = {}
            for node in own_nodes(func):
                for child in children(node):
                    parents[id(child)] = node
            for child in children(func):
                parents[id(child)] = func
        return parents

    # -- environment ---------------------------------------------------------------------------

    # -- helpers in the same module ------------------------------------------------------------

    def print_helpers(self) -> frozenset[str]:
        """Module-level functions whose body only forwards their arguments to ``print`` (with
        or without a rank check): ``print0``, ``master_print``."""
        if self._print_helpers is None:
            # the cheap question first: only a function holding a ``print(...)`` of its own (its
            # nearest enclosing scope) can forward to it; most modules have a few or none
            names = self.ctx.names
            printing: set[int] = set()
            prints = (
                [c for c, _ in names.calls_named("print") if type(c.func) is ast.Name]
                if "print" in self.ctx.source or not self.ctx.source.isascii()  # NFKC names
                else ()
            )
            if prints:
                # a top-level function whose text holds a print call is walked, to tell whether
                # it is the call's nearest enclosing function (not a nested def or lambda)
                at = sorted((c.lineno, c.col_offset) for c in prints)
                wanted = {id(c) for c in prints}
                for stmt in self.ctx.tree.body:
                    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        i = bisect_left(at, _start_with_decorators(stmt))
                        if i < len(at) and at[i] <= end_of(stmt) and _holds_own(stmt, wanted):
                            printing.add(id(stmt))
            found = set()
            for stmt in self.ctx.tree.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    if id(stmt) in printing and self._forwards_to_print(stmt):
                        found.add(stmt.name)
            self._print_helpers = frozenset(found)
        return self._print_helpers

    def _forwards_to_print(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        params = {a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs}
        params |= {a.arg for a in (func.args.vararg, func.args.kwarg) if a is not None}
        prints = 0
        for node in own_nodes(func):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None)
                if name == "print":
                    args = [*node.args, *(k.value for k in node.keywords)]
                    used = {n.id for a in args for n in ast.walk(a) if isinstance(n, ast.Name)}
                    if not used or not used <= params:
                        return False
                    prints += 1
            elif isinstance(
                node, (ast.Assign, ast.AugAssign, ast.Return, ast.For, ast.While, ast.With)
            ):
                return False
        return prints > 0

    def memory_helpers(self) -> dict[str, str]:
        """Module-level functions that return ``torch.cuda.memory_allocated()`` /
        ``max_memory_allocated()``, scaled or not: name -> the torch function's qualname."""
        if self._memory_helpers is None:
            found: dict[str, str] = {}
            scope = self.ctx.names.module
            for stmt in self.ctx.tree.body:
                if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                fscope = self.ctx.names.scope_of.get(id(stmt), scope)
                for node in own_nodes(stmt):
                    if isinstance(node, ast.Return) and node.value is not None:
                        qual = _scaled_allocated(self.ctx, node.value, fscope)
                        if qual is not None:
                            found[stmt.name] = qual
            self._memory_helpers = found
        return self._memory_helpers


def _scaled_allocated(ctx, expr: ast.AST, scope) -> str | None:
    while True:
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, KEEPS_VALUE):
            expr = expr.left
        elif (
            isinstance(expr, ast.Call) and getattr(expr.func, "id", None) in WRAPPERS and expr.args
        ):
            expr = expr.args[0]
        else:
            break
    if isinstance(expr, ast.Call):
        qual = ctx.qualname(expr.func, scope)
        if qual in ALLOCATED:
            return qual
    return None


def _step(parent: ast.AST, child: ast.AST) -> bool | str | None:
    """One step outwards from a value: True: a report; False: a use that is not a report; a
    str: assigned to that name; None: keep walking outwards."""
    if isinstance(parent, ast.BinOp):
        return None if isinstance(parent.op, KEEPS_VALUE) else False
    if isinstance(parent, ast.BoolOp) and isinstance(parent.op, ast.Or):
        return None  # ``peak_gpu_memory() or 0``: the fallback keeps the figure what it is
    if isinstance(parent, ast.Call):
        if child is parent.func:
            return False
        callee = parent.func
        name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
        if name in WRAPPERS:
            return None
        return name in SINK_CALLS
    if isinstance(parent, (ast.FormattedValue, ast.JoinedStr)):
        return True
    if isinstance(parent, ast.Dict):
        return child in parent.values
    if isinstance(parent, (ast.keyword, ast.Tuple, ast.List)):
        return None
    if isinstance(parent, ast.Return):
        return isinstance(child, ast.Dict)
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        target = parent.targets[0]
        if isinstance(target, ast.Name):
            return target.id
        if isinstance(target, ast.Subscript):
            return True  # metrics["gpu_mem"] = ...
        return False
    if isinstance(parent, ast.AnnAssign) and isinstance(parent.target, ast.Name):
        return parent.target.id
    return False


def _str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _innermost_function(ancestors: list[ast.AST]) -> ast.AST | None:
    """The innermost function or lambda among ``ancestors`` (outermost first)."""
    for node in reversed(ancestors):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return node
    return None


def target_names(target: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def bound_names(stmt: ast.AST) -> set[str]:
    """Names a simple statement binds (assignment, augmented assignment)."""
    targets: list[ast.AST] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)) and (
        getattr(stmt, "value", None) is not None or isinstance(stmt, ast.AugAssign)
    ):
        targets = [stmt.target]
    names: set[str] = set()
    for t in targets:
        names |= target_names(t)
    return names


def _start_with_decorators(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int]:
    return min([start_of(node), *(start_of(d) for d in node.decorator_list)])


def _holds_own(func: ast.AST, wanted: set[int]) -> bool:
    """One of the ``wanted`` nodes is in ``func`` with ``func`` its nearest enclosing function,
    lambda or class (a nested one's decorators, defaults and body are that one's)."""
    stack = list(children(func))
    while stack:
        node = stack.pop()
        if id(node) in wanted:
            return True
        if not isinstance(node, SCOPE_NODES) and type(node) not in LEAVES:
            stack.extend(children(node))
    return False
