"""The wandb model: the one place that knows what wandb code is.

Rules ask it typed questions about the node they name, never about "the node being visited":

- ``log_call(call)``: does this call log to a wandb run (``wandb.log``, a run's ``.log``,
  accelerate's ``accelerator.log`` and wandb tracker, a run-like parameter's ``.log(<dict>)``)?
- ``commit_false(call)``: a log call that only adds to the current row (``commit=False``);
- ``sends_to_run(call)`` / ``run_object(expr)``: calls whose dict arguments reach a run
  (log, init, ``config.update``, ``summary.update``) and objects whose items reach it (a run's
  ``config`` and ``summary``);
- ``accelerator(expr)``: an accelerate ``Accelerator`` (whether its trackers hold wandb or not);
- ``console_off(tree)``: the module turns wandb's console capture off.

Names come from resolve.py (what a name is bound to); the project's other functions and modules
come in through the resolver's call hook (project.py). Nothing here reports anything.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from .resolve import (
    ACCELERATOR,
    LIGHTNING_RUN,
    RUN,
    RUN_PARAM,
    SCOPE_NODES,
    TRACKER,
    Resolver,
    Scope,
)

#: qualified names of callees that log to a wandb run
LOG_CALLS = frozenset({"wandb.log", RUN + ".log", ACCELERATOR + ".log", TRACKER + ".log"})
#: calls whose dict arguments (or ``config=``) reach the run
SINK_CALLS = frozenset(
    {
        "wandb.log",
        RUN + ".log",
        "wandb.init",
        "wandb.config.update",
        RUN + ".config.update",
        "wandb.summary.update",
        RUN + ".summary.update",
    }
)
#: objects whose items and attributes reach the run
SINK_OBJECTS = frozenset({"wandb.config", RUN + ".config", "wandb.summary", RUN + ".summary"})
#: what a run can be handed on as: the run, the module that logs to it, what logs through it
RUN_LIKE = frozenset({RUN, LIGHTNING_RUN, RUN_PARAM, ACCELERATOR, TRACKER, "wandb", "wandb.run"})
#: ``wandb.Settings`` under its public and internal names
SETTINGS_CALLS = frozenset(
    {"wandb.Settings", "wandb.sdk.Settings", "wandb.sdk.wandb_settings.Settings"}
)
#: calls that take a run's ``mode=``: ``wandb.init`` and ``wandb.Settings``
MODE_CALLS = frozenset({"wandb.init"} | SETTINGS_CALLS)
#: a run's config, through the module or a run
CONFIG_OBJECTS = frozenset({"wandb.config", RUN + ".config"})
#: a run's summary, through the module or a run
SUMMARY_OBJECTS = frozenset({"wandb.summary", RUN + ".summary"})
#: an accelerate ``Accelerator``, with wandb among its trackers or not
ACCELERATORS = frozenset(
    {ACCELERATOR, "accelerate.Accelerator()", "accelerate.accelerator.Accelerator()"}
)


class WandbModel:
    """Typed questions about one module's wandb use, over its name table."""

    def __init__(self, names: Resolver) -> None:
        self.names = names

    def log_call(
        self,
        call: ast.AST,
        scope: Scope | None = None,
        lightning: bool = True,
        ancestors: Sequence[ast.AST] | None = None,
    ) -> bool:
        """A call that logs to a wandb run. ``scope``: where the call is (the module when not
        given); ``ancestors``: the nodes around it, outermost first, when known (they tell a
        ``tracker.log`` under ``if tracker.name == "wandb":`` apart); ``lightning``: whether
        Lightning's ``experiment.log`` counts."""
        if not isinstance(call, ast.Call):
            return False
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr != "log":
            return False
        qual = self.names.qualname(func, scope or self.names.module)
        if qual in LOG_CALLS:
            return True
        if qual == LIGHTNING_RUN + ".log":
            return lightning
        if qual == RUN_PARAM + ".log":
            return called_like_a_run(call) and self.names.imports_wandb()
        if qual is None and ancestors is not None and isinstance(func, ast.Attribute):
            return wandb_tracker_in_loop(func.value, ancestors)
        return False

    def sends_to_run(self, call: ast.Call, scope: Scope | None = None) -> bool:
        """A call whose dict arguments reach the run: a log call, ``wandb.init``,
        ``config.update``, ``summary.update``, accelerate's ``init_trackers``."""
        scope = scope or self.names.module
        if self.run_qualname(call.func, scope) in SINK_CALLS or self.log_call(call, scope):
            return True
        func = call.func
        return (
            isinstance(func, ast.Attribute)
            and func.attr == "init_trackers"
            and self.names.qualname(func.value, scope) == ACCELERATOR
        )

    def run_object(self, expr: ast.AST, scope: Scope | None = None) -> bool:
        """``wandb.config``, ``run.summary``...: an object whose items reach the run."""
        return self.run_qualname(expr, scope or self.names.module) in SINK_OBJECTS

    def run_qualname(self, expr: ast.AST, scope: Scope) -> str | None:
        """What ``expr`` resolves to, a run reached through Lightning read as any other run."""
        name = self.names.qualname(expr, scope)
        if name is not None and name.startswith(LIGHTNING_RUN):
            return RUN + name[len(LIGHTNING_RUN) :]
        return name

    def accelerator(self, expr: ast.AST, scope: Scope | None = None) -> bool:
        return self.names.qualname(expr, scope or self.names.module) in ACCELERATORS


