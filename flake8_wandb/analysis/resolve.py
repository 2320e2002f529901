"""What a name means: wandb, a wandb run, torch.cuda, os.environ... from the module's own bindings.

One pass over the module records every binding (imports, assignments, ``with ... as``, parameters
and their annotations, attributes stored on ``self``) per scope; names are then resolved lazily, on
demand, to a dotted *qualified name* such as ``wandb.log``, ``torch.cuda.memory_allocated`` or
``<wandb.Run>.log`` (a method of a run object).

The analysis is flow-insensitive on purpose: a name bound to different things in one scope resolves
to nothing, so rules stay silent. A missed finding costs users less than a false positive. Two
exceptions, because real training code is written that way (docs/integrations.md): a
name bound to a run in one place and to ``None`` or to a stand-in object (``DummyWandb()``) in
another is a run; ``wandb = None`` after a failed import keeps ``wandb`` the module.
"""

from __future__ import annotations

import ast
import builtins
import re
from ast import AST
from collections.abc import Callable, Iterator
from typing import Union

from .positions import BRANCH_FIELDS, branch_fields, children, walked_children

#: The qualname of a wandb ``Run`` *instance* (what ``wandb.init()`` returns).
RUN = "<wandb.Run>"
#: A run reached through Lightning's ``WandbLogger(...).experiment`` / ``self.logger.experiment``.
#: Lightning owns the step there; ``Context.qualname`` shows it as ``RUN`` to every rule, and only
#: the step rules (WB101, WB106) ask for the difference.
LIGHTNING_RUN = "<lightning.Run>"
#: An unannotated parameter named like a run (``run``, ``wandb_run``...): a run only where it is
#: called like one (see ``Context.is_wandb_log``).
RUN_PARAM = "<run-param>"
RUN_PARAM_NAMES = frozenset({"run", "wandb_run", "wb_run", "wandb_logger_run"})
#: ``Accelerator(log_with=...)`` whose trackers include wandb: its ``.log`` is a wandb log call.
ACCELERATOR = "<accelerate.Accelerator+wandb>"
#: ``accelerator.get_tracker("wandb")``: its ``.log`` is a wandb log call, ``.tracker``/``.run``
#: are runs.
TRACKER = "<accelerate.WandBTracker>"
#: prefix of classes defined in the module itself (``DummyWandb`` -> ``<local>.DummyWandb``)
LOCAL_CLASS = "<local>."
#: ``self.logger`` in a LightningModule (never assigned there)
LIGHTNING_LOGGER = "<lightning.Logger>"

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
    TRACKER + ".tracker": RUN,
    TRACKER + ".run": RUN,
}
_ACCELERATOR_CLASSES = frozenset({"accelerate.Accelerator", "accelerate.accelerator.Accelerator"})
_PLAIN_ACCELERATORS = frozenset(c + "()" for c in _ACCELERATOR_CLASSES)
_LIGHTNING_PREFIXES = ("pytorch_lightning.", "lightning.", "lightning_fabric.")
#: libraries whose classes are never a stand-in for a wandb run
_NOT_STAND_INS = (
    "torch.", "tensorboardX.", "tensorboard.", "logging.", "mlflow.", "neptune.", "comet_ml.",
    "clearml.", "aim.", "accelerate.", "transformers.", "pytorch_lightning.", "lightning.",
    "wandb.",
)  # fmt: skip
#: what a stand-in's class is called: ``DummyWandb``, ``NoOpRun``, ``NullLogger``; a ``Timers()``
#: bound to the same name is something else, and the name then resolves to nothing
_STAND_IN_NAME = re.compile(r"(dummy|noop|no_op|null|fake|mock|stub|disabled|wandb|run)", re.I)
_BUILTINS = frozenset(dir(builtins))
#: names no project function has: the call hook is not asked about them
_LIBRARIES = (
    "wandb.", "torch.", "os.", "accelerate.", "numpy.", "math.", "time.", "logging.",
    "transformers.", "datetime.", "json.", "re.", "sys.", "random.", "collections.", "typing.",
    "functools.", "itertools.", "pathlib.", "subprocess.", "argparse.", "lightning.",
    "pytorch_lightning.", "tqdm.", "<",
)  # fmt: skip
#: an unannotated parameter named so, in a module that mentions wandb, is an accelerator made
#: elsewhere: ``Accelerator(log_with=args.report_to)`` (docs/integrations.md)
ACCELERATOR_PARAM_NAMES = frozenset({"accelerator"})
#: torch's allocated-memory readings (docs/facts.md: far below what the GPU holds), each with the
#: reserved reading to log instead: WB201, the flow queries and the project summaries ask it
ALLOCATED = {
    "torch.cuda.memory_allocated": "memory_reserved",
    "torch.cuda.max_memory_allocated": "max_memory_reserved",
}
#: the nodes that open a scope of their own
SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)

