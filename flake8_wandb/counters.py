"""Step counters: is an expression a run-wide counter, an epoch, or a loop index that restarts?

One analysis serves two rules: WB101's fix passes ``step=NAME`` only when NAME is a run-wide
counter (an int that only grows over the whole run), and WB106 reports ``step=`` values that come
from counters which disagree (an epoch beside a global step; an inner loop's index that restarts
every epoch), because wandb drops every row logged at a step lower than the current one.
"""

from __future__ import annotations

import ast
import re
from typing import Union

from .engine import end_of, start_of
from .flow import own_nodes, target_names
from .resolve import SCOPE_NODES

LOOPS = (ast.For, ast.AsyncFor, ast.While)
Loop = Union[ast.For, ast.AsyncFor, ast.While]  # noqa: UP007  evaluated; Python 3.9 imports it
_EPOCH = re.compile(
    r"^(ep|epoch|epochs|epoch_?(idx|id|num|no|i|index)|(cur|curr|current)_epoch|e_?idx)$", re.I
)
_STEP = re.compile(r"(step|iter|iteration|updates)", re.I)
#: a function named for one epoch: its loop index restarts on every call
_PER_EPOCH = re.compile(r"epoch", re.I)
#: iterables whose loop index starts again at 0 each time the loop is entered
_RESTARTING = {"range", "enumerate", "tqdm", "trange", "zip"}
#: callees whose result is not an int counter
_NOT_INT = {"iter", "next", "float", "time", "perf_counter", "monotonic", "str", "list", "dict"}
_INT_CALLS = {"int", "len", "max", "min", "round", "sum", "abs"}


def _last_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _counter_base(expr: ast.AST) -> ast.AST | None:
    """``x`` for ``x``, ``self.x``, ``x + 1``, ``x - 1``; None for anything else."""
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Sub)):
        if isinstance(expr.right, ast.Constant) and isinstance(expr.right.value, int):
            return _counter_base(expr.left)
        if isinstance(expr.left, ast.Constant) and isinstance(expr.left.value, int):
            return _counter_base(expr.right)
        return None
    if isinstance(expr, (ast.Name, ast.Attribute)):
        return expr
    return None


def step_kind(expr: ast.AST) -> str | None:
    """``"epoch"`` for ``epoch``, ``epoch + 1``, ``self.current_epoch``; ``"step"`` for
    ``global_step``, ``self.step``, ``iteration``; None for anything else (a combined counter such
    as ``epoch * len(loader) + i`` is neither)."""
    base = _counter_base(expr)
    name = _last_name(base) if base is not None else None
    if not name:
        return None
    if _EPOCH.match(name):
        return "epoch"
    if "epoch" in name.lower():
        return None
    if _STEP.search(name) or name in ("it", "i_iter", "n_iter"):
        return "step"
    return None


def _loop_index_restarts(loop: ast.AST, name: str) -> bool:
    """The loop binds ``name`` as its index over ``range(...)``/``enumerate(...)``: the value
    starts again each time the loop is entered."""
    if not isinstance(loop, (ast.For, ast.AsyncFor)) or name not in target_names(loop.target):
        return False
    it = loop.iter
    while isinstance(it, ast.Call) and _last_name(it.func) in ("tqdm", "trange"):
        if not it.args:
            return False
        it = it.args[0]
    if not isinstance(it, ast.Call):
        return False
    callee = _last_name(it.func)
    if callee == "enumerate":
        target = loop.target
        first = target.elts[0] if isinstance(target, ast.Tuple) and target.elts else None
        return isinstance(first, ast.Name) and first.id == name
    if callee == "range":
        return isinstance(loop.target, ast.Name) and (
            len(it.args) == 1 or (len(it.args) >= 2 and isinstance(it.args[0], ast.Constant))
        )
    return False


def loops_in_function(ancestors: list[ast.AST]) -> list[Loop]:
    """The loops enclosing the node being visited within its function, innermost first."""
    loops: list[Loop] = []
    for anc in reversed(ancestors):
        if isinstance(anc, SCOPE_NODES):
            break
        if isinstance(anc, LOOPS):
            loops.append(anc)
    return loops


def restarting_loop(ctx, expr: ast.AST) -> ast.AST | None:
    """The enclosing loop whose index ``expr`` is, when that loop sits inside another loop of
    the same function, so the index starts again on every outer iteration (WB106 b)."""
    base = _counter_base(expr)
    if not isinstance(base, ast.Name):
        return None
    loops = loops_in_function(ctx.ancestors)
    for i, loop in enumerate(loops):
        if isinstance(loop, (ast.For, ast.AsyncFor)) and base.id in target_names(loop.target):
            if i + 1 < len(loops) and _loop_index_restarts(loop, base.id):
                if any(_starts_a_run(ctx, outer) for outer in loops[i + 1 :]):
                    return None  # a new run on each outer iteration: its steps start again too
                return loop
            return None
    return None


