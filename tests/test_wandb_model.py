"""The wandb model's queries, asked directly about small sources (analysis/wandb_model.py): each
takes the node it is asked about (and where that node is), never the node a rule is visiting.
The traps are code that looks like wandb and is not: another library's ``init()``, a class of
one's own with a ``config`` attribute."""

from __future__ import annotations

import ast

from flake8_wandb.analysis.resolve import RUN, Resolver, Scope
from flake8_wandb.analysis.wandb_model import (
    CONSOLE_ATTRIBUTES,
    ENVIRONMENT_ATTRIBUTES,
    LAUNCHES,
    SETTINGS_ATTRIBUTES,
    InitCall,
    WandbModel,
    api_name,
    commit_false,
    console_off,
    may_finish_run,
)


class Module:
    """A parsed source and its wandb model; ``call(text)`` finds the call whose source starts with
    ``text``, ``scope(node)`` the scope it is in."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tree = ast.parse(source)
        self.model = WandbModel(Resolver(self.tree, mentions_wandb="wandb" in source))

    def nodes(self, kind: type, text: str) -> list:
        return [
            n
            for n in ast.walk(self.tree)
            if isinstance(n, kind)
            and (ast.get_source_segment(self.source, n) or "").startswith(text)
        ]

    def call(self, text: str) -> ast.Call:
        (found,) = self.nodes(ast.Call, text)
        return found

    def scope(self, node: ast.AST) -> Scope:
        """The innermost function or class around ``node`` (the module when none)."""
        best = self.model.names.module
        for outer in ast.walk(self.tree):
            if isinstance(outer, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                if (
                    any(n is node for n in ast.walk(outer))
                    and id(outer) in self.model.names.scope_of
                ):
                    inner = self.model.names.scope_of[id(outer)]
                    if _depth(inner) > _depth(best):
                        best = inner
        return best

    def init(self, text: str) -> InitCall | None:
        call = self.call(text)
        return self.model.init_call(call, self.scope(call))


def _depth(scope: Scope) -> int:
    depth = 0
    while scope.parent is not None:
        scope, depth = scope.parent, depth + 1
    return depth


def _text(node: ast.AST | None) -> str | None:
    return None if node is None else ast.unparse(node)


# -- init_call -------------------------------------------------------------------------------------


def test_init_call_direct_arguments():
    m = Module('import wandb\nrun = wandb.init(project="p", config=cfg, **extra)\n')
    init = m.init("wandb.init")
    assert init is not None and init.via == "wandb.init"
    assert [_text(v) for v in init.argument("config")] == ["cfg"]
    assert _text(init.direct("project").value) == "'p'"
    assert init.direct("mode") is None
    assert init.has_unknown_arguments()


def test_init_call_under_another_name():
    m = Module("from wandb import init as start\nstart(project='p')\n")
    init = m.init("start(")
    assert init is not None and init.via == "wandb.init"
    assert not init.has_unknown_arguments()


def test_init_call_through_accelerate_init_kwargs():
    m = Module(
        "from accelerate import Accelerator\n"
        "accelerator = Accelerator(log_with='wandb')\n"
        "accelerator.init_trackers('p', init_kwargs={'wandb': {'mode': 'offline', k: 1}})\n"
    )
    init = m.init("accelerator.init_trackers")
    assert init is not None and init.via == "init_trackers"
    assert [_text(v) for v in init.argument("mode")] == ["'offline'"]
    assert [name for name, _ in init.arguments()] == ["mode"]  # a computed key is left out
    assert not init.has_unknown_arguments()


def test_init_call_through_accelerate_without_init_kwargs():
    m = Module(
        "from accelerate import Accelerator\n"
        "accelerator = Accelerator(log_with='wandb')\n"
        "accelerator.init_trackers('p')\n"
    )
    init = m.init("accelerator.init_trackers")
    assert init is not None and init.init_kwargs is None and list(init.arguments()) == []


def test_init_call_through_lightning():
    m = Module(
        "from pytorch_lightning.loggers import WandbLogger\nlogger = WandbLogger(offline=True)\n"
    )
    init = m.init("WandbLogger")
    assert init is not None and init.via == "WandbLogger"
    assert [_text(v) for v in init.argument("offline")] == ["True"]


def test_init_call_traps():
    m = Module(
        "import wandb\n"
        "import torch.nn as nn\n"
        "nn.init(weights)\n"
        "class Tracker:\n"
        "    def init_trackers(self, name):\n"
        "        pass\n"
        "t = Tracker()\n"
        "t.init_trackers('p')\n"
        "def init(**kw):\n"
        "    pass\n"
        "init(project='p')\n"
    )
    assert m.init("nn.init") is None
    assert m.init("t.init_trackers") is None
    assert m.init("init(project") is None
    assert list(m.model.wandb_inits()) == []


def test_wandb_inits_lists_each_with_its_scope():
    m = Module("import wandb\ndef main():\n    wandb.init(config={})\nwandb.init()\n")
    found = [(ast.unparse(i.call), s is m.model.names.module) for i, s in m.model.wandb_inits()]
    assert sorted(found) == [("wandb.init()", True), ("wandb.init(config={})", False)]


# -- config, settings, sweeps, launchers -----------------------------------------------------------


def test_module_config_and_its_trap():
    m = Module(
        "import wandb\n"
        "wandb.config = {'lr': 1}\n"
        "class Trainer:\n"
        "    def __init__(self):\n"
        "        self.config = {'lr': 1}\n"
    )
    module_target, self_target = (
        n for n in ast.walk(m.tree) if isinstance(n, ast.Attribute) and n.attr == "config"
    )
    assert m.model.module_config(module_target)
    assert not m.model.module_config(self_target, m.scope(self_target))
    assert not m.model.run_object(self_target, m.scope(self_target))


def test_config_rebound_is_judged_by_the_object_set_on():
    """``self.config = wandb.config`` keeps a reference: only ``<wandb>.config = ...`` and
    ``<run>.config = ...`` rebind a run's config, whatever the target held before."""
    m = Module(
        "import wandb as wb\n"
        "run = wb.init()\n"
        "wb.config = {'lr': 1}\n"
        "run.config = {'lr': 1}\n"
        "wb.run.config = {}\n"
        "class Trainer:\n"
        "    def __init__(self):\n"
        "        self.config = wb.config\n"
        "        self.cfg = run.config\n"
        "        self.run = wb.init()\n"
        "        self.run.config = {}\n"
        "        self.wb = wb\n"
        "        self.wb.config = {}\n"
    )
    targets = [t for n in ast.walk(m.tree) if isinstance(n, ast.Assign) for t in n.targets]
    got = {ast.unparse(t): m.model.config_rebound(t, m.scope(t)) for t in targets}
    assert got == {
        "run": None,
        "wb.config": "wandb.config",
        "run.config": RUN + ".config",
        "wb.run.config": RUN + ".config",
        "self.config": None,
        "self.cfg": None,
        "self.run": None,
        "self.run.config": RUN + ".config",  # the run's own config, whatever it held
        "self.wb": None,
        "self.wb.config": "wandb.config",  # the module, under an attribute of its own
    }