# A binding is a qualified name (str), an expression evaluated lazily in a scope, or OPAQUE.
OPAQUE = object()
Binding = Union[str, tuple[ast.AST, "Scope"], object]  # noqa: UP007  evaluated; Python 3.9 imports it


class _Annotated:
    """A parameter whose annotation may say it is a wandb run."""

    __slots__ = ("expr", "scope")

    def __init__(self, expr: ast.AST, scope: Scope) -> None:
        self.expr = expr
        self.scope = scope


class _Param:
    """A plain parameter of a function: what its in-project callers pass, when the project view
    (``Resolver.param_hook``) can tell; otherwise unknown, as OPAQUE."""

    __slots__ = ("func", "name")

    def __init__(self, func: ast.AST, name: str) -> None:
        self.func = func
        self.name = name


#: prefix of an instance of a class of a project module, as a parameter's callers pass it
#: (``<instance:/abs/utils.py:WandbLogger>``); its attributes are asked of the project view
INSTANCE = "<instance:"


class ClassInfo:
    __slots__ = ("node", "attrs")

    def __init__(self, node: ast.ClassDef) -> None:
        self.node = node
        self.attrs: dict[str, list[Binding]] = {}


class Scope:
    __slots__ = ("node", "parent", "bindings", "globals", "is_class", "cls", "self_name")

    def __init__(self, node: ast.AST, parent: Scope | None, is_class: bool = False) -> None:
        self.node = node
        self.parent = parent
        self.bindings: dict[str, list[Binding]] = {}
        self.globals: set = set()
        self.is_class = is_class
        self.cls: ClassInfo | None = None  # the class a method belongs to
        self.self_name: str | None = None  # its first parameter (``self``)

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


