"""The wandb model: the one place that knows what wandb code is.

Rules ask it typed questions about the node they name, never about "the node being visited":

- ``log_call(call)``: does this call log to a wandb run (``wandb.log``, a run's ``.log``,
  accelerate's ``accelerator.log`` and wandb tracker, a run-like parameter's ``.log(<dict>)``)?
- ``commit_false(call)``: a log call that only adds to the current row (``commit=False``);
- ``sends_to_run(call)`` / ``run_object(expr)``: calls whose dict arguments reach a run
  (log, init, ``config.update``, ``summary.update``) and objects whose items reach it (a run's
  ``config`` and ``summary``);
- ``accelerator(expr)``: an accelerate ``Accelerator`` (whether its trackers hold wandb or not);
- ``init_call(call)``: a call that starts a wandb run (``wandb.init``, accelerate's
  ``init_trackers``, Lightning's ``WandbLogger``), as an ``InitCall`` that answers where each of
  its ``wandb.init`` arguments is given (directly or in ``init_kwargs={"wandb": {...}}``);
- ``settings_call(call)``: ``wandb.Settings(...)``; ``sweep_call(call)``: ``wandb.sweep`` /
  ``wandb.agent``;
- ``environment_writes(node)`` / ``environment_call(node)``: writes of environment variables
  (all, or only ``WANDB_*``);
- ``console_setting(node)``: the ``console`` values a call or statement sets;
  ``console_off(names)``: the module turns wandb's console capture off;
- ``may_finish_run(call)``: a ``finish()`` call that may end the run;
- ``api_name(qual)``: a callee in the notation of the API-change table (``Run.get_url``);
- ``public_run(expr)`` / ``public_runs(expr)``: ``wandb.Api().run(...)`` / ``.runs(...)``;
- ``LAUNCHES``: calls that make every process of a launcher run the whole script.

Names come from resolve.py (what a name is bound to); the project's other functions and modules
come in through the resolver's call hook (project.py). Nothing here reports anything.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

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
#: methods of a run's config that write to it (``wandb.config.update(...)``, ``config[k] = v``)
CONFIG_UPDATES = frozenset({"update", "setdefaults", "update_locked", "setdefault", "__setitem__"})
#: callees (by their last name) that may set ``WANDB_MODE`` without a ``mode=`` keyword:
#: ``os.putenv``, ``os.environ.update``, accelerate's ``init_trackers``
MODE_SETTER_CALLEES = frozenset({"putenv", "update", "init_trackers"})
#: an accelerate ``Accelerator``, with wandb among its trackers or not
ACCELERATORS = frozenset(
    {ACCELERATOR, "accelerate.Accelerator()", "accelerate.accelerator.Accelerator()"}
)


#: Lightning's packages (its ``WandbLogger`` starts a wandb run)
LIGHTNING = ("pytorch_lightning.", "lightning.")
#: calls that make every process of a launcher (torchrun, accelerate launch, deepspeed) run the
#: whole script: the module trains on several processes (what each is called in a message)
LAUNCHES = {
    "torch.distributed.init_process_group": "init_process_group",
    "deepspeed.init_distributed": "deepspeed.init_distributed",
    "accelerate.Accelerator": "an Accelerator",
    "accelerate.accelerator.Accelerator": "an Accelerator",
}
#: calls that run a sweep: the sweep controller supplies the run's config
SWEEP_CALLS = frozenset({"wandb.agent", "wandb.sweep"})
_API = r"wandb\.(?:apis\.(?:public\.)?)?(?:Api|PublicApi)\(\)"
#: ``wandb.Api().run(path)``
_PUBLIC_RUN = re.compile(rf"^{_API}\.run\(\)$")
#: ``wandb.Api().runs(path)`` and what it returns (``api.project(...).runs()``)
_PUBLIC_RUNS = re.compile(rf"^{_API}\.(?:\w+\(\)\.)*runs(?:\(\))?$")


#: the last names of the calls whose dict arguments may reach the run (``sends_to_run`` decides):
#: a cheap question before it
SINK_CALL_NAMES = frozenset({"log", "update", "init", "init_trackers"})


@dataclass(frozen=True)
class EnvWrite:
    """One write of an environment variable.

    ``kind``: ``"assign"`` (``os.environ[K] = v``), ``"update"`` (``os.environ.update(K=v)`` or
    ``update({K: v})``), ``"putenv"`` (``os.putenv(K, v)``) or ``"setdefault"``
    (``os.environ.setdefault(K, v)``: the environment still wins). ``value`` is the value's
    expression, ``key`` the expression naming the variable (None for a keyword of ``update``).
    """

    var: str
    value: ast.AST
    kind: str
    node: ast.AST
    key: ast.AST | None


#: the last names of the calls that start a run (``init_call``)
#: the last names of the callees that start a run (``init_call`` asks them first; rules
#: hand the same question to the engine: ``Rule.attribute_names``)
INIT_ATTRIBUTES = frozenset({"init", "init_trackers", "WandbLogger"})
#: the last name of a log call's callee (``run.log``): ``log_call`` asks it first
LOG_ATTRIBUTES = frozenset({"log"})
#: the name of the attribute an assignment rebinds a config through (``config_rebound`` asks
#: it first)
CONFIG_ATTRIBUTES = frozenset({"config"})
#: the last name of ``wandb.Settings``'s callee (``settings_call`` asks it first)
SETTINGS_ATTRIBUTES = frozenset({"Settings"})
#: the last names of the callees that write the environment (``os.environ.update``,
#: ``os.environ.setdefault``, ``os.putenv``): ``environment_writes`` asks them first
ENVIRONMENT_ATTRIBUTES = frozenset({"update", "setdefault", "putenv"})
#: the last names of the callees of a call that may set ``console`` (``console_setting``)
CONSOLE_ATTRIBUTES = INIT_ATTRIBUTES | SETTINGS_ATTRIBUTES | ENVIRONMENT_ATTRIBUTES
#: the last names of the callees of a call that may set the mode (``mode=``, ``WANDB_MODE``)
MODE_ATTRIBUTES = CONSOLE_ATTRIBUTES | MODE_SETTER_CALLEES


@dataclass(frozen=True)
class InitCall:
    """A call that starts a wandb run, and where its ``wandb.init`` arguments are.

    ``via``: ``"wandb.init"``, ``"init_trackers"`` (accelerate: the keyword arguments of
    ``wandb.init`` are the keys of ``init_kwargs={"wandb": {...}}``, held in ``init_kwargs``
    when that is a dict literal) or ``"WandbLogger"`` (Lightning: its own keyword arguments,
    passed on to ``wandb.init``)."""

    call: ast.Call
    via: str
    init_kwargs: ast.Dict | None = None

    def direct(self, name: str) -> ast.keyword | None:
        """The keyword ``name=`` given to the call itself."""
        for kw in self.call.keywords:
            if kw.arg == name:
                return kw
        return None

    def arguments(self) -> Iterator[tuple[str | None, ast.AST]]:
        """``(name, value)`` of each argument that reaches ``wandb.init`` by name: the call's
        keywords (``init_trackers``: the string keys of its ``init_kwargs["wandb"]`` dict).
        ``**`` is named None; a computed key is left out."""
        if self.via == "init_trackers":
            if self.init_kwargs is not None:
                for k, v in zip(self.init_kwargs.keys, self.init_kwargs.values):
                    name = _str_value(k)
                    if k is None or name is not None:
                        yield name, v
            return
        for kw in self.call.keywords:
            yield kw.arg, kw.value

    def argument(self, name: str) -> list[ast.AST]:
        """The values given for the ``wandb.init`` argument ``name``."""
        return [v for k, v in self.arguments() if k == name]

    def has_unknown_arguments(self) -> bool:
        """A ``**`` among the arguments: any argument may be given."""
        return any(k is None for k, _ in self.arguments())


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
        if isinstance(func, ast.Attribute) and func.attr not in LOG_ATTRIBUTES:
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

    # -- starting a run ------------------------------------------------------------------------

    def init_call(self, call: ast.AST, scope: Scope | None = None) -> InitCall | None:
        """``wandb.init(...)``; accelerate's ``init_trackers(...)`` on an accelerator, or with
        ``init_kwargs={"wandb": {...}}``; Lightning's ``WandbLogger(...)``. None otherwise."""
        if not isinstance(call, ast.Call):
            return None
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr not in INIT_ATTRIBUTES:
            return None  # the cheap question first: ``x.y(...)`` resolves to a name ending in y
        scope = scope or self.names.module
        if isinstance(func, ast.Attribute) and func.attr == "init_trackers":
            init_kwargs = init_trackers_wandb(call)
            if init_kwargs is not None or self.names.qualname(func.value, scope) == ACCELERATOR:
                return InitCall(call, "init_trackers", init_kwargs)
            return None
        qual = self.run_qualname(func, scope)
        if qual == "wandb.init":
            return InitCall(call, "wandb.init")
        if qual is not None and qual.endswith(".WandbLogger") and qual.startswith(LIGHTNING):
            return InitCall(call, "WandbLogger")
        return None

    def wandb_inits(self) -> Iterator[tuple[InitCall, Scope]]:
        """Every ``wandb.init(...)`` of the module (called as ``init``), with its scope."""
        for call, scope in self.names.calls_named("init"):
            init = self.init_call(call, scope)
            if init is not None and init.via == "wandb.init":
                yield init, scope

    def module_config(self, expr: ast.AST, scope: Scope | None = None) -> bool:
        """``wandb.config``: the module's config object (not a run's ``run.config``)."""
        return self.run_qualname(expr, scope or self.names.module) == "wandb.config"

    def config_rebound(self, target: ast.AST, scope: Scope | None = None) -> str | None:
        """The config an assignment target rebinds: ``wandb.config`` for ``wandb.config = ...``
        (any name of the module), ``RUN.config`` for ``run.config = ...``; None otherwise.
        Judged by the object the attribute is set on, never by what the target held before:
        ``self.config = wandb.config`` keeps a reference to the config, it rebinds nothing."""
        if not (isinstance(target, ast.Attribute) and target.attr in CONFIG_ATTRIBUTES):
            return None  # the cheap question first
        base = self.run_qualname(target.value, scope or self.names.module)
        if base == "wandb":
            return "wandb.config"
        if base == RUN:  # qualified names are normalised: ``wandb.run`` is a run
            return RUN + ".config"
        return None

    def settings_call(self, call: ast.AST, scope: Scope | None = None) -> bool:
        """``wandb.Settings(...)`` under any of its names."""
        if not isinstance(call, ast.Call):
            return False
        if isinstance(call.func, ast.Attribute) and call.func.attr not in SETTINGS_ATTRIBUTES:
            return False  # the cheap question first
        return self.run_qualname(call.func, scope or self.names.module) in SETTINGS_CALLS

    def sweep_call(self, call: ast.AST, scope: Scope | None = None) -> bool:
        """``wandb.sweep(...)`` / ``wandb.agent(...)``."""
        return (
            isinstance(call, ast.Call)
            and self.run_qualname(call.func, scope or self.names.module) in SWEEP_CALLS
        )

    def runs_a_sweep(self) -> bool:
        """The module calls ``wandb.agent`` or ``wandb.sweep`` somewhere."""
        return any(
            self.sweep_call(call, scope)
            for method in ("agent", "sweep")
            for call, scope in self.names.calls_named(method)
        )

    def launch(self, call: ast.AST, scope: Scope | None = None) -> str | None:
        """A call that makes every process of a launcher run the script (``LAUNCHES``): what
        the messages call it."""
        if not isinstance(call, ast.Call):
            return None
        return LAUNCHES.get(self.run_qualname(call.func, scope or self.names.module) or "")

    # -- the environment -----------------------------------------------------------------------

    def environment_writes(self, node: ast.AST, scope: Scope | None = None) -> list[EnvWrite]:
        """The environment-variable writes a statement or call makes (keys that are string
        literals only)."""
        scope = scope or self.names.module
        writes: list[EnvWrite] = []
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and self.run_qualname(target.value, scope) == "os.environ"
                ):
                    var = _str_value(target.slice)
                    if var is not None:
                        writes.append(EnvWrite(var, node.value, "assign", node, target.slice))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr not in ENVIRONMENT_ATTRIBUTES:
                return writes  # the cheap question first
            qual = self.run_qualname(func, scope)
            if qual == "os.environ.update":
                for kw in node.keywords:
                    if kw.arg is not None:
                        writes.append(EnvWrite(kw.arg, kw.value, "update", node, None))
                for arg in node.args:
                    if isinstance(arg, ast.Dict):
                        for k, v in zip(arg.keys, arg.values):
                            var = _str_value(k)
                            if var is not None:
                                writes.append(EnvWrite(var, v, "update", node, k))
            elif qual in ("os.putenv", "os.environ.setdefault") and len(node.args) == 2:
                var = _str_value(node.args[0])
                if var is not None:
                    kind = "putenv" if qual == "os.putenv" else "setdefault"
                    writes.append(EnvWrite(var, node.args[1], kind, node, node.args[0]))
        return writes

    def environment_call(self, node: ast.AST, scope: Scope | None = None) -> list[EnvWrite]:
        """The writes of wandb's own variables (``WANDB_*``) a statement or call makes."""
        return [w for w in self.environment_writes(node, scope) if w.var.startswith("WANDB_")]

    # -- settings ------------------------------------------------------------------------------

    def console_setting(self, node: ast.AST, scope: Scope | None = None) -> list[ast.AST]:
        """The ``console`` values a call or statement sets: ``wandb.Settings(console=...)``,
        ``wandb.init(settings={"console": ...})`` / ``settings=dict(console=...)`` (also through
        accelerate's ``init_trackers(init_kwargs={"wandb": {"settings": ...}})``), and
        ``WANDB_CONSOLE`` written to the environment."""
        scope = scope or self.names.module
        found: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            return [w.value for w in self.environment_call(node, scope) if w.var == "WANDB_CONSOLE"]
        if not isinstance(node, ast.Call) or not (node.args or node.keywords):
            return found  # the cheap question first: a call without arguments sets nothing
        if self.settings_call(node, scope):
            found += [kw.value for kw in node.keywords if kw.arg == "console"][:1]
            return found
        init = self.init_call(node, scope)
        if init is not None and init.via == "wandb.init":
            settings = init.direct("settings")
            return self._settings_console(settings.value if settings else None, scope)
        if init is not None and init.via == "init_trackers":
            for value in init.argument("settings"):
                found += self._settings_console(value, scope)
        found += [w.value for w in self.environment_call(node, scope) if w.var == "WANDB_CONSOLE"]
        return found

    def _settings_console(self, value: ast.AST | None, scope: Scope) -> list[ast.AST]:
        """``{"console": ...}`` or ``dict(console=...)`` given as ``settings=``."""
        found: list[ast.AST] = []
        if isinstance(value, ast.Dict):
            found += [v for k, v in zip(value.keys, value.values) if _str_value(k) == "console"]
        elif isinstance(value, ast.Call) and self.run_qualname(value.func, scope) == "dict":
            found += [kw.value for kw in value.keywords if kw.arg == "console"][:1]
        return found

    # -- the public API ------------------------------------------------------------------------

    def public_run(self, expr: ast.AST, scope: Scope | None = None) -> bool:
        """``wandb.Api().run(path)`` (also ``wandb.apis.public.Api``, ``PublicApi``)."""
        return bool(_PUBLIC_RUN.match(self.run_qualname(expr, scope or self.names.module) or ""))

    def public_runs(self, expr: ast.AST, scope: Scope | None = None) -> bool:
        """``wandb.Api().runs(path)``, ``api.project(...).runs()``: a collection of runs."""
        return bool(_PUBLIC_RUNS.match(self.run_qualname(expr, scope or self.names.module) or ""))


