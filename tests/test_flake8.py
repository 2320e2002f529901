"""The plugin as users run it: the real flake8, as a subprocess, on real files."""

from __future__ import annotations

import io
import subprocess
import sys
from contextlib import redirect_stderr
from pathlib import Path

import pytest

from helpers import Always, parse_report, run_flake8, write

ROOT = Path(__file__).resolve().parent.parent

TRAIN = """\
import wandb

run = wandb.init(project="demo", config={})
for global_step in range(10):
    run.log({"loss": 0.5})
"""


def test_plugin_is_registered():
    out = subprocess.run(
        [sys.executable, "-m", "flake8", "--version"], capture_output=True, text=True
    ).stdout
    assert "flake8-wandb" in out


def test_reports_with_one_based_columns(tmp_path):
    write(tmp_path, "train.py", TRAIN)
    rc, out, err = run_flake8(["train.py"], "--select=WB", cwd=tmp_path)
    assert (rc, err) == (1, "")
    # ``run.log`` starts at the 5th character of line 5: flake8 columns are 1-based
    assert parse_report(out) == [("train.py", 5, 5, "WB101")]
    assert "pass step=global_step" in out


def test_columns_count_characters_not_bytes(tmp_path):
    src = 'import wandb\n\nrun = wandb.init(project="démo", config={}); run.log({"é": 1})\n'
    write(tmp_path, "t.py", src)
    _, out, _ = run_flake8(["t.py"], "--select=WB", cwd=tmp_path)
    col = src.splitlines()[2].index("run.log") + 1
    assert parse_report(out) == [("t.py", 3, col, "WB101")]


@pytest.mark.parametrize(
    "comment, silenced",
    [
        ("  # noqa", True),
        ("  # noqa: WB101", True),
        ("  # NOQA:WB101,E501", True),
        ("  # noqa: WB1", True),
        ("  # noqa: E501", False),
        ("  # noqa: WB201", False),
    ],
)
def test_noqa(tmp_path, comment, silenced):
    src = TRAIN.replace('run.log({"loss": 0.5})', 'run.log({"loss": 0.5})' + comment)
    write(tmp_path, "train.py", src)
    rc, out, _ = run_flake8(["train.py"], "--select=WB", cwd=tmp_path)
    assert ("WB101" in out) is not silenced
    assert rc == (0 if silenced else 1)


@pytest.mark.parametrize(
    "args, reported",
    [
        (["--select=WB"], True),
        (["--select=WB101"], True),
        (["--select=WB2"], False),
        (["--select=E,F"], False),
        # flake8 matches prefixes: pycodestyle's "W" also selects "WB" (documented in the README)
        (["--select=E,F,W"], True),
        (["--select=E", "--extend-select=WB"], True),
        (["--ignore=WB101"], False),
        (["--extend-ignore=WB1"], False),
        (["--per-file-ignores=train.py:WB101"], False),
        (["--per-file-ignores=other.py:WB101"], True),
        ([], True),  # on by default in a plain flake8 run
    ],
)
def test_selection(tmp_path, args, reported):
    write(tmp_path, "train.py", TRAIN)
    _, out, _ = run_flake8(["train.py"], *args, cwd=tmp_path)
    assert ("WB101" in out) is reported


@pytest.mark.parametrize("config_name", ["setup.cfg", ".flake8", "tox.ini"])
def test_step_names_from_config_file(tmp_path, config_name):
    src = TRAIN.replace("global_step", "tick")
    write(tmp_path, "train.py", src)
    _, out, _ = run_flake8(["train.py"], "--select=WB", cwd=tmp_path)
    assert "step=<your step counter>" in out
    write(tmp_path, config_name, "[flake8]\nwandb-step-names = tick, global_step\n")
    _, out, _ = run_flake8(["train.py"], "--select=WB", cwd=tmp_path)
    assert "pass step=tick" in out


def test_step_names_on_command_line(tmp_path):
    write(tmp_path, "train.py", TRAIN.replace("global_step", "tick"))
    _, out, _ = run_flake8(["train.py"], "--select=WB", "--wandb-step-names=tick", cwd=tmp_path)
    assert "pass step=tick" in out