def own_nodes(func: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function (or module) without those of nested functions and classes (a
    nested one is given, not its nodes); contexts and operators included, as
    ``ast.iter_child_nodes`` gives them."""
    stack = children(func)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, SCOPE_NODES):
            stack.extend(children(node))


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def call_name(node: ast.Call) -> str | None:
    """The last name of a call's callee: ``log`` for ``a.b.log(...)`` and ``log(...)``."""
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


#: not asked yet (a qualified name may be None)
_UNKNOWN = object()


class Resolver:
    """Bindings of one module, and the lazy resolution of expressions to qualified names."""

    def __init__(
        self,
        tree: ast.Module,
        mentions_wandb: bool = True,
        leaves: bool = False,
        record: bool = True,
    ) -> None:
        self.module = Scope(tree, None)
        #: every node of the module and its depth (the module is 0), in the order a walk of
        #: the tree visits them (parents first, children in ``ast.iter_child_nodes`` order);
        #: names, constants, operators and contexts only when ``leaves`` is asked for; never the
        #: annotations (``positions.ANNOTATION_FIELDS``: a function's parameters and return
        #: type, an annotated assignment's type are types, not code a run executes; a
        #: parameter's annotation is read where it is bound). The engine walks these lists
        #: instead of the tree: one walk of each module, not two.
        #: ``record=False`` (a project module kept for the whole process, that no engine walks):
        #: not kept, and ``nodes_of``/``parents`` are not asked.
        self.nodes: list[ast.AST] = []
        self.depths: list[int] = []
        self._by_type: dict[type, list[ast.AST]] | None = None
        self._parents: dict[int, ast.AST] | None = None
        self.scope_of: dict[int, Scope] = {id(tree): self.module}
        self.classes: dict[int, ClassInfo] = {}
        #: every call in the module, indexed by the last name of its callee, with its scope
        self.calls: dict[str, list[tuple[ast.Call, Scope]]] = {}
        #: every call in the module, in the walk's order, with the scope its code runs in
        #: (not those inside a loop's or ``with``'s target, which bind nothing: the index above
        #: leaves them out too)
        self.all_calls: list[tuple[ast.Call, Scope]] = []
        #: the module's text mentions wandb: an ``Accelerator(log_with=args.report_to)`` there may
        #: log to wandb
        self.mentions_wandb = mentions_wandb
        self._memo: dict[int, dict[int, str | None]] = {}
        self._imports_wandb: bool | None = None
        #: what a call of one of the project's functions returns (analysis/project.py), set by
        #: the owner of the name table: ``hook(call, scope)`` -> a qualified name or None
        self.call_hook: Callable[[ast.Call, Scope], str | None] | None = None
        #: what every in-project caller passes for a plain parameter (analysis/project.py):
        #: ``hook(func, name)`` -> a qualified name or None
        self.param_hook: Callable[[ast.AST, str], str | None] | None = None
        #: an attribute of an instance of a project class (``INSTANCE``): ``hook(base, attr)``
        self.attr_hook: Callable[[str, str], str | None] | None = None
        _Binder(self).run(tree, leaves, record)

    # -- the walk ----------------------------------------------------------------------------

    def nodes_of(self, *types: type) -> list[ast.AST]:
        """The module's nodes of exactly these types, in walk order (``nodes``: never names,
        constants or operators unless the walk recorded them): a lookup, not another walk."""
        assert self.nodes, "a module whose walk was not recorded"
        if self._by_type is None:
            by_type: dict[type, list[ast.AST]] = {}
            for node in self.nodes:
                by_type.setdefault(type(node), []).append(node)
            self._by_type = by_type
        if len(types) == 1:
            return self._by_type.get(types[0], [])
        wanted = set(types)
        return [node for node in self.nodes if type(node) in wanted]

    def parents(self) -> dict[int, ast.AST]:
        """Each recorded node's parent (``id`` -> node), from the walk's depths."""
        assert self.nodes, "a module whose walk was not recorded"
        if self._parents is None:
            parents: dict[int, ast.AST] = {}
            above: list[ast.AST] = []
            for node, depth in zip(self.nodes, self.depths):
                del above[depth:]
                if above:
                    parents[id(node)] = above[-1]
                above.append(node)
            self._parents = parents
        return self._parents

    # -- queries -------------------------------------------------------------------------------

    def qualname(self, expr: ast.AST, scope: Scope) -> str | None:
        """``wandb.log`` for ``wb.log`` after ``import wandb as wb``; None when unknown."""
        memo = self._memo.get(id(scope))  # per scope, by the expression's id: no key to build
        if memo is None:
            memo = self._memo[id(scope)] = {}
        key = id(expr)
        found = memo.get(key, _UNKNOWN)
        if found is not _UNKNOWN:
            return found  # type: ignore[return-value]
        memo[key] = None  # a cycle resolves to nothing
        try:
            result = self._qualname(expr, scope)
        except RecursionError:  # a chain deeper than the interpreter allows: unknown
            result = None
        memo[key] = result
        return result

    def _qualname(self, expr: ast.AST, scope: Scope) -> str | None:
        if isinstance(expr, ast.Name):
            return self.lookup(expr.id, scope)
        if isinstance(expr, ast.Attribute):
            value = expr.value
            if isinstance(value, ast.Name):
                cls = self.self_class(value.id, scope)
                if cls is not None:
                    bindings = cls.attrs.get(expr.attr, ())
                    if not bindings and expr.attr == "logger" and self._is_lightning_module(cls):
                        return LIGHTNING_LOGGER
                    return self._resolve_all(bindings)
            if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
                cls = self.self_class(value.value.id, scope)
                nested = cls.attrs.get(f"{value.attr}.{expr.attr}") if cls is not None else None
                if nested:  # ``self.state.accelerator``, set in a method of the class
                    return self._resolve_all(nested)
            base = self.qualname(value, scope)
            if not base:
                return None
            if base.startswith(INSTANCE):
                return self.attr_hook(base, expr.attr) if self.attr_hook is not None else None
            if expr.attr == "experiment" and (base == LIGHTNING_LOGGER or _is_wandb_logger(base)):
                return LIGHTNING_RUN
            return _normalise(base + "." + expr.attr)
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Attribute) and func.attr == "get_tracker":
                tracker = _tracker_kind(expr)
                if tracker is not None:
                    return tracker
            base = self.qualname(func, scope)
            if base in _ACCELERATOR_CLASSES and self._logs_to_wandb(expr):
                return ACCELERATOR
            if self.call_hook is not None and (
                base is None or not (base in _BUILTINS or base.startswith(_LIBRARIES))
            ):
                returned = self.call_hook(expr, scope)
                if returned is not None:
                    return returned
            return _normalise(base + "()") if base else None
        if isinstance(expr, ast.IfExp):
            # ``None`` and ``lambda: 0`` are fallbacks, not other meanings:
            # ``get_mem = torch.cuda.max_memory_allocated if cuda else lambda: 0``
            names = {
                self.qualname(b, scope) for b in (expr.body, expr.orelse) if not _is_fallback(b)
            }
            return _merge(names)
        if isinstance(expr, ast.NamedExpr):
            return self.qualname(expr.value, scope)
        return None

    def imports_wandb(self) -> bool:
        """The module imports wandb somewhere (``import wandb``, ``from wandb import ...``, in a
        function or under ``try`` too)."""
        if self._imports_wandb is None:
            self._imports_wandb = any(
                isinstance(b, str) and (b == "wandb" or b.startswith("wandb."))
                for scope in self.scope_of.values()
                for bindings in scope.bindings.values()
                for b in bindings
            )
        return self._imports_wandb

    def _logs_to_wandb(self, call: ast.Call) -> bool:
        """``Accelerator(log_with=...)`` naming wandb (``"wandb"``, ``"all"``,
        ``LoggerType.WANDB``, a list holding one), or a value that is not a literal in a module
        that mentions wandb."""
        for kw in call.keywords:
            if kw.arg == "log_with":
                return _names_wandb(kw.value, self.mentions_wandb)
        return False

    def _is_lightning_module(self, cls: ClassInfo) -> bool:
        for base in cls.node.bases:
            qual = self.qualname(base, self.module) or ""
            if qual.endswith("LightningModule") and qual.startswith(_LIGHTNING_PREFIXES):
                return True
        return False

    def lookup(self, name: str, scope: Scope) -> str | None:
        found = self.binding_scope(name, scope)
        if found is None:
            return name if name in _BUILTINS else None
        return self._resolve_all(found.bindings[name])

    def binding_scope(self, name: str, scope: Scope) -> Scope | None:
        s: Scope | None = scope
        first = True
        while s is not None:
            if name in s.globals:
                s = self.module
            if name in s.bindings and (first or not s.is_class):
                return s
            first = False
            s = s.parent
        return None

    def self_class(self, name: str, scope: Scope) -> ClassInfo | None:
        """The class whose instance ``name`` is, when ``name`` is a method's ``self``."""
        s = self.binding_scope(name, scope)
        if s is not None and s.self_name == name:
            return s.cls
        return None

    def _resolve_all(self, bindings) -> str | None:
        if len(bindings) == 1 and bindings[0].__class__ is str:
            return bindings[0]  # one import or definition: what it names (the usual case)
        names: set[str | None] = set()
        for b in bindings:
            if isinstance(b, str):
                names.add(b)
            elif b is OPAQUE:
                return None
            elif isinstance(b, _Param):
                passed = self.param_hook(b.func, b.name) if self.param_hook is not None else None
                if passed is None:
                    return None
                names.add(passed)
            elif isinstance(b, _Annotated):
                names.add(RUN if self.qualname(b.expr, b.scope) in _RUN_TYPES else None)
            else:
                expr, scope = b
                if _is_none(expr):
                    continue  # ``run = None`` before ``run = wandb.init()``
                names.add(self.qualname(expr, scope))
        return _merge(names)

    def attribute_of(self, cls: ast.ClassDef, attr: str) -> str | None:
        """What ``self.<attr>`` means in class ``cls`` of this module (its assignments in the
        class's methods); None when unknown."""
        info = self.classes.get(id(cls))
        return self._resolve_all(info.attrs.get(attr, ())) if info is not None else None

    def calls_named(self, name: str) -> list[tuple[ast.Call, Scope]]:
        return self.calls.get(name, [])


