"""What a name means: wandb, a wandb run, torch.cuda, os.environ... from the module's own bindings.

One pass over the module records every binding (imports, assignments, ``with ... as``, parameters
and their annotations, attributes stored on ``self``) per scope; names are then resolved lazily, on
demand, to a dotted *qualified name* such as ``wandb.log``, ``torch.cuda.memory_allocated`` or
``<wandb.Run>.log`` (a method of a run object).

The analysis is flow-insensitive on purpose: a name bound to different things in one scope resolves
to nothing, so rules stay silent. A missed finding costs users less than a false positive.
"""

from __future__ import annotations

import ast
import builtins
from typing import Dict, List, Optional, Tuple, Union

#: The qualified name of a wandb ``Run`` *instance* (what ``wandb.init()`` returns).
RUN = "<wandb.Run>"

_RUN_TYPES = frozenset(
    {
        "wandb.Run",
        "wandb.sdk.Run",
        "wandb.sdk.wandb_run.Run",
        "wandb.wandb_run.Run",
        "wandb.apis.public.Run",  # not a live run, but nobody calls .log on one
    }
)
_NORMALISE = {
    "wandb.run": RUN,
    "wandb.init()": RUN,
    "wandb.sdk.wandb_init.init()": RUN,
}
_BUILTINS = frozenset(dir(builtins))
#: the nodes that open a scope of their own
SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)

# A binding is a qualified name (str), an expression evaluated lazily in a scope, or OPAQUE.
OPAQUE = object()
Binding = Union[str, Tuple[ast.AST, "Scope"], object]


class _Annotated:
    """A parameter whose annotation may say it is a wandb run."""

    __slots__ = ("expr", "scope")

    def __init__(self, expr: ast.AST, scope: "Scope") -> None:
        self.expr = expr
        self.scope = scope


class ClassInfo:
    __slots__ = ("node", "attrs")

    def __init__(self, node: ast.ClassDef) -> None:
        self.node = node
        self.attrs: Dict[str, List[Binding]] = {}


class Scope:
    __slots__ = ("node", "parent", "bindings", "globals", "is_class", "cls", "self_name")

    def __init__(self, node: ast.AST, parent: Optional["Scope"], is_class: bool = False) -> None:
        self.node = node
        self.parent = parent
        self.bindings: Dict[str, List[Binding]] = {}
        self.globals: set = set()
        self.is_class = is_class
        self.cls: Optional[ClassInfo] = None  # the class a method belongs to
        self.self_name: Optional[str] = None  # its first parameter (``self``)

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def call_name(node: ast.Call) -> Optional[str]:
    """The last name of a call's callee: ``log`` for ``a.b.log(...)`` and ``log(...)``."""
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


