"""Step counters: is an expression a run-wide counter, an epoch, or a loop index that restarts?

One analysis serves two rules: WB101's fix passes ``step=NAME`` only when NAME is a run-wide
counter (an int that only grows over the whole run), and WB106 reports ``step=`` values that come
from counters which disagree (an epoch beside a global step; an inner loop's index that restarts
every epoch), because wandb drops every row logged at a step lower than the current one.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Union

from .flow import own_nodes, target_names
from .positions import end_of, start_of
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


def _memo(ctx) -> dict:
    """Answers kept for the module being checked (one ``Context`` per module): each loop nest
    and each function is analysed once, not once per log call in it."""
    return ctx.once("counters", dict)


def _loop_targets(ctx, func: ast.AST) -> dict[str, int]:
    """How many ``for`` loops and comprehensions of ``func`` (nested scopes aside) bind each
    name: one walk per function."""
    key = ("targets", id(func))
    memo = _memo(ctx)
    found = memo.get(key)
    if found is None:
        found = {}
        for n in own_nodes(func):
            if isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)):
                for t in target_names(n.target):
                    found[t] = found.get(t, 0) + 1
        memo[key] = found
    return found


def is_run_wide_counter(ctx, name: str, node: ast.AST) -> bool:
    """Is ``name``, where ``node`` (the node being visited) runs, an int that only grows over the
    whole run? Certain cases only:

    - the index of the outermost loop over ``range``/``enumerate``, at module level or in a
      function called once (its only call in the module is outside any loop), and the only loop
      of that function that binds the name;
    - a name only assigned ints and increased with ``+=``, never reset inside a loop around
      ``node`` nor after it first grows (``step = 0`` again before a second loop): at module
      level, in a function called once, or where the call sits in a loop nest the counter spans
      (``step = 0; for epoch ...: for batch ...: step += 1``).

    Never an inner loop's index, an iterator (``it = iter(loader)``), a float (``step = 0.5``),
    a parameter (what the caller passes is not in sight), a global that a function assigns, or a
    local counter of a function that may run once per epoch (``def train(loader): step = 0; for
    batch in loader: ...``).

    The answer depends only on the function, the name and the loops around ``node``, so it is
    computed once per loop nest: linear in the number of log calls."""
    func = ctx.function()
    loops = loops_in_function(ctx.ancestors)
    key = ("counter", id(func), name, tuple(id(loop) for loop in loops))
    memo = _memo(ctx)
    if key not in memo:
        memo[key] = _is_run_wide_counter(ctx, name, func, loops)
    return memo[key]


def _is_run_wide_counter(ctx, name: str, func: ast.AST, loops: list[Loop]) -> bool:
    at_module = func is ctx.tree
    for i, loop in enumerate(loops):
        if isinstance(loop, (ast.For, ast.AsyncFor)) and name in target_names(loop.target):
            if i + 1 < len(loops) or not _loop_index_restarts(loop, name):
                return False
            if not (at_module or _called_once(ctx, func)):
                return False
            if _loop_targets(ctx, func).get(name, 0) != 1:
                return False  # a second loop over the same name starts again from 0
            return not ctx.flow.assignments(func, name)  # not rebound in the body
    # a for target elsewhere in the function: the value may come from that loop
    if _loop_targets(ctx, func).get(name):
        return False
    if _param(func, name) is not None:
        return _callers_pass_one_counter(ctx, func, name)
    scope = ctx.names.scope_of.get(id(func))
    if not at_module and scope is not None and name in scope.globals:
        return False  # a global this function assigns: other functions may reset it too
    if at_module and _assigned_in_functions(ctx, name):
        return False  # ``global step; step = 0`` in a function resets the module's counter
    values = ctx.flow.assignments(func, name)
    if not values:
        return False
    enclosing = {id(loop) for loop in loops}
    parents = ctx.flow.parents_of(func)
    first_growth = min((start_of(v) for v in values if isinstance(v, ast.AugAssign)), default=None)
    for value in values:
        if isinstance(value, ast.AugAssign):
            if not isinstance(value.op, ast.Add) or _is_float(value.value):
                return False
            continue
        if not _int_like(value):
            return False
        if enclosing and _inside_any(value, enclosing, parents):
            return False  # reset on each iteration of a loop around the call
        if first_growth is not None and start_of(value) > first_growth:
            return False  # set again after it grew: a second phase that counts from there
    return at_module or len(loops) >= 2 or _called_once(ctx, func)


def _callers_pass_one_counter(ctx, func: ast.AST, name: str) -> bool:
    """``name`` is a parameter of a module-level function that the module only calls (it is not
    passed around as a value), never rebinds, and for which every call passes the same name of
    the same scope, a run-wide counter where that call runs (``log_plots(fig, global_step)``
    inside the training loop nest). Asked once per function and parameter."""
    key = ("param-counter", id(func), name)
    memo = _memo(ctx)
    if key in memo:
        return bool(memo[key])
    memo[key] = False  # a chain that comes back here: not a counter
    memo[key] = _param_counter(ctx, func, name)
    return memo[key]


def _param_counter(ctx, func: ast.AST, name: str) -> bool:
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or func not in ctx.tree.body:
        return False
    if ctx.flow.assignments(func, name):
        return False
    calls = ctx.names.calls_named(func.name)
    if not calls or any(
        not (isinstance(c.func, ast.Name) and c.func.id == func.name) for c, _ in calls
    ):
        return False
    # the function used as a value (a callback, a table of helpers): callers out of sight
    uses = sum(
        1
        for n in ast.walk(ctx.tree)
        if isinstance(n, ast.Name) and n.id == func.name and isinstance(n.ctx, ast.Load)
    )
    if uses != len(calls):
        return False
    passed: set[str] = set()
    scopes: set[int] = set()
    for call, scope in calls:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords
        ):
            return False
        arg = _bound(func, call).get(name)
        if not isinstance(arg, ast.Name):
            return False  # left to its default, or an expression: not one counter
        where = ctx.names.binding_scope(arg.id, scope)
        if where is None:
            return False
        passed.add(arg.id)
        scopes.add(id(where.node))
        ancestors = ctx.flow.ancestors_of(call)
        caller = next(
            (
                a
                for a in reversed(ancestors)
                if isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            ),
            ctx.tree,
        )
        if caller is func or not _is_run_wide_counter(
            ctx, arg.id, caller, loops_in_function(ancestors)
        ):
            return False
    return len(passed) == 1 and len(scopes) == 1


def runs_twice_at_one_value(
    ctx, call: ast.AST, name: str, once_loops: frozenset[int] = frozenset(), _depth: int = 0
) -> bool:
    """Can ``call`` run twice while the counter ``name`` keeps one value? Then a log there given
    ``step=name`` writes two rows at one step, and the second value of a key replaces the first
    (wandb merges rows logged at one step). Not when the innermost loop around the call moves the
    counter on every iteration (its target, or ``name += ...`` that surely runs each time round
    before the call comes again), nor when the call runs once. A helper's counter parameter:
    the helper called from two places, or called where its caller's counter stands still.
    Anything not seen is answered yes (the fix is then withheld, never rows lost).
    ``once_loops``: ids of loops around the call known to reach it once (the loop over
    accelerate's trackers, narrowed to the wandb one)."""
    ancestors = ctx.flow.ancestors_of(call)
    loops = [loop for loop in loops_in_function(ancestors) if id(loop) not in once_loops]
    if loops:
        return not _moves_each_iteration(ctx, loops[0], name, call, ancestors)
    func = next((a for a in reversed(ancestors) if isinstance(a, SCOPE_NODES)), ctx.tree)
    if func is ctx.tree:
        return False  # module level, in no loop: runs once
    if _depth > 8 or not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return True
    calls = [
        (c, scope)
        for c, scope in ctx.names.calls_named(func.name)
        if isinstance(c.func, ast.Name) and c.func.id == func.name and func in ctx.tree.body
    ]
    if len(calls) != 1:
        return True  # called from two places (or from places out of sight)
    caller_call, _ = calls[0]
    passed = name
    if _param(func, name) is not None:
        arg = _bound(func, caller_call).get(name)
        if not isinstance(arg, ast.Name):
            return True
        passed = arg.id
    return runs_twice_at_one_value(ctx, caller_call, passed, _depth=_depth + 1)


def _moves_each_iteration(
    ctx,
    loop: ast.For | ast.AsyncFor | ast.While,
    name: str,
    call: ast.AST,
    ancestors: list[ast.AST],
) -> bool:
    """Between two runs of ``call`` in ``loop`` (its innermost loop), ``name`` surely changes:
    it is the loop's target, or the loop's body increases it unconditionally (``with`` blocks
    around the ``+=``, no ``if``; or anywhere in a nested loop), before the call or with no
    ``continue`` that could skip it."""
    if isinstance(loop, (ast.For, ast.AsyncFor)) and name in target_names(loop.target):
        return True
    if _in_block(loop.orelse, ancestors):
        return False  # the loop's ``else``: runs once after it, not each time round
    body = _unconditional(loop.body)
    grows = [
        s
        for s in body
        if isinstance(s, ast.AugAssign)
        and isinstance(s.target, ast.Name)
        and s.target.id == name
        and isinstance(s.op, ast.Add)
    ]
    if not grows:
        return False
    at = start_of(call)
    if any(start_of(s) < at for s in grows):
        return True  # the call comes after the increase in the same time round
    return not any(isinstance(n, ast.Continue) for n in loop_nodes(loop))


def _in_block(stmts: list[ast.stmt], ancestors: list[ast.AST]) -> bool:
    ids = {id(a) for a in ancestors}
    return any(id(s) in ids for s in stmts)


def _unconditional(stmts: list[ast.stmt]) -> list[ast.stmt]:
    """The statements taken to run whenever the block runs: ``with`` bodies opened, never an
    ``if`` or ``try`` branch; and everything inside a nested loop (the loop over the batches
    between two epoch-end logs is taken to move the counter at least once, even where each
    increase waits for ``accelerator.sync_gradients``)."""
    out: list[ast.stmt] = []
    for s in stmts:
        out.append(s)
        if isinstance(s, (ast.With, ast.AsyncWith)):
            out += _unconditional(s.body)
        elif isinstance(s, LOOPS):
            out += [n for n in loop_nodes(s, nested=True) if isinstance(n, ast.stmt)]
    return out


def loop_nodes(
    loop: ast.For | ast.AsyncFor | ast.While, nested: bool = False, orelse: bool = False
):
    """The nodes of a loop's body (and its ``else`` with ``orelse``), leaving out functions and
    (unless ``nested``) nested loops (their ``continue`` is theirs)."""
    stack = [*loop.body, *(loop.orelse if orelse else ())]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, SCOPE_NODES) or (not nested and isinstance(node, LOOPS)):
            continue
        stack.extend(ast.iter_child_nodes(node))