def test_string_annotations_resolve_in_their_own_module():
    """A string annotation is parsed once per process, and resolved in each module and scope
    where it is written: the same ``"Run"`` is wandb's run in one module, a class of the other."""
    wandb_run = Module(
        "from wandb import Run\n\ndef train(r: 'Run', s: 'Optional[Run]'):\n    r.log({})\n"
    )
    own_class = Module("class Run:\n    pass\n\ndef train(r: 'Run'):\n    r.log({})\n")
    for m, expected in ((wandb_run, True), (own_class, False)):
        call = m.call("r.log")
        assert m.model.log_call(call, m.scope(call)) is expected
        names = m.model.names
        assert (names.lookup("r", m.scope(call)) == RUN) is expected
    call = wandb_run.call("r.log")
    assert wandb_run.model.names.lookup("s", wandb_run.scope(call)) == RUN


def test_settings_and_sweep_calls():
    m = Module(
        "import wandb\nfrom wandb.sdk import Settings\n"
        "s = Settings(console='off')\nwandb.agent(sweep_id, train)\nagent(1)\n"
    )
    assert m.model.settings_call(m.call("Settings("))
    assert m.model.sweep_call(m.call("wandb.agent"))
    assert not m.model.sweep_call(m.call("agent(1)"))
    assert m.model.runs_a_sweep()
    assert not Module("import wandb\nwandb.init()\n").model.runs_a_sweep()


