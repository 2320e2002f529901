from __future__ import annotations

import ast
from typing import ClassVar

from ..analysis.resolve import SCOPE_NODES
from ..engine import UNCHANGED, UNSAFE, Change, Fix, Invalid, Message, Rule
from .calls import has_star_kwargs, keyword
from .edits import replace
from .imports import import_for_fix

#: calls whose argument is only shown, never computed on
_DISPLAYS = frozenset({"print", "display", "pprint", "IPython.display.display", "pprint.pprint"})
#: methods of a DataFrame that only show part of it (when their result is itself only shown)
_PEEKS = frozenset({"head", "tail", "to_string", "info"})
_FIX_KEYWORDS = frozenset({"keys", "pandas"})


class HistorySampled(Message):
    template: ClassVar[str] = (
        "history() returns at most 500 sampled rows; use scan_history({keys}) to read every row"
    )
    keys: str


class SampledHistory(Rule):
    """
    ## What it does

    Reports the public API's `run.history(...)` without `samples=` whose result is computed on:
    a minimum or maximum, a comparison, a plot, a file, anything but printing or displaying it.
    A public run is `wandb.Api().run(path)` (through any name it is stored in), an item of
    `api.runs(path)` or of a sweep's `runs` (in a `for` loop or a comprehension, or indexed).

    ## Why is this bad?

    `Run.history()` returns a *sample*: at most 500 rows (`samples=500` by default), spread
    over the run. On a run that logged 100,000 steps, the minimum validation loss, the last
    value, a smoothed curve or a CSV export computed from it is silently wrong: the best step
    may simply not be in the sample. `scan_history()` pages through every row.

    Not reported: `history(samples=N)` (the sample is asked for), `history(**kwargs)`;
    `scan_history(...)`; a result that is only printed or displayed (`print(run.history())`, a
    bare `run.history()` in a notebook cell, `df = run.history()` then `df.head()`); the live
    run of `wandb.init()` (it has no `history`) and `.history()` of any other object
    (a Keras `History`, a trainer's state).
    """

    code = "WB702"
    name = "sampled-history"
    messages = (HistorySampled,)
    applicability = (UNSAFE,)
    fix_doc = (
        "Unsafe: `run.history(keys=K)` becomes `pandas.DataFrame(list(run.scan_history(keys=K)))` "
        "(with the module's own pandas alias, or `from pandas import DataFrame` added), and "
        "`run.history(keys=K, pandas=False)` becomes `list(run.scan_history(keys=K))`, so the "
        "result has the same type. Its *content* differs on purpose: every row instead of a "
        "sample of 500, which is the point, and which takes longer to download on long runs. "
        "Only when the call passes nothing but `keys=` and `pandas=` (a literal): `x_axis=` and "
        "`stream=` have no `scan_history` counterpart, so those calls get no fix."
    )
    triggers = ("wandb",)
    needs = ("history",)  # every finding is a call of ``.history(...)``
    invalid = (
        Invalid(
            """\
import pandas as pd
import wandb

api = wandb.Api()
run = api.run("team/project/abc123")
history = run.history(keys=["val/loss"])  # WB702:11 history() returns at most 500 sampled rows; use scan_history(keys=["val/loss"]) to read every row
best = history["val/loss"].min()
""",
            expected_replacement="""\
import pandas as pd
import wandb

api = wandb.Api()
run = api.run("team/project/abc123")
history = pd.DataFrame(list(run.scan_history(keys=["val/loss"])))  # WB702:11 history() returns at most 500 sampled rows; use scan_history(keys=["val/loss"]) to read every row
best = history["val/loss"].min()
""",
        ),
        Invalid(
            """\
import wandb

api = wandb.Api()
rows = []
for run in api.runs("team/project"):
    for row in run.history(keys=["acc"], pandas=False):  # WB702:16 history() returns at most 500 sampled rows; use scan_history(keys=["acc"]) to read every row
        rows.append(row["acc"])
""",
            expected_replacement="""\
import wandb

api = wandb.Api()
rows = []
for run in api.runs("team/project"):
    for row in list(run.scan_history(keys=["acc"])):  # WB702:16 history() returns at most 500 sampled rows; use scan_history(keys=["acc"]) to read every row
        rows.append(row["acc"])
""",
        ),
        Invalid(
            """\
import matplotlib.pyplot as plt
import wandb

df = wandb.Api().run("team/project/abc123").history()  # WB702:6 history() returns at most 500 sampled rows; use scan_history() to read every row
plt.plot(df["_step"], df["loss"])
""",
            expected_replacement="""\
import matplotlib.pyplot as plt
import wandb
from pandas import DataFrame

df = DataFrame(list(wandb.Api().run("team/project/abc123").scan_history()))  # WB702:6 history() returns at most 500 sampled rows; use scan_history() to read every row
plt.plot(df["_step"], df["loss"])
""",
        ),
        """\
import wandb

def best_values(path, run_id=None):
    api = wandb.Api()
    runs = []
    if run_id is not None:
        run = api.run(f"{path}/{run_id}")
        runs.append(run)
    else:
        for run in api.runs(path):
            runs.append(run)
    best = {}
    for run in runs:
        history = run.history()  # WB702:19 history() returns at most 500 sampled rows; use scan_history() to read every row
        best[run.name] = history["val/loss"].min()
    return best
""",
        Invalid(
            """\
import wandb

def export(path, out):
    runs = wandb.Api().runs(path)
    runs[0].history(x_axis="epoch").to_csv(out)  # WB702:5 history() returns at most 500 sampled rows; use scan_history() to read every row
""",
            expected_replacement=UNCHANGED,
        ),
    )
    valid = (
        """\
import wandb

api = wandb.Api()
run = api.run("team/project/abc123")
print(run.history())
df = run.history(keys=["loss"])
print(df.head())
sample = run.history(samples=2000, keys=["loss"])
best = min(row["loss"] for row in run.scan_history(keys=["loss"]))
""",
        """\
import wandb
from tensorflow import keras

run = wandb.init(project="demo", config={})
model = keras.Sequential()
history = model.fit([0.0], [1.0]).history  # Keras' History, not W&B's
best = min(history["loss"])
""",
        """\
import wandb

def summarize(runs):  # whatever the callers pass: unknown
    return [run.history()["loss"].min() for run in runs]

def from_cache(path, cached):
    runs = [wandb.Api().run(path)]
    runs.append(cached)  # not a public run: the list may hold anything
    return [r.history()["loss"].max() for r in runs]
""",
        """\
import wandb

class Tracker:
    def history(self):
        return []

tracker = Tracker()
worst = max(tracker.history())  # a user class's history
""",
    )
    use_instead = """\
import wandb

api = wandb.Api()
run = api.run("team/project/abc123")
best = min(row["val/loss"] for row in run.scan_history(keys=["val/loss"]))
"""

    attribute_names = {ast.Call: frozenset({"history"}).__contains__}

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "history"):
            return
        if node.args or keyword(node, "samples") or has_star_kwargs(node):
            return
        if not self._is_public_run(func.value):
            return
        if self._only_displayed(node):
            return
        keys = keyword(node, "keys")
        shown = f"keys={self.ctx.segment(keys.value)}" if keys is not None else ""
        self.report(node, HistorySampled(keys=shown), fix=self._fix(node))

    # -- what the receiver is ------------------------------------------------------------------

    def _is_public_run(self, expr: ast.AST, seen: frozenset = frozenset()) -> bool:
        if self.ctx.public_run(expr):
            return True
        if isinstance(expr, ast.Subscript):
            return self._is_public_runs(expr.value, seen)
        if isinstance(expr, ast.Name):
            return self._name_holds(expr, "run", seen)
        return False

    def _is_public_runs(self, expr: ast.AST, seen: frozenset = frozenset()) -> bool:
        """``api.runs(path)``, a sweep's ``runs``, and what is built from them in the module:
        ``list(...)``/``sorted(...)`` of them, a comprehension of public runs, a list that only
        ever receives public runs (``runs = []`` ... ``runs.append(api.run(p))``)."""
        if self.ctx.public_runs(expr):
            return True
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.args:
            if expr.func.id in ("list", "sorted", "reversed", "tuple"):
                return self._is_public_runs(expr.args[0], seen)
        if isinstance(expr, (ast.ListComp, ast.GeneratorExp)):
            return self._is_public_run(expr.elt, seen)
        if isinstance(expr, (ast.List, ast.Tuple)) and expr.elts:
            return all(self._is_public_run(e, seen) for e in expr.elts)
        if isinstance(expr, ast.Name):
            return self._name_holds(expr, "runs", seen)
        return False

    def _name_holds(self, name: ast.Name, kind: str, seen: frozenset) -> bool:
        """Every binding of ``name`` in the scope that binds it holds a public run (``kind``
        "run") or a collection of them ("runs"); flow-insensitive, as resolve.py is."""
        scope = self._binding_scope(name)
        if scope is None:
            return False
        key = (id(scope), name.id, kind)
        if key in seen:
            return True  # a cycle (``for run in runs`` feeding ``runs.append(run)``)
        seen = seen | {key}
        found = False
        for node in _own_walk(scope):
            verdict = self._binding_verdict(node, name.id, kind, seen)
            if verdict is False:
                return False
            found = found or verdict is True
        return found

    def _binding_verdict(self, node: ast.AST, name: str, kind: str, seen: frozenset):
        """True / False for a node that binds (or, for a list, fills) ``name``; None else."""
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                value = node.value
                if value is None:
                    return None
                if kind == "run":
                    return not isinstance(node, ast.AugAssign) and self._is_public_run(value, seen)
                if isinstance(value, ast.List) and not value.elts:
                    return None  # ``runs = []``: what is appended decides
                return self._is_public_runs(value, seen)
            if any(_binds(t, name) for t in targets):
                return False  # unpacked from something else
            return None
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            target, source = node.target, node.iter
            if isinstance(target, ast.Tuple) and len(target.elts) == 2:
                # ``for i, run in enumerate(runs)``
                if (
                    isinstance(source, ast.Call)
                    and isinstance(source.func, ast.Name)
                    and source.func.id == "enumerate"
                    and source.args
                    and _binds(target.elts[1], name)
                    and isinstance(target.elts[1], ast.Name)
                ):
                    return kind == "run" and self._is_public_runs(source.args[0], seen)
            if isinstance(target, ast.Name) and target.id == name:
                return kind == "run" and self._is_public_runs(source, seen)
            return False if _binds(target, name) else None
        if isinstance(node, (ast.withitem,)) and node.optional_vars is not None:
            return False if _binds(node.optional_vars, name) else None
        if isinstance(node, ast.NamedExpr) and node.target.id == name:
            return False
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return False
        if kind == "runs" and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            if isinstance(receiver, ast.Name) and receiver.id == name and node.args:
                if node.func.attr in ("append", "insert"):
                    return self._is_public_run(node.args[-1], seen)
                if node.func.attr == "extend":
                    return self._is_public_runs(node.args[0], seen)
        return None

    def _binding_scope(self, name: ast.Name) -> ast.AST | None:
        """The innermost function (or the module) around ``name`` that binds it."""
        parents = self._parents()
        node: ast.AST | None = parents.get(id(name))
        while node is not None:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                args = node.args
                params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
                if any(p is not None and p.arg == name.id for p in params):
                    return None  # a parameter: what callers pass is unknown
                if any(_binds_here(n, name.id) for n in _own_walk(node)):
                    return node
            elif isinstance(node, ast.Module):
                return node
            node = parents.get(id(node))
        return None

    # -- what the result is used for -----------------------------------------------------------

    def _only_displayed(self, call: ast.Call) -> bool:
        parents = self._parents()
        use = _shown_through_peeks(call, parents)
        parent = parents.get(id(use))
        if isinstance(parent, ast.Expr) or self._is_display_arg(use, parent):
            return True
        if (
            isinstance(parent, ast.Assign)
            and len(parent.targets) == 1
            and isinstance(parent.targets[0], ast.Name)
        ):
            name = parent.targets[0].id
            scope = self.ctx.function()
            uses = [
                n
                for n in _own_walk(scope)
                if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
            ]
            for n in uses:
                shown = _shown_through_peeks(n, parents)
                up = parents.get(id(shown))
                if not (isinstance(up, ast.Expr) or self._is_display_arg(shown, up)):
                    return False
            return True
        return False

    def _is_display_arg(self, node: ast.AST, parent: ast.AST | None) -> bool:
        if not isinstance(parent, ast.Call) or node not in parent.args:
            return False
        if isinstance(parent.func, ast.Name) and parent.func.id in _DISPLAYS:
            return True  # ``display`` is a notebook builtin: no binding to resolve
        return (self.ctx.qualname(parent.func) or "") in _DISPLAYS

    def _parents(self) -> dict[int, ast.AST]:
        cached = getattr(self, "_parent_map", None)
        if cached is None:
            cached = {}
            for parent in ast.walk(self.ctx.tree):
                for child in ast.iter_child_nodes(parent):
                    cached[id(child)] = parent
            self._parent_map = cached
        return cached

    # -- the fix -------------------------------------------------------------------------------

    def _fix(self, call: ast.Call) -> Fix | None:
        if any(kw.arg not in _FIX_KEYWORDS for kw in call.keywords):
            return None
        pandas = keyword(call, "pandas")
        if pandas is not None and not (
            isinstance(pandas.value, ast.Constant) and isinstance(pandas.value.value, bool)
        ):
            return None
        func = call.func
        assert isinstance(func, ast.Attribute)
        receiver = self.ctx.segment(func.value)
        keys = keyword(call, "keys")
        args = f"keys={self.ctx.segment(keys.value)}" if keys is not None else ""
        scan = f"list({receiver}.scan_history({args}))"
        edits: tuple[Change, ...] = ()
        if pandas is None or str(self.ctx.segment(pandas.value)) == "True":
            alias = self._pandas_alias()
            if alias is not None:
                scan = f"{alias}.DataFrame({scan})"
            else:
                imported = import_for_fix(self.ctx, call, "pandas", "DataFrame")
                if imported is None:
                    return None
                local, edits = imported
                scan = f"{local}({scan})"
        edit = replace(call, scan)
        return Fix((edit, *edits), applicability=UNSAFE, title="Use scan_history(...)")

    def _pandas_alias(self) -> str | None:
        names = self.ctx.names
        for name in names.module.bindings:
            if names.lookup(name, names.module) == "pandas":
                if names.lookup(name, self.ctx.scope) == "pandas":
                    return name
        return None


def _shown_through_peeks(node: ast.AST, parents: dict[int, ast.AST]) -> ast.AST:
    """``df.head()`` / ``df.tail(5)``: the expression a display would receive."""
    parent = parents.get(id(node))
    if isinstance(parent, ast.Attribute) and parent.attr in _PEEKS:
        call = parents.get(id(parent))
        if isinstance(call, ast.Call) and call.func is parent:
            return call
    return node


def _binds(target: ast.AST, name: str) -> bool:
    return any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
        for n in ast.walk(target)
    )


def _binds_here(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.Name) and node.id == name:
        return isinstance(node.ctx, ast.Store)
    return False


def _own_walk(scope: ast.AST):
    """The nodes of a function (or module), nested functions and classes aside."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, SCOPE_NODES):
            stack.extend(ast.iter_child_nodes(node))