def test_syntax_error_is_flake8s_e999_without_traceback(tmp_path):
    write(tmp_path, "broken.py", "import wandb\nwandb.log({'x': 1}\n")
    write(tmp_path, "train.py", TRAIN)
    rc, out, err = run_flake8(["."], "--select=E,WB", cwd=tmp_path)
    assert "E999" in out and "Traceback" not in err + out
    assert ("train.py", 5, 5, "WB101") in parse_report(out)  # the other file is still checked


def test_crash_in_one_rule_keeps_the_others(monkeypatch):
    """A rule that raises is reported on stderr; the other rules' findings still come out."""
    import ast

    from flake8_wandb import plugin
    from flake8_wandb.engine import Engine, Rule
    from flake8_wandb.rules import DEFAULT_RULES

    class Exploding(Rule):
        code, name, messages = "WB999", "exploding", (Always,)

        def visit_Call(self, node):
            raise RuntimeError("boom")

    monkeypatch.setattr(plugin.WandbChecker, "_engine", Engine([Exploding, *DEFAULT_RULES]))
    checker = plugin.WandbChecker(ast.parse(TRAIN), "train.py", TRAIN.splitlines(True))
    stderr = io.StringIO()
    with redirect_stderr(stderr):
        results = list(checker.run())
    assert [r[2].split()[0] for r in results] == ["WB101"]
    assert "internal error in WB999" in stderr.getvalue() and "boom" in stderr.getvalue()


def test_a_rule_that_crashes_is_asked_nothing_more_and_the_next_rule_still_sees_the_node():
    import ast

    from flake8_wandb.engine import Engine, Rule

    seen: dict[str, list[int]] = {"first": [], "second": []}

    class First(Rule):
        code, name, messages = "WB998", "first", (Always,)

        def visit_Call(self, node):
            seen["first"].append(node.lineno)
            if node.lineno == 2:
                raise RuntimeError("boom")

    class Second(Rule):
        code, name, messages = "WB999", "second", (Always,)

        def visit_Call(self, node):
            seen["second"].append(node.lineno)

    source = "import wandb\nwandb.log({})\nwandb.log({})\nwandb.log({})\n"
    findings, errors = Engine([First, Second]).check(ast.parse(source), source)
    assert seen == {"first": [2], "second": [2, 3, 4]}
    assert [(e.code, e.line) for e in errors] == [("WB998", 2)]


def test_attribute_names_filter_what_the_engine_hands_to_a_handler():
    """``Rule.attribute_names``: a call of an attribute with another name, or such an attribute,
    is not handed to the handler (asked once per name); a call of a plain name always is (an
    alias only the name table knows); rules without the declaration still see every call; a
    rule that crashes is asked nothing more, its filtered lists included."""
    import ast

    from flake8_wandb.engine import Engine, Rule

    asked: list[str] = []
    seen: dict[str, list[str]] = {"logs": [], "all": [], "attrs": []}

    def only_log(name: str) -> bool:
        asked.append(name)
        return name == "log"

    class Logs(Rule):
        code, name, messages = "WB996", "logs", (Always,)
        attribute_names = {ast.Call: only_log, ast.Attribute: only_log}

        def visit_Call(self, node):
            seen["logs"].append(ast.unparse(node.func))
            if ast.unparse(node.func) == "boom.log":
                raise RuntimeError("boom")

        def visit_Attribute(self, node):
            seen["attrs"].append(ast.unparse(node))

    class Every(Rule):
        code, name, messages = "WB997", "every", (Always,)

        def visit_Call(self, node):
            seen["all"].append(ast.unparse(node.func))

    source = (
        "import wandb\n"
        "from wandb import log as wlog\n"
        "wandb.log({})\n"
        "run.save()\n"
        "wlog({})\n"
        "run.log({})\n"
        "run.save()\n"
        "boom.log({})\n"
        "wandb.log({})\n"
    )
    findings, errors = Engine([Logs, Every]).check(ast.parse(source), source)
    assert seen["logs"] == ["wandb.log", "wlog", "run.log", "boom.log"]
    # ``boom.log``'s attribute comes after its call, whose crash took the rule out
    assert seen["attrs"] == ["wandb.log", "run.log"]
    assert seen["all"] == [
        "wandb.log", "run.save", "wlog", "run.log", "run.save", "boom.log", "wandb.log"
    ]  # fmt: skip
    assert [(e.code, e.line) for e in errors] == [("WB996", 8)]
    # each name asked once per node type (after the crash, no rule left that asks)
    assert sorted(asked) == ["log", "log", "save", "save"]