def test_a_callee_attribute_is_asked_by_its_own_name():
    """The cheap question first: ``x.Settings(...)`` may be wandb's Settings, ``x.other(...)``
    never, whatever ``other`` is bound to; a plain name is resolved (an alias)."""
    m = Module(
        "import os\nimport wandb\nfrom wandb import Settings as S\n"
        "make = wandb.Settings\nenv = os.environ\n"
        "wandb.Settings(console='off')\nS(console='off')\nmake(console='off')\n"
        "wandb.sdk.wandb_settings.Settings(console='off')\n"
        "env.update({'WANDB_MODE': 'offline'})\nos.environ.get('WANDB_MODE')\n"
    )
    calls = [node.value for node in m.tree.body[5:]]
    assert [m.model.settings_call(c) for c in calls] == [True, True, True, True, False, False]
    assert [len(m.model.environment_writes(c)) for c in calls] == [0, 0, 0, 0, 1, 0]
    assert (
        SETTINGS_ATTRIBUTES <= CONSOLE_ATTRIBUTES and ENVIRONMENT_ATTRIBUTES <= CONSOLE_ATTRIBUTES
    )


def test_launches():
    m = Module(
        "import torch.distributed as dist\nfrom accelerate import Accelerator\n"
        "dist.init_process_group('nccl')\nAccelerator()\nprocess_group()\n"
    )
    assert m.model.launch(m.call("dist.init_process_group")) == "init_process_group"
    assert m.model.launch(m.call("Accelerator()")) == "an Accelerator"
    assert m.model.launch(m.call("process_group()")) is None
    assert "torch.distributed.init_process_group" in LAUNCHES


# -- the environment and the console ---------------------------------------------------------------


def test_environment_writes_and_calls():
    m = Module(
        "import os\n"
        "os.environ['WANDB_MODE'] = 'offline'\n"
        "os.environ.update({'WANDB_CONSOLE': 'off', 'TOKENIZERS_PARALLELISM': 'false'})\n"
        "os.putenv('WANDB_DIR', '/tmp')\n"
        "os.environ.setdefault('HF_HOME', '/x')\n"
        "environ = {}\n"
        "environ['WANDB_MODE'] = 'offline'\n"
    )
    assign = m.tree.body[1]
    (write,) = m.model.environment_call(assign)
    assert (write.var, write.kind, _text(write.value)) == ("WANDB_MODE", "assign", "'offline'")
    update = m.call("os.environ.update")
    assert [w.var for w in m.model.environment_writes(update)] == [
        "WANDB_CONSOLE",
        "TOKENIZERS_PARALLELISM",
    ]
    assert [w.var for w in m.model.environment_call(update)] == ["WANDB_CONSOLE"]
    assert [w.kind for w in m.model.environment_call(m.call("os.putenv"))] == ["putenv"]
    assert m.model.environment_call(m.call("os.environ.setdefault")) == []
    assert m.model.environment_writes(m.tree.body[-1]) == []  # a dict of one's own