def _normalise(name: str) -> str:
    return _NORMALISE.get(name, name)


def _is_stand_in(name: str | None) -> bool:
    """An instance of a class defined or imported in the module (``DummyWandb()``,
    ``NoOpRun()``), not of a known library's: in a name also bound to a run, it exists only to
    mirror the run's API."""
    if not name or not name.endswith("()") or name.startswith(_NOT_STAND_INS):
        return False
    callee = name[:-2].rsplit(".", 1)[-1]
    return callee[:1].isupper() and "(" not in name[:-2] and bool(_STAND_IN_NAME.search(callee))


def _is_fallback(node: ast.AST) -> bool:
    return _is_none(node) or (isinstance(node, ast.Lambda) and isinstance(node.body, ast.Constant))


def _merge(names) -> str | None:
    """One meaning for the values a name may hold: the same everywhere, or a run with stand-ins
    and run-like parameters beside it (``run = DummyWandb() if rank else wandb.init()``), or an
    accelerator that logs to wandb beside one without trackers (whose ``log`` does nothing)."""
    if len(names) == 1:
        return next(iter(names))
    if ACCELERATOR in names and all(n == ACCELERATOR or n in _PLAIN_ACCELERATORS for n in names):
        return ACCELERATOR
    if RUN in names and all(n == RUN or n == RUN_PARAM or _is_stand_in(n) for n in names):
        return RUN
    return None