def _bound(func: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call) -> dict[str, ast.AST]:
    """What a call passes to each parameter of ``func`` it names, by position or keyword."""
    params = [a.arg for a in func.args.posonlyargs + func.args.args]
    bound: dict[str, ast.AST] = {params[i]: a for i, a in enumerate(call.args) if i < len(params)}
    bound.update({k.arg: k.value for k in call.keywords if k.arg is not None})
    return bound


def _assigned_in_functions(ctx, name: str) -> bool:
    """A function of the module declares ``global name`` and assigns it."""
    key = ("global-writes", name)
    memo = _memo(ctx)
    if key not in memo:
        memo[key] = any(
            name in scope.globals and ctx.flow.assignments(scope.node, name)
            for scope in ctx.names.scope_of.values()
            if scope is not ctx.names.module
        )
    return memo[key]


def counter_identity(ctx, name: str) -> tuple[str, int]:
    """Which counter ``name`` is where the node being visited runs: the name and the node of
    the scope that binds it. ``global_step`` of ``pretrain()`` and ``global_step`` of
    ``finetune()`` are two counters; a module-level one read from any function is one."""
    scope = ctx.names.binding_scope(name, ctx.scope)
    return name, id(scope.node) if scope is not None else 0


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
    parents = ctx.flow.parents_of(scope.node)
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
    scope = ctx.names.binding_scope(receiver.id, ctx.scope)
    if scope is not None and scope.self_name == receiver.id and scope.cls is not None:
        return text, id(scope.cls.node)
    if scope is None or scope is ctx.names.module:
        return text, id(ctx.tree)
    return text, id(scope.node)