def test_an_assignment_is_handed_by_its_target():
    """``Rule.attribute_names`` of ``ast.Assign``: asked about the one target's attribute name
    (``ITEM`` for an item, ``""`` for names); an assignment to several targets is always handed
    on."""
    import ast

    from flake8_wandb.engine import ITEM_ONLY, Engine, Rule, into_an_object

    seen: dict[str, list[int]] = {"items": [], "objects": [], "config": [], "all": []}

    def rule(code: str, key: str, asked):
        class Seen(Rule):
            name, messages = key, (Always,)
            attribute_names = {ast.Assign: asked} if asked is not None else {}

            def visit_Assign(self, node):
                seen[key].append(node.lineno)

        Seen.code = code
        return Seen

    rules = [
        rule("WB990", "items", ITEM_ONLY),
        rule("WB991", "objects", into_an_object),
        rule("WB992", "config", frozenset({"config"}).__contains__),
        rule("WB993", "all", None),
    ]
    source = (
        "import wandb\n"
        "x = 1\n"
        "os.environ['K'] = 'v'\n"
        "wandb.config = {}\n"
        "self.other = 2\n"
        "a, b = 1, 2\n"
        "c = d[0] = 3\n"
    )
    Engine(rules).check(ast.parse(source), source)
    assert seen == {
        "items": [3, 7],
        "objects": [3, 4, 5, 7],
        "config": [4, 7],
        "all": [2, 3, 4, 5, 6, 7],
    }


def test_the_engine_asks_each_name_what_every_rule_would():
    """The per-name handler lists (one set of names for the rules that ask by a set, each other
    question asked once) are those each rule's own question gives, in the rules' order."""
    import ast
    import re
    from pathlib import Path

    from flake8_wandb.engine import ITEM, Engine
    from flake8_wandb.rules import ALL_RULES

    tables = Engine(ALL_RULES)._tables
    text = (Path(__file__).parent.parent / "flake8_wandb" / "analysis" / "project.py").read_text()
    names = set(re.findall(r"\.(\w+)", text)) | {"log", "init", "print", "Settings", "Log", "x"}
    names |= {"", ITEM, "config"}  # an assignment's keys
    for kind in tables.by_name:
        for name in sorted(names):
            expected = tuple(
                (i, fn)
                for i, fn in tables.enter[kind]
                if kind not in tables.classes[i].attribute_names
                or tables.classes[i].attribute_names[kind](name)
            )
            assert tables.named(kind, name) == expected, (kind, name)
    assert tables.named(ast.Call, "append") == tables.named(ast.Call, "extend")


def test_leave_handlers_run_after_the_children_in_the_enclosing_scope():
    """A rule's ``leave_<Node>`` runs once the node's children are visited (the engine walks the
    name table's record, not the tree), deepest first, with the scope around the node."""
    import ast

    from flake8_wandb.engine import Engine, Rule

    events: list[tuple[str, str, str]] = []

    class Order(Rule):
        code, name, messages = "WB997", "order", (Always,)

        def _scope(self) -> str:
            return getattr(self.ctx.scope.node, "name", "<module>")

        def visit_Call(self, node):
            events.append(("call", ast.unparse(node.func), self._scope()))

        def leave_FunctionDef(self, node):
            events.append(("leave", node.name, self._scope()))

        def leave_ClassDef(self, node):
            events.append(("leave", node.name, self._scope()))

    source = (
        "import wandb\n"
        "class Trainer:\n"
        "    def fit(self):\n"
        "        def inner():\n"
        "            wandb.log({})\n"
        "        inner()\n"
        "def main():\n"
        "    wandb.init()\n"
    )
    findings, errors = Engine([Order]).check(ast.parse(source), source)
    assert errors == []
    assert events == [
        ("call", "wandb.log", "inner"),
        ("leave", "inner", "fit"),
        ("call", "inner", "fit"),
        ("leave", "fit", "Trainer"),
        ("leave", "Trainer", "<module>"),
        ("call", "wandb.init", "main"),
        ("leave", "main", "<module>"),
    ]