def _is_wandb_logger(name: str) -> bool:
    return name.endswith(".WandbLogger()") and name.startswith(_LIGHTNING_PREFIXES)


def _tracker_kind(call: ast.Call) -> str | None:
    """``x.get_tracker("wandb")``: the tracker; with ``unwrap=True``, the run itself."""
    if not call.args or not (
        isinstance(call.args[0], ast.Constant) and call.args[0].value == "wandb"
    ):
        return None
    for kw in call.keywords:
        if kw.arg == "unwrap":
            if isinstance(kw.value, ast.Constant) and kw.value.value is True:
                return RUN
            if not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                return None
    if len(call.args) > 1:
        return None
    return TRACKER


_WANDB_LOGGER_TYPES = frozenset({"WANDB", "ALL"})


def _names_wandb(value: ast.AST, mentions_wandb: bool) -> bool:
    """Does a ``log_with=`` value name wandb? Literals say so exactly; anything else
    (``args.report_to``) may, in a module that mentions wandb."""
    if isinstance(value, ast.Constant):
        return isinstance(value.value, str) and value.value.lower() in ("wandb", "all")
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        if all(_is_literal_tracker(e) for e in value.elts):
            return any(_names_wandb(e, mentions_wandb) for e in value.elts)
        return mentions_wandb
    if isinstance(value, ast.Attribute) and _is_literal_tracker(value):  # LoggerType.WANDB
        return value.attr in _WANDB_LOGGER_TYPES
    return mentions_wandb