def may_finish_run(node: ast.AST) -> bool:
    """A call named ``finish`` (``run.finish()``, ``wandb.finish()``, ``finish()``), whatever its
    receiver: it may end the run, and a rule that needs the run finished stays silent."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return getattr(func, "attr", getattr(func, "id", None)) == "finish"


def api_name(qual: str | None) -> str | None:
    """A callee's qualified name in the notation of the API-change table
    (``wandb_runtime/api_changes.py``): ``wandb.log``, ``Run.get_url``, ``wandb.Settings``."""
    if not qual:
        return None
    if qual.startswith(RUN + "."):
        return "Run." + qual[len(RUN) + 1 :]
    if qual in SETTINGS_CALLS:
        return "wandb.Settings"
    if qual.startswith("wandb."):
        return qual
    return None


def init_trackers_wandb(call: ast.Call) -> ast.Dict | None:
    """For ``accelerator.init_trackers(project, init_kwargs={"wandb": {...}})``: the dict of
    keyword arguments accelerate passes to ``wandb.init``; None for any other call."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "init_trackers"):
        return None
    for kw in call.keywords:
        if kw.arg == "init_kwargs" and isinstance(kw.value, ast.Dict):
            for k, v in zip(kw.value.keys, kw.value.values):
                if _str_value(k) == "wandb" and isinstance(v, ast.Dict):
                    return v
    return None


def commit_false(call: ast.Call) -> bool:
    """``log(..., commit=False)``: adds to the current row, makes no row of its own."""
    for kw in call.keywords:
        if kw.arg == "commit":
            return isinstance(kw.value, ast.Constant) and not kw.value.value
    return False


def logged_keys(call: ast.Call) -> frozenset[str] | None:
    """The keys a log call writes, when its first argument is a dict literal whose keys are all
    strings (``{"loss": l}``); None when they cannot be read (a name, ``**extra``, ``dict(...)``)."""
    first = call.args[0] if call.args else None
    if not isinstance(first, ast.Dict):
        return None
    keys = [_str_value(k) for k in first.keys]
    if any(k is None for k in keys):
        return None  # ``**extra`` (a None key) or a computed key
    return frozenset(k for k in keys if k is not None)


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


def console_off(names: Resolver) -> bool:
    """The module turns wandb's console capture off: ``console="off"`` in a call or a settings
    dict, or ``WANDB_CONSOLE`` set to ``"off"``."""
    for node in names.nodes_of(ast.keyword, ast.Dict, ast.Assign):
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