def commit_false(call: ast.Call) -> bool:
    """``log(..., commit=False)``: adds to the current row, makes no row of its own."""
    for kw in call.keywords:
        if kw.arg == "commit":
            return isinstance(kw.value, ast.Constant) and not kw.value.value
    return False


def called_like_a_run(call: ast.Call) -> bool:
    """``run.log({...})``, ``run.log(dict(...))``, ``run.log(metrics)``: the first argument is a
    dict literal, ``dict(...)`` or a name. ``run.log("some text")`` is somebody else's log."""
    if not call.args:
        return False
    first = call.args[0]
    if isinstance(first, (ast.Dict, ast.Name)):
        return True
    return isinstance(first, ast.Call) and getattr(first.func, "id", None) == "dict"


def wandb_tracker_in_loop(receiver: ast.AST, ancestors: Sequence[ast.AST]) -> bool:
    """``for tracker in accelerator.trackers:`` then ``tracker.log(...)`` under
    ``if tracker.name == "wandb":`` (``ancestors``: the nodes around the call)."""
    if not isinstance(receiver, ast.Name):
        return False
    narrowed = False
    chain = ancestors
    for i in range(len(chain) - 1, -1, -1):
        node = chain[i]
        if isinstance(node, SCOPE_NODES):
            break
        if isinstance(node, ast.If) and i + 1 < len(chain) and chain[i + 1] in node.body:
            narrowed = narrowed or tests_tracker_name(node.test, receiver.id, "wandb")
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            if isinstance(node.target, ast.Name) and node.target.id == receiver.id:
                looped = isinstance(node.iter, ast.Attribute) and node.iter.attr == "trackers"
                return narrowed and looped
    return False


def tests_tracker_name(test: ast.AST, name: str, value: str) -> bool:
    """``tracker.name == "wandb"`` (also inside an ``and``)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(tests_tracker_name(v, name, value) for v in test.values)
    return (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and isinstance(test.left, ast.Attribute)
        and test.left.attr == "name"
        and isinstance(test.left.value, ast.Name)
        and test.left.value.id == name
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == value
    )


def _str_value(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def console_off(tree: ast.Module) -> bool:
    """The module turns wandb's console capture off: ``console="off"`` in a call or a settings
    dict, or ``WANDB_CONSOLE`` set to ``"off"``."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.keyword)
            and node.arg == "console"
            and _str_value(node.value) == "off"
        ):
            return True
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values):
                if _str_value(k) in ("console", "WANDB_CONSOLE") and _str_value(v) == "off":
                    return True
        if isinstance(node, ast.Assign) and _str_value(node.value) == "off":
            for t in node.targets:
                if isinstance(t, ast.Subscript) and _str_value(t.slice) == "WANDB_CONSOLE":
                    return True
    return False