def _is_literal_tracker(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    return (
        isinstance(node, ast.Attribute)
        and node.attr.isupper()
        and (getattr(node.value, "id", getattr(node.value, "attr", None)) == "LoggerType")
    )


#: string annotations (``"Run"``, ``"Optional[wandb.Run]"``) parsed, once per process: a
#: typed library writes the same few hundred on every parameter. A parsed one is only ever
#: resolved (never reported on, never changed), so one tree serves every parameter
_STRING_ANNOTATIONS: dict[str, object] = {}


def _annotation_target(node: ast.AST | None) -> ast.AST | None:
    """Unwrap ``Optional[X]``, ``X | None`` and string annotations to ``X``."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        parsed = _STRING_ANNOTATIONS.get(text, _STRING_ANNOTATIONS)
        if parsed is _STRING_ANNOTATIONS:
            try:
                parsed = ast.parse(text, mode="eval").body
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                parsed = None
            if len(_STRING_ANNOTATIONS) < 10_000:
                _STRING_ANNOTATIONS[text] = parsed
        if parsed is None:
            return None
        node = parsed  # type: ignore[assignment]
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


#: nodes that bind nothing and hold no call, and that no rule visits today: the walk leaves them
#: out (``Resolver.nodes``) unless a rule asks for them
_OPERATORS = (ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
LEAVES = frozenset(
    {ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del, ast.alias}
    | {c for c in vars(ast).values() if isinstance(c, type) and issubclass(c, _OPERATORS)}
)


class _Binder:
    """Records every binding of the module, per scope, in one walk, and the walk itself
    (``Resolver.nodes``).

    The walk keeps an explicit stack, like the engine's traversal: whatever Python could parse
    (12,000 terms of ``a + a + ...``, deep attribute chains) is walked without recursion, so the
    recursion limit never has to be raised (raising it let C code overflow the stack on Python
    3.9/3.10). Each node is taken with the scope its code runs in (a decorator or a default in
    the enclosing one, a body in the function's) or None where it binds nothing of its own (a
    loop's or a ``with``'s target, bound by the statement): a handler does the node's binding
    and gives its children, in walk order, with their scopes (None: each in the node's own; a
    scope: the node's body in that scope, its other children in the node's own).
    """

    def __init__(self, resolver: Resolver) -> None:
        self.r = resolver
        self.scope = resolver.module
        self._handlers = {
            ast.ClassDef: self._class,
            ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function,
            ast.Lambda: self._lambda,
            ast.Import: self._import,
            ast.ImportFrom: self._import_from,
            ast.Assign: self._assign,
            ast.AnnAssign: self._ann_assign,
            ast.NamedExpr: self._named_expr,
            ast.For: self._for,
            ast.AsyncFor: self._for,
            ast.comprehension: self._comprehension,
            ast.withitem: self._withitem,
            ast.ExceptHandler: self._except_handler,
            ast.Global: self._global,
            ast.Nonlocal: self._global,
            ast.Call: self._call,
        }

    def run(self, tree: ast.Module, leaves: bool = False, record: bool = True) -> None:
        nodes, depths = (self.r.nodes, self.r.depths) if record else ([], [])
        add_node, add_depth = nodes.append, depths.append
        add_node(tree)
        add_depth(0)
        skip = frozenset() if leaves else LEAVES
        # (node, scope, depth) triples, popped in walk order
        stack: list[tuple[ast.AST, Scope | None, int]] = [
            (child, self.r.module, 1)
            for child in reversed(children(tree))
            if type(child) not in skip
        ]
        handlers = self._handlers
        branches = BRANCH_FIELDS
        pop, push = stack.pop, stack.append
        while stack:
            node, scope, depth = pop()
            add_node(node)
            add_depth(depth)
            depth += 1
            kind = type(node)
            handler = handlers.get(kind)
            scoped = None
            if handler is not None and scope is not None:  # not inside a quiet target
                self.scope = scope
                scoped = handler(node)
            if leaves and scoped is None:  # every child, in the node's scope
                for child in reversed(walked_children(node)):
                    push((child, scope, depth))
                continue
            if scoped is None or scoped.__class__ is Scope:
                # inline, the fields that may hold a branch, last first, each child in the
                # node's scope; a function's or class's body in its own scope (``scoped``), its
                # decorators, defaults and bases in the enclosing one (with leaves
                # asked for too: those hold no context or operator)
                for name, mixed, scalar in branches.get(kind) or branch_fields(kind):
                    inner = scope if scoped is None or name != "body" else scoped
                    value = getattr(node, name)
                    if value.__class__ is list:
                        for child in reversed(value):
                            if type(child) not in skip and (not mixed or isinstance(child, AST)):
                                push((child, inner, depth))
                    elif value is not None and type(value) not in skip:
                        if not scalar or isinstance(value, AST):  # a node, or a plain value
                            push((value, inner, depth))
            else:
                for child, child_scope in reversed(scoped):
                    if type(child) not in skip:
                        push((child, child_scope, depth))

    # -- scopes --------------------------------------------------------------------------------

    def _new_scope(self, node: ast.AST, parent: Scope, is_class: bool = False) -> Scope:
        scope = Scope(node, parent, is_class=is_class)
        self.r.scope_of[id(node)] = scope
        return scope

    def _class(self, node: ast.ClassDef):
        enclosing = self.scope
        self._bind_name(node.name, LOCAL_CLASS + node.name)
        scope = self._new_scope(node, enclosing, is_class=True)
        self.r.classes[id(node)] = scope.cls = ClassInfo(node)
        return scope  # its body in its own scope (``run``)

    def _function(self, node):
        enclosing = self.scope
        self._bind_name(node.name, OPAQUE)
        scope = self._new_scope(node, enclosing)
        self.scope = scope
        self._bind_params(node.args, enclosing)
        if enclosing.is_class and enclosing.cls is not None:
            is_static = False
            for d in node.decorator_list:
                if getattr(d, "id", getattr(d, "attr", None)) in ("staticmethod", "classmethod"):
                    is_static = True
                    break
            positional = node.args.posonlyargs + node.args.args
            if positional and not is_static:
                scope.cls = enclosing.cls
                scope.self_name = positional[0].arg
        # defaults and annotations belong to the enclosing scope
        self.scope = enclosing
        return scope  # its body in its own scope (``run``)

    def _lambda(self, node: ast.Lambda):
        enclosing = self.scope
        scope = self._new_scope(node, enclosing)
        self.scope = scope
        self._bind_params(node.args, enclosing)
        self.scope = enclosing
        return [(node.args, enclosing), (node.body, scope)]

    def _bind_params(self, args: ast.arguments, enclosing: Scope) -> None:
        scope = self.scope
        bindings, func = scope.bindings, scope.node
        stars = (args.vararg, args.kwarg)
        for p in (*args.posonlyargs, *args.args, *args.kwonlyargs, *stars):
            if p is None:
                continue
            name = p.arg
            annotation = p.annotation
            target = _annotation_target(annotation) if annotation is not None else None
            if target is not None:
                # resolved lazily: the annotation's own names may be bound later in the module
                binding: Binding = _Annotated(target, enclosing)
            elif name in RUN_PARAM_NAMES:
                binding = RUN_PARAM
            elif name in ACCELERATOR_PARAM_NAMES and self.r.mentions_wandb:
                binding = ACCELERATOR
            elif p is stars[0] or p is stars[1]:
                binding = OPAQUE
            else:
                binding = _Param(func, name)
            found = bindings.get(name)  # ``Scope.bind``, inline: every parameter of the module
            if found is None:
                bindings[name] = [binding]
            else:
                found.append(binding)

    # -- bindings ------------------------------------------------------------------------------

    def _bind_name(self, name: str, binding: Binding) -> None:
        scope = self.r.module if name in self.scope.globals else self.scope
        scope.bind(name, binding)

    def _bind_target(self, target: ast.AST, value: ast.AST | None) -> None:
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
            cls = self.r.self_class(target.value.id, self.scope)
            if cls is not None:
                binding = (value, self.scope) if value is not None else OPAQUE
                cls.attrs.setdefault(target.attr, []).append(binding)
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Attribute)
            and isinstance(target.value.value, ast.Name)
        ):
            # ``self.state.accelerator = accelerator``: an attribute of an object the instance
            # holds, kept as ``state.accelerator``
            cls = self.r.self_class(target.value.value.id, self.scope)
            if cls is not None:
                binding = (value, self.scope) if value is not None else OPAQUE
                cls.attrs.setdefault(f"{target.value.attr}.{target.attr}", []).append(binding)

    def _import(self, node: ast.Import):
        for alias in node.names:
            if alias.asname:
                self._bind_name(alias.asname, alias.name)
            else:
                top = alias.name.split(".")[0]
                self._bind_name(top, top)
        return None  # its children in its scope

    def _import_from(self, node: ast.ImportFrom):
        for alias in node.names:
            if alias.name == "*":
                continue
            local = alias.asname or alias.name
            if node.level:
                # ``from .utils import DummyWandb``: a module of this project, never a library
                self._bind_name(
                    local,
                    "." * node.level + (node.module + "." if node.module else "") + alias.name,
                )
            elif not node.module:
                self._bind_name(local, OPAQUE)
            else:
                self._bind_name(local, node.module + "." + alias.name)
        return None  # its children in its scope

    def _assign(self, node: ast.Assign):
        for target in node.targets:
            self._bind_target(target, node.value)
        if self.scope.is_class and self.scope.cls is not None:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.scope.cls.attrs.setdefault(target.id, []).append((node.value, self.scope))
        # the expressions inside a target (``a[i]``, ``self.x``) still hold calls to index
        return None  # its children in its scope

    def _ann_assign(self, node: ast.AnnAssign):
        if node.value is not None:
            self._bind_target(node.target, node.value)
        return None  # its children in its scope

    # ``step += 1`` keeps what the name is: an augmented assignment adds no binding of its own

    def _named_expr(self, node: ast.NamedExpr):
        self._bind_target(node.target, node.value)
        return None  # its children in its scope

    def _quiet_target(self, node: ast.AST, target: ast.AST | None):
        """The children of ``node``, its ``target`` bound by the statement itself."""
        scope = self.scope
        return [(c, None if c is target else scope) for c in children(node)]

    def _for(self, node):
        self._bind_target(node.target, None)
        return self._quiet_target(node, node.target)

    def _comprehension(self, node: ast.comprehension):
        self._bind_target(node.target, None)
        return self._quiet_target(node, node.target)

    def _withitem(self, node: ast.withitem):
        if node.optional_vars is not None:
            self._bind_target(node.optional_vars, node.context_expr)
        return self._quiet_target(node, node.optional_vars)

    def _except_handler(self, node: ast.ExceptHandler):
        if node.name:
            self._bind_name(node.name, OPAQUE)
        return None  # its children in its scope

    def _global(self, node):
        self.scope.globals.update(node.names)
        return None  # its children in its scope

    def _call(self, node: ast.Call):
        name = call_name(node)
        entry = (node, self.scope)
        self.r.all_calls.append(entry)
        if name is not None:
            self.r.calls.setdefault(name, []).append(entry)
        return None  # its children in its scope