# -- the whole run ---------------------------------------------------------------------------------


@dataclass
class LogSite:
    """One wandb log call of the module, as WB101's whole-run judgment sees it.

    ``kind``: ``"counter"`` (it passes, or its fix would pass, a step from ``counter``),
    ``"stepless"`` (it stays without a step: wandb's own step moves on), ``"neutral"``
    (``commit=False``: it adds to the current row) or ``"unknown"`` (``log(**kwargs)``: what it
    passes cannot be read)."""

    call: ast.Call
    kind: str
    counter: tuple[str, int] | None = None
    label: str = ""
    #: runs at module level (not in a function), and in no loop there: runs once, in line order
    once: bool = False
    at_module: bool = False
    #: the keys it logs (None: they cannot be read)
    keys: frozenset[str] | None = None
    #: the fix would give it its step (it has none now)
    fixed: bool = False
    #: it can run twice while its counter keeps one value
    repeats: bool = False


class RunView:
    """Every wandb log call that can reach the run, as far as the module shows them, and the
    places where the run leaves the view. WB101's fix is judged on the whole of it: it applies
    only when every log would then pass a step from one and the same run-wide counter.

    The module is one view for now: every log call in it is taken to reach the same run (the
    careful reading: two runs made in one module only cost fixes, never rows). Calls into code
    out of view go through ``OUTSIDE_CALL_HOOKS``: each hook says why a call lets the run escape
    (a reason) or None; the project view adds a hook that reads the project's other modules."""

    def __init__(self) -> None:
        self.sites: list[LogSite] = []
        self.escapes: list[tuple[int, str]] = []

    def add(self, site: LogSite) -> None:
        self.sites.append(site)

    def escape(self, node: ast.AST, why: str) -> None:
        self.escapes.append((start_of(node)[0], why))

    def why_not(self) -> str | None:
        """Why no log of this run may be given a step by the fix; None when every log would
        then pass a step from one run-wide counter."""
        if self.escapes:
            line, why = min(self.escapes)
            return f"{why} at line {line}; choose the step by hand"
        counters = [s for s in self.sites if s.kind == "counter"]
        last = max((start_of(s.call)[0] for s in counters), default=0)
        in_order = all(s.at_module for s in counters)

        def trailing(site: LogSite) -> bool:
            """A step-less log after every log with a step, in a run that holds no other: it
            adds to the last row or the next, and drops nothing (a notebook's final cell)."""
            return in_order and site.once and start_of(site.call)[0] > last

        for kind, why in (
            ("unknown", "the log at line {line} passes arguments that cannot be read"),
            (
                "stepless",
                "line {line} logs to the same run without a step, so wandb's step runs ahead",
            ),
        ):
            found = [
                s for s in self.sites if s.kind == kind and not (kind == "stepless" and trailing(s))
            ]
            if found:
                line = min(start_of(s.call)[0] for s in found)
                return why.format(line=line) + "; choose one run-wide step by hand"
        clash = self._clash()
        if clash is not None:
            return clash
        labels: dict[tuple[str, int], str] = {}
        for s in self.sites:
            if s.kind == "counter" and s.counter is not None:
                labels.setdefault(s.counter, s.label)
        if len(labels) > 1:
            a, b = sorted(labels.values())[:2]
            return f"{a} and {b} count separately in one run; choose one run-wide step by hand"
        return None

    def _clash(self) -> str | None:
        """Two rows at one step that log one key: wandb merges rows logged at one step, so the
        second value replaces the first. A log the fix gives a step must not meet another log of
        the same key (or of keys that cannot be read, the same expression) at one value of the
        counter: the same call run twice while the counter stands still, or two calls with no
        increase known between them."""
        fixed = [s for s in self.sites if s.kind == "counter" and s.fixed]
        for site in sorted(fixed, key=lambda s: start_of(s.call)):
            if site.repeats and site.keys != frozenset():
                line = start_of(site.call)[0]
                return (
                    f"line {line} can log twice while {site.label} stays the same, and the "
                    "second value would replace the first at that step; choose the step by hand"
                )
        # which sites of a counter may write each key: one pass, not every pair of sites
        order = {id(s): i for i, s in enumerate(self.sites)}
        writers: dict[tuple, list[LogSite]] = {}
        for site in self.sites:
            if site.kind == "counter":
                for token in _key_tokens(site):
                    writers.setdefault((site.counter, token), []).append(site)
        for site in fixed:
            others = {
                id(o): o
                for token in _key_tokens(site)
                for o in writers[(site.counter, token)]
                if o is not site
            }
            if not others:
                continue
            other = min(others.values(), key=lambda o: order[id(o)])
            shared = _shared_keys(site, other)
            a, b = sorted((start_of(site.call)[0], start_of(other.call)[0]))
            return (
                f"lines {a} and {b} can both log {shared} at one value of {site.label}, and "
                "the second would replace the first at that step; choose the step by hand"
            )
        return None