def test_console_setting():
    m = Module(
        "import os, wandb\n"
        "wandb.Settings(console='wrap')\n"
        "wandb.init(settings={'console': 'off'})\n"
        "wandb.init(settings=dict(console='redirect'))\n"
        "accelerator.init_trackers('p', init_kwargs={'wandb': {'settings': {'console': 'auto'}}})\n"
        "os.environ['WANDB_CONSOLE'] = 'off'\n"
        "other.Settings(console='off')\n"
    )
    values = [
        [_text(v) for v in m.model.console_setting(n)]
        for n in [*(c for c in m.tree.body[1:5]), m.tree.body[5], m.tree.body[6]]
        for n in [n.value if isinstance(n, ast.Expr) else n]
    ]
    assert values == [["'wrap'"], ["'off'"], ["'redirect'"], ["'auto'"], ["'off'"], []]


def test_console_off():
    def off(source: str) -> bool:
        return console_off(Resolver(ast.parse(source)))

    assert off("wandb.init(settings=wandb.Settings(console='off'))\n")
    assert off("os.environ['WANDB_CONSOLE'] = 'off'\n")
    assert off("settings = {'console': 'off'}\n")
    assert not off("wandb.init(settings=wandb.Settings(console='wrap'))\n")
    assert not off("os.environ['WANDB_CONSOLE'] = 'wrap'\n")


# -- logging and commit= ---------------------------------------------------------------------------


def test_log_call_and_its_traps():
    m = Module(
        "import logging, wandb\n"
        "run = wandb.init()\n"
        "run.log({'loss': 1})\n"
        "logging.log(10, 'x')\n"
        "class M:\n"
        "    def step(self):\n"
        "        self.log('loss', 1)\n"
    )
    assert m.model.log_call(m.call("run.log"))
    assert not m.model.log_call(m.call("logging.log"))
    self_log = m.call("self.log")
    assert not m.model.log_call(self_log, m.scope(self_log))


def test_commit_false_is_the_reader_of_commit():
    def call(text: str) -> ast.Call:
        node = ast.parse(text).body[0].value  # type: ignore[attr-defined]
        assert isinstance(node, ast.Call)
        return node

    assert commit_false(call("wandb.log({}, commit=False)"))
    assert commit_false(call("wandb.log({}, commit=0)"))
    assert not commit_false(call("wandb.log({}, commit=True)"))
    assert not commit_false(call("wandb.log({}, commit=flag)"))
    assert not commit_false(call("wandb.log({})"))


# -- the public API --------------------------------------------------------------------------------


def test_public_runs_and_api_names():
    m = Module(
        "import wandb\n"
        "api = wandb.Api()\n"
        "run = api.run('e/p/id')\n"
        "runs = api.runs('e/p')\n"
        "other = client.run('x')\n"
    )
    assert m.model.public_run(m.call("api.run("))
    assert m.model.public_runs(m.call("api.runs"))
    assert not m.model.public_run(m.call("client.run"))
    assert not m.model.public_runs(m.call("api.run("))
    assert api_name("wandb.sdk.wandb_settings.Settings") == "wandb.Settings"
    assert api_name("wandb.log") == "wandb.log"
    assert api_name(RUN + ".get_url") == "Run.get_url"
    assert api_name("torch.save") is None
    assert api_name(None) is None


def test_may_finish_run():
    def first_call(text: str) -> ast.AST:
        return ast.parse(text).body[0].value  # type: ignore[attr-defined]

    assert may_finish_run(first_call("run.finish()"))
    assert may_finish_run(first_call("finish()"))
    assert not may_finish_run(first_call("run.finished"))
    assert not may_finish_run(first_call("run.finish_up()"))


# -- the walk the name table records (Resolver.nodes), which the engine walks ------------------