def _starts_a_run(ctx, loop: ast.AST) -> bool:
    """A ``wandb.init`` (or accelerate's ``init_trackers``) inside the loop."""
    for name in ("init", "init_trackers"):
        for call, scope in ctx.names.calls_named(name):
            if start_of(loop)[0] <= call.lineno <= end_of(loop)[0] and (
                name == "init_trackers" or ctx.names.qualname(call.func, scope) == "wandb.init"
            ):
                return True
    return False


def is_run_wide_counter(ctx, name: str, node: ast.AST) -> bool:
    """Is ``name``, where ``node`` (the node being visited) runs, an int that only grows over the
    whole run? Certain cases only:

    - the index of the outermost loop over ``range``/``enumerate``, at module level or in a
      function called once (its only call in the module is outside any loop);
    - a name only assigned ints and increased with ``+=``, never reset inside a loop around
      ``node``: at module level, in a function called once, or where the call sits in a loop
      nest the counter spans (``step = 0; for epoch ...: for batch ...: step += 1``).

    Never an inner loop's index, an iterator (``it = iter(loader)``), a float (``step = 0.5``),
    a parameter (what the caller passes is not in sight), or a local counter of a function that
    may run once per epoch (``def train(loader): step = 0; for batch in loader: ...``)."""
    func = ctx.function()
    at_module = func is ctx.tree
    loops = loops_in_function(ctx.ancestors)
    for i, loop in enumerate(loops):
        if isinstance(loop, (ast.For, ast.AsyncFor)) and name in target_names(loop.target):
            if i + 1 < len(loops) or not _loop_index_restarts(loop, name):
                return False
            if not (at_module or _called_once(ctx, func)):
                return False
            return not ctx.flow.assignments(func, name)  # not rebound in the body
    # a for target elsewhere in the function: the value may come from that loop
    for n in own_nodes(func):
        if isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)) and name in target_names(
            n.target
        ):
            return False
    if _param(func, name) is not None:
        return False
    values = ctx.flow.assignments(func, name)
    if not values:
        return False
    enclosing = {id(loop) for loop in loops}
    parents = ctx.flow._parents_of(func)
    for value in values:
        if isinstance(value, ast.AugAssign):
            if not isinstance(value.op, ast.Add) or _is_float(value.value):
                return False
            continue
        if not _int_like(value):
            return False
        if enclosing and _inside_any(value, enclosing, parents):
            return False  # reset on each iteration of a loop around the call
    return at_module or len(loops) >= 2 or _called_once(ctx, func)


def _called_once(ctx, func: ast.AST) -> bool:
    """A module-level function whose only call in the module is outside any loop."""
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or func not in ctx.tree.body:
        return False
    calls = [
        (call, scope)
        for call, scope in ctx.names.calls_named(func.name)
        if isinstance(call.func, ast.Name) and call.func.id == func.name
    ]
    if len(calls) != 1:
        return False
    call, scope = calls[0]
    parents = ctx.flow._parents_of(scope.node)
    current: ast.AST = call
    while id(current) in parents:
        current = parents[id(current)]
        if isinstance(current, LOOPS):
            return False
    return True


def _param(func: ast.AST, name: str) -> ast.arg | None:
    args = getattr(func, "args", None)
    if not isinstance(args, ast.arguments):
        return None
    for p in args.posonlyargs + args.args + args.kwonlyargs:
        if p.arg == name:
            return p
    return None


def _is_float(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, float)


def _int_like(value: ast.AST) -> bool:
    if isinstance(value, ast.Constant):
        return isinstance(value.value, int) and not isinstance(value.value, bool)
    if isinstance(value, ast.BinOp):
        if isinstance(value.op, ast.Div):
            return False
        return _int_like(value.left) and _int_like(value.right)
    if isinstance(value, ast.Call):
        callee = _last_name(value.func)
        if callee in _NOT_INT:
            return False
        return callee in _INT_CALLS or callee in ("get", "pop")
    return isinstance(value, (ast.Name, ast.Attribute, ast.Subscript))


def _inside_any(node: ast.AST, loop_ids, parents) -> bool:
    current = node
    while id(current) in parents:
        current = parents[id(current)]
        if id(current) in loop_ids:
            return True
    return False


def receiver_key(ctx, call: ast.Call) -> tuple[str, int]:
    """Which run a log call writes to, as far as the text says, and the node within which the
    same text means the same run: ``("wandb", module)``, ``("self.run", class)``,
    ``("run", function)`` for a local name."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return "wandb", id(ctx.tree)
    receiver = func.value
    parts = []
    while isinstance(receiver, ast.Attribute):
        parts.append(receiver.attr)
        receiver = receiver.value
    if not isinstance(receiver, ast.Name):
        return "", 0
    parts.append(receiver.id)
    text = ".".join(reversed(parts))
    if text in ("wandb", "wandb.run"):
        return "wandb", id(ctx.tree)
    scope = ctx.names._binding_scope(receiver.id, ctx.scope)
    if scope is not None and scope.self_name == receiver.id and scope.cls is not None:
        return text, id(scope.cls.node)
    if scope is None or scope is ctx.names.module:
        return text, id(ctx.tree)
    return text, id(scope.node)