def _key_tokens(site: LogSite) -> list[tuple[str, str]]:
    """What two sites must share to write one key (``_shared_keys``): a key both log, or the
    same unreadable expression."""
    if site.keys is not None:
        return [("key", k) for k in site.keys]
    first = site.call.args[0] if site.call.args else None
    return [("expr", ast.dump(first))] if first is not None else []


def _shared_keys(a: LogSite, b: LogSite) -> str | None:
    """A key both may log (quoted), or None when they surely log different keys. Keys that
    cannot be read clash only with the same expression (``run.log(logs)`` twice)."""
    if a.keys is not None and b.keys is not None:
        common = sorted(a.keys & b.keys)
        return repr(common[0]) if common else None
    first_a = a.call.args[0] if a.call.args else None
    first_b = b.call.args[0] if b.call.args else None
    if first_a is not None and first_b is not None and ast.dump(first_a) == ast.dump(first_b):
        return ast.unparse(first_a)
    return None


#: hooks that judge a call into code the module does not show: ``hook(ctx, call)`` returns why
#: the run escapes the view through that call, or None. The project view (the project's other
#: modules) plugs in here.
OUTSIDE_CALL_HOOKS: list = []

#: what the builtins do with a run is known: nothing is logged
_HARMLESS = frozenset(
    {"print", "isinstance", "len", "str", "repr", "id", "type", "hasattr", "bool", "callable"}
)