def test_each_visit_sees_its_ancestors_and_the_scope_it_runs_in():
    """The walk keeps the last node at each depth: a handler sees the nodes around its node
    (the module first) and the scope its code runs in, including a function's own for its
    decorators and defaults, in a lambda, in a class body; the module's own handlers see none."""
    import ast

    from flake8_wandb.engine import Engine, Rule

    events: list[tuple] = []

    class Where(Rule):
        code, name, messages = "WB995", "where", (Always,)

        def _scope(self) -> str:
            return getattr(self.ctx.scope.node, "name", type(self.ctx.scope.node).__name__)

        def visit_Module(self, node):
            events.append(("module", len(self.ctx.ancestors), self._scope()))

        def leave_Module(self, node):
            events.append(("left", len(self.ctx.ancestors), self._scope()))

        def visit_Call(self, node):
            kinds = [type(a).__name__ for a in self.ctx.ancestors]
            events.append((ast.unparse(node.func), "/".join(kinds[1:]), self._scope()))

    source = (
        "import wandb\n"
        "@deco(1)\n"
        "def f(x=default()):\n"
        "    g = lambda: inner()\n"
        "    class C:\n"
        "        attr = body()\n"
        "    return last()\n"
        "after()\n"
    )
    findings, errors = Engine([Where]).check(ast.parse(source), source)
    assert errors == []
    assert events == [
        ("module", 0, "Module"),
        ("default", "FunctionDef/arguments", "f"),
        ("inner", "FunctionDef/Assign/Lambda", "Lambda"),
        ("body", "FunctionDef/ClassDef/Assign", "C"),
        ("last", "FunctionDef/Return", "f"),
        ("deco", "FunctionDef", "f"),  # fields in their order: decorators after the body
        ("after", "Expr", "Module"),
        ("left", 0, "Module"),
    ]


SETTLE = """\
import gc, sys, weakref
from flake8_wandb.analysis import project

gc.disable()  # only settle() collects here
start = gc.get_freeze_count()  # not 0 on every Python (3.12 starts with some)

class Node:
    pass

garbage = Node()
garbage.me = garbage  # a cycle only the collector frees
gone = weakref.ref(garbage)
del garbage
kept = [Node() for _ in range(1000)]
project.settle()  # nothing parsed yet: nothing done
assert gc.get_freeze_count() == start and gone() is not None
project._UNSETTLED[0] = 1  # as after a project module's parse
project.settle()
assert gone() is None, "garbage kept with what is frozen"
frozen = gc.get_freeze_count()
assert frozen >= start + 1000
more = [Node() for _ in range(1000)]
project._UNSETTLED[0] = 1  # one more parse: the next freeze waits for two (1, 2, 4...)
project.settle()
assert gc.get_freeze_count() == frozen
project._UNSETTLED[0] = 2
project.settle()
assert gc.get_freeze_count() >= frozen + 1000
print("ok")
"""