def _preorder(tree: ast.AST, leaves: frozenset) -> list[tuple[ast.AST, int]]:
    """``ast.iter_child_nodes``' order, without ``leaves`` and annotations (a function's
    parameters and return type, an annotated assignment's type)."""
    from flake8_wandb.analysis.positions import ANNOTATION_FIELDS

    out: list[tuple[ast.AST, int]] = []

    def visit(node: ast.AST, depth: int) -> None:
        out.append((node, depth))
        for name, value in ast.iter_fields(node):
            if (type(node).__name__, name) in ANNOTATION_FIELDS:
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST) and type(child) not in leaves:
                    visit(child, depth + 1)

    visit(tree, 0)
    return out


WALKED = """\
import wandb as wb
@decorate(wb.config)
def train(loader, lr=default_lr(), *, run: wb.sdk.wandb_run.Run | None = None):
    for x[f()], (a, b) in enumerate(loader):
        with open(g()) as fh, ctx() as (c, d):
            wb.log({"a": a, **{k: v for k, v in zip(ks, vs) if (n := len(k))}}, step=lambda: b)
    class Inner(Base, metaclass=Meta):
        attr: int = h()
    try:
        pass
    except (ValueError, KeyError) as err:
        raise RuntimeError(f"{err!r:>10}") from err
    return [i async for i in aiter()] if run else None
"""


def test_the_walk_is_the_engine_order_without_leaves():
    """Every node but names, constants and operators, parents first, children in
    ``ast.iter_child_nodes`` order, with their depth: the loop and ``with`` targets, the
    decorators and defaults too (the engine visits them all); not the annotations (types, not
    code a run executes)."""
    from flake8_wandb.analysis.resolve import LEAVES

    tree = ast.parse(WALKED)
    names = Resolver(tree)
    expected = _preorder(tree, LEAVES)
    order = list(zip(names.nodes, names.depths))
    assert [(type(n).__name__, d) for n, d in order] == [(type(n).__name__, d) for n, d in expected]
    assert all(a is b for (a, _), (b, _) in zip(order, expected))
    with_leaves = Resolver(tree, leaves=True).nodes
    assert with_leaves == [n for n, _ in _preorder(tree, frozenset())]
    assert Resolver(tree, record=False).nodes == []  # a project module: not kept


def test_the_walk_reads_plain_values_only_where_a_field_may_hold_one():
    """The walk tests a value for being a node only in the fields that may hold a plain one
    (``positions.SCALAR_VALUES``; Python 3.13 names each field's type): patterns with a ``**rest``,
    singletons and keyword attributes are walked as ``ast.iter_child_nodes`` walks them."""
    import sys

    from flake8_wandb.analysis.positions import SCALAR_VALUES, branch_fields
    from flake8_wandb.analysis.resolve import LEAVES

    source = (
        "import wandb\n"
        "match wandb.init():\n"
        "    case {'a': 1, **rest}: rest.log({})\n"
        "    case None | True: pass\n"
        "    case Point(x=0, y=[1, *others]) as p: p.log({})\n"
    )
    tree = ast.parse(source)
    names = Resolver(tree)
    assert [(type(n), d) for n, d in zip(names.nodes, names.depths)] == [
        (type(n), d) for n, d in _preorder(tree, LEAVES)
    ]
    assert Resolver(tree, leaves=True).nodes == [n for n, _ in _preorder(tree, frozenset())]
    if sys.version_info < (3, 13):
        return
    for kind in vars(ast).values():
        if isinstance(kind, type) and issubclass(kind, ast.AST) and hasattr(kind, "_field_types"):
            for name, mixed, _plain in branch_fields(kind):
                text = repr(kind._field_types.get(name))
                plain = any(t in text for t in ("str", "int", "object", "bool"))
                if plain and not text.startswith("list"):
                    assert (kind.__name__, name) in SCALAR_VALUES, (kind.__name__, name)
                elif plain:
                    assert mixed, (kind.__name__, name)