class Resolver:
    """Bindings of one module, and the lazy resolution of expressions to qualified names."""

    def __init__(self, tree: ast.Module) -> None:
        self.module = Scope(tree, None)
        self.scope_of: Dict[int, Scope] = {id(tree): self.module}
        self.classes: Dict[int, ClassInfo] = {}
        #: every call in the module, indexed by the last name of its callee, with its scope
        self.calls: Dict[str, List[Tuple[ast.Call, Scope]]] = {}
        self._memo: Dict[Tuple[int, int], Optional[str]] = {}
        _Binder(self).run(tree)

    # -- queries -------------------------------------------------------------------------------

    def qualname(self, expr: ast.AST, scope: Scope) -> Optional[str]:
        """``wandb.log`` for ``wb.log`` after ``import wandb as wb``; None when unknown."""
        key = (id(expr), id(scope))
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # a cycle resolves to nothing
        result = self._qualname(expr, scope)
        self._memo[key] = result
        return result

    def _qualname(self, expr: ast.AST, scope: Scope) -> Optional[str]:
        if isinstance(expr, ast.Name):
            return self.lookup(expr.id, scope)
        if isinstance(expr, ast.Attribute):
            if isinstance(expr.value, ast.Name):
                cls = self.self_class(expr.value.id, scope)
                if cls is not None:
                    return self._resolve_all(cls.attrs.get(expr.attr, ()))
            base = self.qualname(expr.value, scope)
            return _normalise(base + "." + expr.attr) if base else None
        if isinstance(expr, ast.Call):
            base = self.qualname(expr.func, scope)
            return _normalise(base + "()") if base else None
        if isinstance(expr, ast.IfExp):
            branches = [b for b in (expr.body, expr.orelse) if not _is_none(b)]
            names = {self.qualname(b, scope) for b in branches}
            return names.pop() if len(names) == 1 else None
        if isinstance(expr, ast.NamedExpr):
            return self.qualname(expr.value, scope)
        return None

    def lookup(self, name: str, scope: Scope) -> Optional[str]:
        found = self._binding_scope(name, scope)
        if found is None:
            return name if name in _BUILTINS else None
        return self._resolve_all(found.bindings[name])

    def _binding_scope(self, name: str, scope: Scope) -> Optional[Scope]:
        s: Optional[Scope] = scope
        first = True
        while s is not None:
            if name in s.globals:
                s = self.module
            if name in s.bindings and (first or not s.is_class):
                return s
            first = False
            s = s.parent
        return None

    def self_class(self, name: str, scope: Scope) -> Optional[ClassInfo]:
        """The class whose instance ``name`` is, when ``name`` is a method's ``self``."""
        s = self._binding_scope(name, scope)
        if s is not None and s.self_name == name:
            return s.cls
        return None

    def _resolve_all(self, bindings) -> Optional[str]:
        names = set()
        for b in bindings:
            if isinstance(b, str):
                names.add(b)
            elif b is OPAQUE:
                return None
            elif isinstance(b, _Annotated):
                names.add(RUN if self.qualname(b.expr, b.scope) in _RUN_TYPES else None)
            else:
                expr, scope = b
                if _is_none(expr):
                    continue  # ``run = None`` before ``run = wandb.init()``
                names.add(self.qualname(expr, scope))
            if len(names) > 1:
                return None
        return names.pop() if len(names) == 1 else None

    def calls_named(self, name: str) -> List[Tuple[ast.Call, Scope]]:
        return self.calls.get(name, [])


def _normalise(name: str) -> str:
    return _NORMALISE.get(name, name)