def test_settle_keeps_what_was_read_and_frees_garbage_first():
    """The plugin's first-run cost: what the project view parsed is kept for the process, so
    settle() freezes it for the collector, after one collection (no cyclic garbage frozen),
    a logarithmic number of times in a run."""
    out = subprocess.run([sys.executable, "-c", SETTLE], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_a_run_over_a_project_freezes_only_after_it_parsed_a_project_module(tmp_path):
    """flake8 over a project whose module imports a helper module: the helper is parsed and
    frozen; a run over files that read no other module freezes nothing."""
    (tmp_path / "helpers.py").write_text(
        "import torch\n\ndef peak():\n    return torch.cuda.max_memory_allocated()\n"
    )
    (tmp_path / "train.py").write_text(
        "import wandb\nfrom helpers import peak\n\n"
        "def step(i):\n    wandb.log({'mem': peak()}, step=i)\n\n"
        "def other(i):\n    wandb.log({'x': 1}, step=i)\n"
    )
    (tmp_path / "alone.py").write_text("import wandb\nwandb.log({'x': 1}, step=0)\n")
    code = (
        "import gc, sys\n"
        "from flake8.main.cli import main\n"
        "start = gc.get_freeze_count()\n"
        "sys.argv = ['flake8', '--isolated', '-j', '1', '--select=WB', '--wandb-no-cache', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('frozen', gc.get_freeze_count() > start)\n"
    )
    both = subprocess.run(
        [sys.executable, "-c", code, "train.py", "alone.py"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "train.py:5:" in both.stdout and "WB201" in both.stdout, both.stdout + both.stderr
    assert both.stdout.strip().endswith("frozen True")
    alone = subprocess.run(
        [sys.executable, "-c", code, "alone.py"], capture_output=True, text=True, cwd=tmp_path
    )
    assert alone.stdout.strip().endswith("frozen False"), alone.stdout + alone.stderr


def test_loading_the_plugin_imports_nothing_heavy():
    code = (
        "import sys, flake8_wandb.plugin\n"
        "heavy = ('libcst', 'wandb', 'torch', 'numpy', 'flake8_wandb.engine', 'flake8_wandb.rules')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_the_engine_is_built_before_flake8_forks_its_workers_and_only_then(tmp_path):
    """With several jobs and files, flake8 forks its workers after the options are parsed: the
    engine built then is inherited by each worker (one import instead of one per worker). One
    file, as an editor passes it, stays lazy: a file without wandb never imports the rules."""
    import multiprocessing

    write(tmp_path, "a.py", "import torch\n")
    write(tmp_path, "b.py", TRAIN)
    probe = (
        "import sys\n"
        "from flake8.main.cli import main\n"
        "import flake8_wandb.plugin as p\n"
        "built = []\n"
        "orig = p._build_engine\n"
        "def spy(options):\n"
        "    import os\n"
        "    built.append(os.getpid())\n"
        "    return orig(options)\n"
        "p._build_engine = spy\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('BUILT', len(set(built)), 'engine' in ''.join(sys.modules), file=sys.stderr)\n"
    )

    def built(*args):
        proc = subprocess.run(
            [sys.executable, "-c", probe, "--select=WB", "--isolated", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        line = [x for x in proc.stderr.splitlines() if x.startswith("BUILT")][-1]
        return proc.stdout, line

    out, line = built("-j", "2", "a.py", "b.py")
    assert "WB101" in out
    if multiprocessing.get_start_method() == "fork":
        assert line == "BUILT 1 True"  # built once, in flake8's own process, before the fork
    out, line = built("-j", "2", "a.py")
    assert (out, line) == ("", "BUILT 0 False")


def test_prefilter_skips_files_without_trigger_text():
    from flake8_wandb.engine import Engine
    from flake8_wandb.rules import ALL_RULES

    engine = Engine(ALL_RULES)
    assert not engine.may_match("import torch\nprint(torch.ones(1))\n")
    assert engine.may_match("import wandb\n")
    assert engine.may_match("x = torch.cuda.memory_allocated()\n")


def test_prefilter_triggers_are_rare_words():
    """A file is skipped before parsing unless it holds one of these: each must be a word that
    only W&B code contains (``mode=`` or ``console`` would let half of torch through), and the
    plugin's own list, checked before the rules are imported, must cover every rule's."""
    from flake8_wandb.defaults import TRIGGERS
    from flake8_wandb.engine import Engine
    from flake8_wandb.rules import ALL_RULES

    for trigger in Engine(ALL_RULES).triggers:
        assert any(t in trigger for t in TRIGGERS), trigger
    # every rule's trigger holds one the engine looks for; none holds another (it would be looked
    # for in vain), and the commonest comes first
    triggers = Engine(ALL_RULES).triggers
    assert triggers[0] == "wandb"
    assert not [(a, b) for a in triggers for b in triggers if a != b and a in b]
    for rule in ALL_RULES:
        for trigger in rule.triggers:
            assert any(t in trigger for t in triggers), (rule.code, trigger)
        # the same for each rule's needed words: a file holds one of the words the engine looks
        # for exactly when it holds one of the rule's
        needs = Engine(ALL_RULES).needs[rule]
        assert set(needs) <= set(rule.needs) and bool(needs) == bool(rule.needs)
        for word in rule.needs:
            assert any(w in word for w in needs), (rule.code, word)


def test_mode_with_spaces_is_still_found(tmp_path):
    write(
        tmp_path, "t.py", 'import wandb\n\nwandb.init(project="p", config={}, mode = "offline")\n'
    )
    _, out, _ = run_flake8(["t.py"], "--select=WB", cwd=tmp_path)
    assert "WB301" in out


def test_false_positive_traps_stay_silent():
    """Code shaped like nanoGPT, Megatron, OpenRLHF, HF Trainer, Lightning and yolov5."""
    rc, out, err = run_flake8([str(ROOT / "tests" / "cases" / "silent")], "--select=WB")
    assert (rc, out, err) == (0, "", "")


def test_every_default_rule_fires_on_the_example():
    from flake8_wandb.rules import ALL_RULES

    rc, out, _ = run_flake8([str(ROOT / "examples")], "--select=WB")
    codes = {row[3] for row in parse_report(out)}
    assert codes >= {r.code for r in ALL_RULES if r.default}
    assert rc == 1


def test_every_opt_in_rule_fires_on_the_conventions_example_only_when_selected():
    from flake8_wandb.rules import ALL_RULES, opt_in_prefixes

    example = str(ROOT / "examples" / "conventions.py")
    _, out, _ = run_flake8([example], "--extend-select=" + ",".join(opt_in_prefixes()))
    assert {row[3] for row in parse_report(out)} == {r.code for r in ALL_RULES if not r.default}
    rc, out, _ = run_flake8([example])
    assert (rc, out) == (0, "")


def test_a_rule_runs_only_where_the_words_it_needs_are():
    """``needs``: words a rule's findings spell out (``reinit=``, ``console``, ``mode=``); a file
    without them skips the rule. Every reported example holds one, and a file that holds a W&B
    trigger but none of them is not analysed by that rule."""
    import ast

    from flake8_wandb.engine import Engine
    from flake8_wandb.rules import ALL_RULES

    gated = [r for r in ALL_RULES if r.needs]
    assert {r.code for r in gated} >= {"WB301", "WB304", "WB306", "WB307", "WB308", "WB502"}
    for rule in gated:
        for example in rule.invalid:
            source = getattr(example, "code", example)
            assert any(w in source for w in rule.needs), (rule.code, source)
    calls = []
    own = {rule: rule.__dict__.get("__init__") for rule in gated}  # a rule's own, if it has one
    for rule in gated:
        original = rule.__init__

        def spy(self, ctx, _original=original):
            calls.append(type(self).code)
            _original(self, ctx)

        rule.__init__ = spy
    try:
        source = 'import wandb\n\nrun = wandb.init(project="p", config={})\n'
        Engine(gated).check(ast.parse(source), source)
        assert calls == []
        source += 'wandb.init(project="p", config={}, reinit=True, mode="offline")\n'
        Engine(gated).check(ast.parse(source), source)
        assert {"WB301", "WB306"} <= set(calls)
    finally:
        for rule in gated:
            if own[rule] is not None:
                rule.__init__ = own[rule]
            else:
                del rule.__init__


def test_needed_words_and_escapes_in_odd_spellings():
    """A rule's needed words are looked for only in an ASCII text (the parser reads ``ｌｏｇ``
    and ``ｐｒｉｎｔ`` as ``log`` and ``print``); a run passed to code out of view inside a loop
    target (which binds nothing) still blocks WB101's fix."""
    from helpers import engine_findings

    fullwidth = (
        "import wandb\n"
        "run = wandb.init(project='p', config={})\n"
        "for step in range(3):\n"
        "    loss, val_loss = 0.1, 0.2\n"
        "    run.ｌｏｇ({'loss': loss})\n"
        "    ｐｒｉｎｔ(f'{val_loss}')\n"
    )
    codes = {(f.code, f.line) for f in engine_findings(fullwidth)}
    assert {("WB101", 5), ("WB501", 6)} <= codes
    quiet = (
        "import wandb\n"
        "from trainer_lib import hooks\n"
        "run = wandb.init(project='demo', config={})\n"
        "slots = {}\n"
        "for slots[hooks.attach(run)] in range(1):\n"
        "    pass\n"
        "for global_step in range(10):\n"
        "    run.log({'train/loss': 0.1})\n"
    )
    (wb101,) = [f for f in engine_findings(quiet) if f.code == "WB101"]
    assert wb101.fix is None and "out of view at line 5" in wb101.message