def escapes_through(ctx, call: ast.Call, run_like: frozenset, scope=None) -> str | None:
    """Why this call (the node being visited) lets a run leave the view: the run (or the
    ``wandb`` module, an accelerator or tracker logging to it) passed to code the module does
    not define; a Hugging Face ``report_to`` that includes wandb (the trainer logs to the run
    itself); ``getattr(run, ...)``, a log the tool cannot read. ``scope``: where the call is
    (the scope being visited when not given)."""
    scope = scope or ctx.scope
    for hook in OUTSIDE_CALL_HOOKS:
        why = hook(ctx, call)
        if why is not None:
            return why
    for kw in call.keywords:
        if kw.arg == "report_to" and _may_name_wandb(kw.value):
            return "a Hugging Face report_to logs to the run itself"
    values = [*call.args, *(kw.value for kw in call.keywords)]
    passed = [
        v
        for v in values
        if isinstance(v, (ast.Name, ast.Attribute)) and ctx.qualname(v, scope) in run_like
    ]
    if not passed:
        return None
    callee = call.func
    if isinstance(callee, ast.Name) and callee.id == "getattr":
        return "getattr() reads the run's methods"
    if isinstance(callee, ast.Name) and callee.id in _HARMLESS:
        return None
    qual = ctx.qualname(callee, scope) or ""
    if qual == "wandb" or qual.startswith("wandb."):
        return None
    if _defined_here(ctx, callee, scope):
        return None  # its logs are in the module: they are judged with the others
    return "the run is passed to code out of view"


def _may_name_wandb(value: ast.AST) -> bool:
    if isinstance(value, ast.Constant):
        return isinstance(value.value, str) and value.value in ("wandb", "all")
    if isinstance(value, (ast.List, ast.Tuple)):
        return any(_may_name_wandb(e) for e in value.elts)
    return not isinstance(value, ast.Constant)  # ``args.report_to``: it may


def _defined_here(ctx, callee: ast.AST, scope) -> bool:
    """A function or class of this module (``train(run)``, ``self.log_all(run)``)."""
    defined = _memo(ctx).get("defined")
    if defined is None:
        defined = {
            n.name for n in ctx.names.nodes_of(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        }
        _memo(ctx)["defined"] = defined
    if isinstance(callee, ast.Name):
        if callee.id not in defined or ctx.names.binding_scope(callee.id, scope) is None:
            return False
        qual = ctx.names.lookup(callee.id, scope)
        return qual is None or qual.startswith("<local>.")  # a def (opaque) or a local class
    if isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name):
        return callee.attr in defined and ctx.names.self_class(callee.value.id, scope) is not None
    return False