def _annotation_target(node: Optional[ast.AST]) -> Optional[ast.AST]:
    """Unwrap ``Optional[X]``, ``X | None`` and string annotations to ``X``."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.Subscript):
        base = node.value
        base_name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if base_name == "Optional":
            return _annotation_target(node.slice)
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        if _is_none(node.right):
            return _annotation_target(node.left)
        if _is_none(node.left):
            return _annotation_target(node.right)
        return None
    return node


class _Binder(ast.NodeVisitor):
    """Records every binding of the module, per scope, in one walk."""

    def __init__(self, resolver: Resolver) -> None:
        self.r = resolver
        self.scope = resolver.module

    def run(self, tree: ast.Module) -> None:
        self.generic_visit(tree)

    # -- scopes --------------------------------------------------------------------------------

    def _enter(self, node: ast.AST, is_class: bool = False) -> Scope:
        parent = self.scope
        scope = Scope(node, parent, is_class=is_class)
        self.r.scope_of[id(node)] = scope
        self.scope = scope
        return parent

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for d in node.decorator_list + node.bases:
            self.visit(d)
        for k in node.keywords:
            self.visit(k)
        self._bind_name(node.name, OPAQUE)
        parent = self._enter(node, is_class=True)
        self.r.classes[id(node)] = self.scope.cls = ClassInfo(node)
        for stmt in node.body:
            self.visit(stmt)
        self.scope = parent

    def _visit_function(self, node) -> None:
        for d in node.decorator_list:
            self.visit(d)
        self.visit(node.args)  # defaults and annotations belong to the enclosing scope
        if node.returns:
            self.visit(node.returns)
        enclosing = self.scope
        self._bind_name(node.name, OPAQUE)
        self._enter(node)
        self._bind_params(node.args, enclosing)
        if enclosing.is_class and enclosing.cls is not None:
            is_static = any(
                getattr(d, "id", getattr(d, "attr", None)) in ("staticmethod", "classmethod")
                for d in node.decorator_list
            )
            positional = node.args.posonlyargs + node.args.args
            if positional and not is_static:
                self.scope.cls = enclosing.cls
                self.scope.self_name = positional[0].arg
        for stmt in node.body:
            self.visit(stmt)
        self.scope = enclosing

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.args)
        enclosing = self._enter(node)
        self._bind_params(node.args, enclosing)
        self.visit(node.body)
        self.scope = enclosing

    def _bind_params(self, args: ast.arguments, enclosing: Scope) -> None:
        params = args.posonlyargs + args.args + args.kwonlyargs
        params += [a for a in (args.vararg, args.kwarg) if a is not None]
        for p in params:
            target = _annotation_target(getattr(p, "annotation", None))
            # resolved lazily: the annotation's own names may be bound later in the module
            self.scope.bind(p.arg, _Annotated(target, enclosing) if target is not None else OPAQUE)

    # -- bindings ------------------------------------------------------------------------------

    def _bind_name(self, name: str, binding: Binding) -> None:
        scope = self.r.module if name in self.scope.globals else self.scope
        scope.bind(name, binding)

    def _bind_target(self, target: ast.AST, value: Optional[ast.AST]) -> None:
        if isinstance(target, ast.Name):
            self._bind_name(target.id, (value, self.scope) if value is not None else OPAQUE)
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) else None
            if values is not None and len(values) != len(target.elts):
                values = None
            for i, elt in enumerate(target.elts):
                self._bind_target(elt, values[i] if values is not None else None)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, None)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            cls = self._self_class(target.value.id)
            if cls is not None:
                binding = (value, self.scope) if value is not None else OPAQUE
                cls.attrs.setdefault(target.attr, []).append(binding)

    def _self_class(self, name: str) -> Optional[ClassInfo]:
        return self.r.self_class(name, self.scope)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self._bind_name(alias.asname, alias.name)
            else:
                top = alias.name.split(".")[0]
                self._bind_name(top, top)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                continue
            local = alias.asname or alias.name
            if node.level or not node.module:
                self._bind_name(local, OPAQUE)
            else:
                self._bind_name(local, node.module + "." + alias.name)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._bind_target(target, node.value)
            self._visit_target_parts(target)
        if self.scope.is_class and self.scope.cls is not None:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.scope.cls.attrs.setdefault(target.id, []).append((node.value, self.scope))

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
            self._bind_target(node.target, node.value)
        self._visit_target_parts(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        # ``step += 1`` keeps what the name is; it adds no binding of its own.
        self.visit(node.value)
        self._visit_target_parts(node.target)

    def _visit_target_parts(self, target: ast.AST) -> None:
        # the expressions inside a target (``a[i]``, ``self.x``) still hold calls to index
        if not isinstance(target, ast.Name):
            self.generic_visit(target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind_target(node.target, node.value)

    def _visit_for(self, node) -> None:
        self.visit(node.iter)
        self._bind_target(node.target, None)
        for stmt in node.body + node.orelse:
            self.visit(stmt)

    visit_For = visit_AsyncFor = _visit_for

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self.visit(node.iter)
        self._bind_target(node.target, None)
        for cond in node.ifs:
            self.visit(cond)

    def _visit_with(self, node) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._bind_target(item.optional_vars, item.context_expr)
        for stmt in node.body:
            self.visit(stmt)

    visit_With = visit_AsyncWith = _visit_with

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self._bind_name(node.name, OPAQUE)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.globals.update(node.names)

    visit_Nonlocal = visit_Global

    def visit_Call(self, node: ast.Call) -> None:
        name = call_name(node)
        if name is not None:
            self.r.calls.setdefault(name, []).append((node, self.scope))
        self.generic_visit(node)