def test_the_walk_binds_in_the_scope_the_code_runs_in():
    tree = ast.parse(WALKED)
    names = Resolver(tree)
    train = tree.body[1]
    scope = names.scope_of[id(train)]
    # the loop's targets and the with targets are bound in the function, not indexed as calls
    assert {"a", "b", "fh", "c", "d", "n", "Inner", "err", "lr", "run"} <= set(scope.bindings)
    assert "f" not in names.calls  # a call inside a loop target binds nothing and is not asked
    # decorators and defaults run in the enclosing scope: their calls are indexed there
    assert [s for _c, s in names.calls_named("decorate")] == [names.module]
    assert [s for _c, s in names.calls_named("default_lr")] == [names.module]
    assert [s for _c, s in names.calls_named("g")] == [scope]
    inner = names.scope_of[id(train.body[1])]
    assert [s for _c, s in names.calls_named("h")] == [inner]
    assert names.qualname(ast.parse("wb.log", mode="eval").body, scope) == "wandb.log"
    # annotations are not walked (types, not code the run executes), yet a parameter's still
    # says what it holds; an annotated assignment's value is walked
    walked_ids = {id(n) for n in names.nodes}
    annotation = train.args.kwonlyargs[0].annotation
    assert not any(id(n) in walked_ids for n in ast.walk(annotation))
    assert not any(isinstance(n, ast.arg) for n in names.nodes)
    assert names.lookup("run", scope) == RUN
    assert id(train.body[1].body[0].value) in walked_ids  # ``attr: int = h()``
    # every call, whatever its callee, in the walk's order with its scope (a call inside a loop
    # target is not asked, as above)
    walked = [n for n in names.nodes if isinstance(n, ast.Call)]
    in_targets = {id(n) for n in walked if n.func.__class__ is ast.Name and n.func.id == "f"}
    assert [c for c, _ in names.all_calls] == [n for n in walked if id(n) not in in_targets]
    by_name = {id(c): s for calls in names.calls.values() for c, s in calls}
    assert all(by_name.get(id(c), s) is s for c, s in names.all_calls)


def test_the_walk_answers_parents_and_nodes_by_type():
    tree = ast.parse(WALKED)
    names = Resolver(tree)
    parents = names.parents()
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            if id(child) in parents:
                assert parents[id(child)] is node
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert {id(n) for n in names.nodes_of(ast.Call)} == {id(n) for n in calls}
    found = names.nodes_of(ast.For, ast.With, ast.ClassDef)
    assert [type(n).__name__ for n in found] == ["For", "With", "ClassDef"]


def test_print_helpers_are_the_functions_that_only_forward_to_print():
    """``Flow.print_helpers``: module-level functions whose own ``print(...)`` calls print their
    parameters and nothing else happens. Only functions holding a ``print`` call of their own
    (its nearest enclosing function) are examined: one in a nested function is the nested
    function's; one in a default is the function's own node (as a walk of its nodes sees it)."""
    from flake8_wandb.engine import Context, Settings

    source = (
        "import wandb\n"
        "def print0(*args, **kwargs):\n"
        "    if rank == 0:\n"
        "        print(*args, **kwargs)\n"
        "def outer(msg):\n"
        "    def inner():\n"
        "        print(msg)\n"
        "    inner()\n"
        "def computes(msg):\n"
        "    text = msg.upper()\n"
        "    print(text)\n"
        "def by_default(x, p=print(x)):\n"
        "    pass\n"
        "class Logger:\n"
        "    def say(self, msg):\n"
        "        print(msg)\n"
        "def quiet(msg):\n"
        "    return msg\n"
    )
    ctx = Context(ast.parse(source), source, Settings())
    assert ctx.flow.print_helpers() == frozenset({"print0", "by_default"})
    # the parser reads names in NFKC: a text without "print" may still call it
    source = "import wandb\ndef say(msg):\n    \uff50rint(msg)\n"
    assert "print" not in source
    assert Context(ast.parse(source), source, Settings()).flow.print_helpers() == {"say"}
