"""The project view: what crosses functions and modules (docs/integrations.md), through the
real flake8 and through wandb-fix, on a small project whose modules import each other."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

from flake8_wandb.analysis import project
from helpers import parse_report, run_flake8

LIBRARY = """\
import torch
import wandb
from accelerate import Accelerator


def prepare_accelerator(args):
    log_with = args.log_with
    return Accelerator(log_with=log_with)


def peak_gpu_memory():
    if not torch.cuda.is_available():
        return None
    peak_mb = torch.cuda.max_memory_allocated() / 1e6
    return peak_mb


def benchmark_peak(fn):
    torch.cuda.reset_peak_memory_stats()
    fn()
    return torch.cuda.max_memory_allocated()


def log_metrics(metrics, step=None):
    wandb.log(metrics, step=step)


def log_every_n(metrics, step):
    if step % 100 == 0:
        wandb.log(metrics, step=step)


def tb_wandb_log(key, value, iteration, use_wandb):
    if use_wandb:
        wandb.log({key: value}, step=iteration)


class WandbLogger:
    def __init__(self, project):
        self.run = wandb.init(project=project, config={})

    def log(self, logs, step=None):
        wandb.log(logs, step=step)


class BufferingLogger:
    def __init__(self):
        self.rows = {}

    def log(self, logs, step=None):
        self.rows.update(logs)
"""

TRAIN = """\
import wandb
from library import train_util
from library.train_util import WandbLogger, BufferingLogger, log_metrics, log_every_n
from .helpers import tb_wandb_log
from not_a_project_module import make_accelerator


def train(args, model, loader, epochs, use_wandb):
    accelerator = train_util.prepare_accelerator(args)
    logger = WandbLogger("demo")
    buffer = BufferingLogger()
    other = make_accelerator()
    global_step = 0
    for epoch in range(epochs):
        for batch in loader:
            loss = model(batch)
            accelerator.log({"loss": loss}, step=global_step)  # WB102
            logger.log({"loss": loss}, step=global_step)  # WB102
            buffer.log({"loss": loss}, step=global_step)
            other.log({"loss": loss}, step=global_step)
            tb_wandb_log("loss", loss, global_step, use_wandb)  # WB102
            log_every_n({"loss": loss}, global_step)
            global_step += 1
        accelerator.log({"epoch_loss": loss}, step=epoch + 1)  # WB106
        log_metrics({"epoch_loss": loss})  # WB101
        log_metrics({"epoch_loss": loss}, step=global_step)
        logger.log({"epoch": epoch})  # WB101
        gpu = train_util.peak_gpu_memory()  # WB201
        wandb.log({"gpu_mb": gpu}, step=global_step)
        bench = train_util.benchmark_peak(model)
        wandb.log({"bench": bench}, step=global_step)
"""

HELPERS = """\
import wandb


def tb_wandb_log(key, value, iteration, use_wandb):
    if use_wandb:
        wandb.log({key: value}, step=iteration)
"""

EVALUATE = """\
import wandb


def run(model, loader, run):
    for images in loader:
        for image in images:
            run.log({"pred": model(image)})
"""


def _project(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    lib = tmp_path / "library"
    lib.mkdir()
    (lib / "__init__.py").write_text("")
    (lib / "train_util.py").write_text(LIBRARY)
    pkg = tmp_path / "scripts"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "train.py").write_text(TRAIN)
    (pkg / "helpers.py").write_text(HELPERS)
    return tmp_path


def _marked(path: Path) -> list[tuple[int, str]]:
    rows = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if "# WB" in line:
            rows.append((i, line.rsplit("# ", 1)[1].strip()))
    return rows


def test_flake8_sees_across_modules(tmp_path):
    root = _project(tmp_path)
    rc, out, err = run_flake8(["scripts/train.py"], "--isolated", "--select=WB", cwd=root)
    assert err == ""
    got = sorted((line, code) for _name, line, _col, code in parse_report(out))
    assert got == sorted(_marked(root / "scripts" / "train.py"))


def test_the_project_view_does_not_depend_on_the_working_directory(tmp_path):
    """From another folder the pyproject.toml above the file still marks the project root."""
    root = _project(tmp_path / "proj")
    rc, out, err = run_flake8(
        [str(root / "scripts" / "train.py")], "--isolated", "--select=WB", cwd=tmp_path
    )
    got = sorted((line, code) for _name, line, _col, code in parse_report(out))
    assert got == sorted(_marked(root / "scripts" / "train.py"))


def test_wandb_fix_sees_across_modules(tmp_path):
    root = _project(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "flake8_wandb.fix", "--check", "--format", "json", "."],
        capture_output=True,
        text=True,
        cwd=root,
    )
    rows = json.loads(proc.stdout)
    got = sorted((r["line"], r["code"]) for r in rows if r["filename"].endswith("train.py"))
    assert got == sorted(_marked(root / "scripts" / "train.py"))


def test_without_the_project_nothing_crosses(tmp_path):
    """The same script alone: its imports cannot be resolved, so they are unknown, never wandb."""
    (tmp_path / "train.py").write_text(TRAIN)
    rc, out, err = run_flake8(["train.py"], "--isolated", "--select=WB", cwd=tmp_path)
    assert parse_report(out) == []


def test_a_file_named_for_evaluation_logs_per_item(tmp_path):
    for name in ("evaluate_model.py", "sample.py", "train_sampler.py"):
        (tmp_path / name).write_text(EVALUATE)
    rc, out, err = run_flake8(["."], "--isolated", "--select=WB102", cwd=tmp_path)
    assert [r[0] for r in parse_report(out)] == ["train_sampler.py"]


def test_a_resume_skip_is_not_a_frequency_guard(tmp_path):
    (tmp_path / "train.py").write_text(
        "import wandb\n\n\n"
        "def train(model, loader, epochs, resume_global_step, n):\n"
        "    resume_step = resume_global_step % n\n"
        "    for epoch in range(epochs):\n"
        "        for step, batch in enumerate(loader):\n"
        "            if step < resume_step:\n"
        "                continue\n"
        "            wandb.log({'loss': model(batch)}, step=step)\n"
    )
    rc, out, err = run_flake8(["train.py"], "--isolated", "--select=WB102", cwd=tmp_path)
    assert [(r[1], r[3]) for r in parse_report(out)] == [(10, "WB102")]


def test_a_module_is_summarised_once_per_version(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def f():\n    return 1\n")
    first = project.read_module(str(path))
    assert project.read_module(str(path)) is first
    path.write_text("import torch\n\n\ndef f():\n    return torch.cuda.memory_allocated()\n")
    again = project.read_module(str(path))
    assert again is not first and again is not None
    assert again.get("f").returns == "torch.cuda.memory_allocated"


def test_installed_packages_are_never_read(tmp_path):
    site = tmp_path / "venv" / "lib" / "site-packages" / "lib1"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text(LIBRARY)
    (tmp_path / "venv" / "lib" / "site-packages" / "t.py").write_text(
        "import wandb\nfrom lib1 import log_metrics\n\n\ndef f(m):\n    log_metrics(m)\n"
    )
    rc, out, err = run_flake8(
        ["venv/lib/site-packages/t.py"], "--isolated", "--select=WB", cwd=tmp_path
    )
    assert parse_report(out) == []


def test_a_notebook_imports_project_modules(tmp_path):
    root = _project(tmp_path)
    cell = (
        "import wandb\n"
        "from library import train_util\n"
        "run = wandb.init(project='demo', config={})\n"
        "run.log({'gpu': train_util.peak_gpu_memory()}, step=0)\n"
    )
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": cell.splitlines(keepends=True),
            }
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / "explore.ipynb").write_text(json.dumps(nb))
    proc = subprocess.run(
        [sys.executable, "-m", "flake8_wandb.fix", "--check", "--format", "json", "explore.ipynb"],
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert [r["code"] for r in json.loads(proc.stdout)] == ["WB201"]


LOGGED_VALUES = """\
import wandb


def evaluate(run: wandb.Run, model, data, step):
    metrics = {"val_loss": model(data), "val_acc": 0.9}
    run.log(metrics, step=step)
    val_loss = metrics["val_loss"]
    val_acc = metrics.get("val_acc")
    print(f"val {val_loss:.3f} acc {val_acc}")
    losses = []
    for x in data:
        loss = model(x)
        run.log({"loss": loss}, step=step)
        losses.append(loss)
    print(losses)
    grad_norm = 1.0
    print(f"grad_norm {grad_norm}")
"""


def test_a_value_read_out_of_a_logged_dict_is_logged(tmp_path):
    """WB501: ``val_loss = metrics["val_loss"]`` after ``run.log(metrics)``, and a list whose every
    appended element is logged, are logged; ``grad_norm`` is not."""
    (tmp_path / "evaluate.py").write_text(LOGGED_VALUES)
    rc, out, err = run_flake8(["evaluate.py"], "--isolated", "--select=WB501", cwd=tmp_path)
    assert [(r[1], r[3]) for r in parse_report(out)] == [(17, "WB501")]


INJECTED = '''\
import torch


class Trainer:
    """Logs to wandb through the accelerator it is given."""

    def __init__(self, accelerator, model):
        self.accelerator = accelerator
        self.model = model

    def epoch_end(self, loss, val_loss):
        self.accelerator.log({"loss": loss})
        self.accelerator.print(f"val_loss {val_loss:.3f}")
        get_max_memory = torch.cuda.max_memory_allocated
        self.accelerator.log({"gpu_mem": get_max_memory()}, step=1)
'''


def test_an_injected_accelerator(tmp_path):
    """``self.accelerator`` assigned from a parameter named ``accelerator`` in a module that
    mentions wandb: its ``.log`` (WB101), its ``.print`` (WB501), and a function reference to
    ``max_memory_allocated`` logged through it (WB201, the module uses wandb through it)."""
    (tmp_path / "trainer.py").write_text(INJECTED)
    rc, out, err = run_flake8(["trainer.py"], "--isolated", "--select=WB", cwd=tmp_path)
    got = [(r[1], r[3]) for r in parse_report(out)]
    assert got == [(12, "WB101"), (13, "WB501"), (15, "WB201")]


# -- the cheap questions asked of a project module's text before it is parsed --------------------


def _module(text: str, tmp_path: Path) -> project.ModuleSummary:
    path = tmp_path / "mod.py"
    path.write_text(text, encoding="utf-8")
    summary = project.read_module(str(path))
    assert summary is not None
    return summary


def test_a_class_called_returns_no_run_and_its_module_is_not_parsed(tmp_path):
    module = _module(
        "import wandb\n\nclass Run:\n    def __init__(self):\n        self.run = wandb.run\n",
        tmp_path,
    )
    assert module.get("Run", "returns") is None
    assert module._tree is None  # answered from the text
    # a function of that name, or a rebinding, is asked of the parse
    for text in (
        "import wandb\n\nclass Run:\n    pass\n\ndef Run():\n    return wandb.init()\n",
        "import wandb\n\nclass Run:\n    pass\n\nRun = wandb.init\n",
        "import wandb\n\nclass Ｒun:\n    pass\n\ndef Ｒun():\n    return wandb.run\n",
    ):
        assert not _module(text, tmp_path)._only_a_class("Run"), text
    made = _module("import wandb\n\ndef make():\n    return wandb.init()\n", tmp_path)
    assert made.get("make", "returns").returns == project.RETURNS_RUN  # type: ignore[union-attr]


def test_a_helper_without_a_none_default_forwards_no_optional_step(tmp_path):
    text = (
        "import wandb\n\n"
        "def log_metrics(metrics, step):\n    wandb.log(metrics, step=step)\n\n"
        "def log_maybe(metrics, step=None):\n    wandb.log(metrics, step=step)\n"
    )
    module = _module(text, tmp_path)
    assert module.get("log_metrics", "logstep") is None and module._tree is None
    found = module.get("log_maybe", "logstep")
    assert found is not None and found.log_step == "step" and found.step_default_none
    # the same helper asked for as any log helper is summarised
    assert module.get("log_metrics", "log").log_step == "step"  # type: ignore[union-attr]


def test_only_a_default_of_none_makes_a_helper_worth_a_parse(tmp_path):
    """WB101's helper question parses a module only for a function with a parameter that
    defaults to None (``= None``), not for ``| None`` in an annotation; and never for a class
    (its call makes an instance, no log helper)."""
    text = (
        "import wandb\n\n"
        "def log_typed(metrics, step: int | None):\n    wandb.log(metrics, step=step)\n\n"
        "class LogBuffer:\n    def __init__(self, step=None):\n        self.step = step\n"
    )
    module = _module(text, tmp_path)
    assert module.get("log_typed", "logstep") is None and module._tree is None
    assert module.get("LogBuffer", "logstep") is None and module._tree is None
    assert module.get("LogBuffer", "log") is None and module._tree is None
    # what a parse says of them agrees: no helper with a step that defaults to None
    assert module.get("log_typed", "log").step_default_none is False  # type: ignore[union-attr]
    assert module.get("LogBuffer").log_step is None  # type: ignore[union-attr]
    for signature, defaults in [
        ("(metrics, step=None)", True),
        ("(metrics, step: Optional[int] = None)", True),
        ("(metrics,\n step=\\\n (None))", True),
        ("(metrics, step=0,  # None of these\n)", True),  # a comment: asked of the parse
        ("(metrics, step: int | None)", False),
        ("(metrics, step=NoneType)", False),
    ]:
        assert project._defaults_to_none(signature) is defaults, signature


def test_a_none_default_worth_a_parse_is_passed_on_to_a_log_call(tmp_path):
    """WB101's helper question parses a module only for a ``def`` that passes a parameter
    defaulting to None, as it is, to a call named for logging: each such ``def`` is parsed
    alone first (wandb's ``Run.log_code(name=None)`` passes ``name`` to ``Artifact``)."""
    text = (
        "import wandb\n\n"
        "class Run:\n"
        "    def log_code(\n        self,\n        name: str | None = None,\n    ) -> None:\n"
        '        """Docs.\n\nExamples at column 0.\n"""\n'
        "        art = Artifact(name)\n"
        "# a comment at column 0\n"
        "        self._log_artifact(art)\n\n"
        "    def log_image(self, image, step=None):\n"
        "        self._log_impl({'image': image}, step)\n\n"
        "    def _log_impl(self, data, step):\n"
        "        wandb.log(data, step=step)\n"
    )
    module = _module(text, tmp_path)
    # the docstring's column-0 line cuts the first block short: it does not parse alone
    assert module._may_forward_none("Run.log_code") is True
    plain = text.replace('"""Docs.\n\nExamples at column 0.\n"""', '"""Docs."""')
    module = _module(plain, tmp_path)
    assert module.get("Run.log_code", "logstep") is None and module._tree is None
    found = module.get("Run.log_image", "logstep")
    assert found is not None and found.log_step == "step" and found.step_default_none
    # what the parse says of log_code agrees: no step that defaults to None
    assert (
        module.get("Run.log_code", "log") is None
        or not module.get("Run.log_code", "log").step_default_none
    )  # type: ignore[union-attr]


def _shape(node: ast.AST) -> str:
    """The tree without its strings' text (a block is dedented: so are its multi-line
    strings)."""
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            n.value = ""
    return ast.dump(node)


def test_def_blocks_are_the_whole_def_or_do_not_parse():
    """``text.def_blocks`` on every ``def`` of this repository's Python files: a block that
    parses alone begins with the very function the module's parse holds (same tree), whatever
    the layout (black's signatures, comments at column 0, docstrings, nested defs)."""
    import textwrap
    from pathlib import Path

    from flake8_wandb.analysis.text import def_blocks, word_matches

    root = Path(__file__).resolve().parent.parent
    files = [
        p
        for d in ("flake8_wandb", "runtime", "tests", "examples", "bench")
        for p in (root / d).rglob("*.py")
    ]
    checked = 0
    warnings.simplefilter("ignore", DeprecationWarning)  # the escapes of some test sources
    for path in files:
        text = path.read_text("utf-8", "replace")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        defs: dict[tuple[str, int], str] = {}  # by name and the line of its ``def``
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                node.decorator_list = []  # a block begins at its ``def``
                defs[node.name, node.lineno] = _shape(node)
        for name in {n for n, _ in defs}:
            pattern = r"def[\s\\]+" + re.escape(name) + r"\s*\("
            starts = [m.start() for m in word_matches(text, pattern)]
            for start, block in zip(starts, def_blocks(text, name), strict=True):
                line = text.count("\n", 0, start) + 1
                try:
                    alone = ast.parse(block).body[0] if block is not None else None
                except (SyntaxError, IndexError):
                    alone = None
                if alone is None or (name, line) not in defs:
                    continue  # no block, or a ``def`` in a string
                assert _shape(alone) == defs[name, line], (path, name, line)
                checked += 1
    assert checked > 1000
    cases = {
        "def f(a=None): return g(a)\n": True,
        "async def f(\n    a=None,\n):\n    await g(a)\nx = 1\n": True,
        "class A:\n\tdef f(self):\n\t\tpass\n": None,  # tabs: not taken out
        'x = "def f(a=None):"\n': None,  # not at the start of its line
        "class A:\n    def f(self,\na=None):\n        pass\n": None,  # left of the def
        "def f():\n    s = (1,\n2)\n    g()\n": False,  # cut inside brackets: no parse
        # a comment at column 0 (or at the def's own indent) does not end the block
        "def f(a=None):\n    x = 1\n# old code\n    g(a)\ny = 2\n": "def f(a=None):\n    x = 1\n\n    g(a)\n",
    }
    for text, parses in cases.items():
        (block,) = def_blocks(textwrap.dedent(text), "f")
        if parses is None:
            assert block is None, text
            continue
        if isinstance(parses, str):
            assert block == parses, text
            continue
        assert block is not None, text
        try:
            ast.parse(block)
            ok = True
        except SyntaxError:
            ok = False
        assert ok is parses, text


def test_helpers_read_alone_or_not_still_forward_their_step():
    """The shapes that a ``def`` read alone could misjudge: a comment at column 0 or at the
    class's indent inside the body, a fullwidth quote in a string of a non-ASCII module (NFKC
    would make it a real one), a generic ``def f[T](...)`` beside a plain one. Each helper's
    call without a step is reported (WB101), as when the whole module is parsed."""
    from helpers import engine_findings

    sources = [
        "import wandb\n\ndef log_metrics(d, step=None):\n    x = 1\n"
        "# commented out at column 0\n    wandb.log(d, step=step)\n\n"
        "for i in range(10):\n    log_metrics({'a': i})\n",
        "import wandb\n\nclass Tracker:\n    def log_metrics(self, d, step=None):\n"
        "        x = 1\n    # at the class's indent\n        wandb.log(d, step=step)\n\n"
        "t = Tracker()\nfor i in range(10):\n    t.log_metrics({'a': i})\n",
        "import wandb\n\n# 日本語\n\ndef log_metrics(d, step=None):\n    s = '＂＂'\n"
        "    wandb.log(d, step=step)\n    u = 1  # ＂＂＂\n\n"
        "for i in range(10):\n    log_metrics({'a': i})\n",
    ]
    for source in sources:
        lines = source.splitlines()
        call = next(i for i, line in enumerate(lines, 1) if "log_metrics({" in line)
        found = [f.line for f in engine_findings(source) if f.code == "WB101"]
        assert found == [call], source
    generic = (
        "import wandb\n\ndef log_metrics[T](d: T, step=None):\n    wandb.log(d, step=step)\n\n"
        "def log_metrics(d, step=None):\n    print(d)\n"
    )
    module = project.ModuleSummary(None, None, None, generic)
    assert module._may_forward_none("log_metrics") is True  # unknown: asked of the parse


def test_the_walk_asks_a_node_type_which_fields_may_hold_plain_values():
    """From Python 3.13 a node type names its fields' types: a field that may hold a string
    (3.14's ``Interpolation.str``) is tested before it is walked, even if no list names it."""
    from flake8_wandb.analysis import positions

    class Interpolation(ast.expr):  # as Python 3.14 declares it
        _fields = ("value", "str", "format_spec")
        _field_types = {"value": ast.expr, "str": str, "format_spec": ast.expr | None}

    assert positions.may_hold_a_value(Interpolation, "str")
    assert not positions.may_hold_a_value(Interpolation, "value")
    assert not positions.may_hold_a_value(Interpolation, "format_spec")
    assert positions.may_hold_a_value(ast.Constant, "value")


def test_text_searches_find_what_the_anchored_patterns_find():
    """The cheap questions search for a literal beginning and check the word or line start
    themselves (fast): the same matches as ``\\b``/``^`` before the pattern."""
    import re

    from flake8_wandb.analysis.text import word_matches

    texts = [
        "def log(a, step=None):\n    pass\nundef log(\nxdef log(\n  def  log (b)\n",
        "é def log(\nädef log(\na\\\ndef log(\nclass A:\n  class B:\nA = 1\n A = 2\nAB = 3\n",
        "undef xdef(def xdef(\nlog(1)\nx.log (2)\nblog(3)\n_log(4)\n" + "pad " * 50,
    ]
    for text in texts:
        for name in ("log", "A", "B", "xdef", "AB"):
            word = re.escape(name)
            for pattern in (r"def[\s\\]+" + word + r"\s*\(", word + r"\s*\(", word + r"\b"):
                want = [m.span() for m in re.finditer(r"\b" + pattern, text)]
                assert [m.span() for m in word_matches(text, pattern)] == want, (text, pattern)
            for pattern in (r"class[\s\\]+" + word + r"\b", word + r"\s*="):
                want = [m.span() for m in re.finditer("^" + pattern, text, re.M)]
                got = [m.span() for m in word_matches(text, pattern, line_start=True)]
                assert got == want, (text, pattern)


def test_definitions_are_what_the_patterns_find():
    """``text.Definitions`` (one pass per text) gives the places ``word_matches`` gives for
    ``KIND[\\s\\\\]+NAME\\b`` and a tail, for every name of this repository's files and odd texts:
    ``def def f``, ``undef f``, a continuation, type parameters, a combining mark in a name."""
    from pathlib import Path

    from flake8_wandb.analysis.text import (
        PARAMETERS,
        TYPE_PARAMETERS,
        Definitions,
        word_matches,
    )

    root = Path(__file__).resolve().parent.parent
    texts = [
        p.read_text("utf-8", "replace")
        for d in ("flake8_wandb", "bench")
        for p in sorted((root / d).rglob("*.py"))
    ]
    texts += [
        "def def f(a): pass\nundef g(b)\nclass  C [T]: pass\n x = 1; class D(object): pass\n",
        "def \\\n  h(x):\n    pass\nasync def k [T](x): ...\ndef kk(): ...\ndef k_(): ...\n",
        "def e\u0301t\u0301(a): pass\nclass \u0915\u093f(x): pass\ndef fo\u0301o(): pass\n",
        "class\tC\ndef\n",
    ]
    checked = 0
    for text in texts:
        defs = Definitions(text)
        names = set(re.findall(r"(?:def|class)[\s\\]+(\w+)", text))
        names |= {"f", "g", "h", "k", "C", "D", "e\u0301t\u0301", "\u0915\u093f", "fo\u0301o", "x"}
        for name in names:
            for kind in ("def", "class"):
                for tail, written in (
                    (None, r"\b"),
                    (PARAMETERS, r"\s*\("),
                    (TYPE_PARAMETERS, r"\s*\["),
                ):
                    for line_start in (False, True):
                        pattern = kind + r"[\s\\]+" + re.escape(name) + written
                        expected = [
                            (m.start(), m.end()) for m in word_matches(text, pattern, line_start)
                        ]
                        assert defs.places(kind, name, tail, line_start) == expected, (
                            name,
                            kind,
                            written,
                        )
                        checked += 1
            for kinds in (("def",), ("class",), ("def", "class")):
                pattern = r"(?:" + "|".join(kinds) + r")[\s\\]+" + re.escape(name) + r"\b"
                expected = next(word_matches(text, pattern), None) is not None
                assert defs.defines(name, kinds) is expected, (name, kinds)
    assert checked > 10_000


def test_a_name_named_for_logging_holds_one_of_the_log_spellings():
    """WB101 and WB102 need one of ``LOG_SPELLINGS`` in a module's text: every name
    ``named_for_logging`` accepts holds one, and every spelling is accepted."""
    import itertools

    from flake8_wandb.analysis.project import LOG_SPELLINGS, named_for_logging

    assert len(set(LOG_SPELLINGS)) == 8 and all(named_for_logging(w) for w in LOG_SPELLINGS)
    for letters in itertools.product("lLoOgGx_", repeat=4):
        name = "".join(letters)
        assert named_for_logging(name) == any(w in name for w in LOG_SPELLINGS), name


def test_an_own_call_that_makes_a_parameter_unknown_spares_the_modules_beside_it(tmp_path):
    """What every in-project caller passes for a parameter (``param_value_name``): the module's
    own calls are looked at first, so one that leaves ``logger`` to a default other than None
    settles "unknown" before the modules beside it are listed, read and parsed (in torch's
    ``_dynamo/utils.py``, ``same(a, b)`` leaves ``log_error=log.error``: that question cost
    a parse of ``output_graph.py``). Where the own calls pass a portable value, the callers
    beside it still count."""
    from flake8_wandb.engine import Engine
    from flake8_wandb.rules import DEFAULT_RULES

    (tmp_path / "train.py").write_text(
        "import wandb\nfrom utils import report\n\nreport({'b': 2}, logger=wandb)\n",
        encoding="utf-8",
    )
    utils = tmp_path / "utils.py"
    for own_call, value, beside_read in [
        ("report({'a': 1})", None, False),  # left to ``print``: unknown, whatever train passes
        ("report({'a': 1}, logger=wandb)", "wandb", True),  # and train.py passes wandb too
    ]:
        source = (
            "import wandb\n\n"
            "def report(metrics, logger=print):\n    logger.log(metrics)\n\n"
            f"def run_all():\n    {own_call}\n"
        )
        utils.write_text(source, encoding="utf-8")
        tree = ast.parse(source)
        _, errors, ctx = Engine(DEFAULT_RULES).check_with_context(tree, source, str(utils))
        assert not errors and ctx is not None
        func = tree.body[1]
        assert isinstance(func, ast.FunctionDef) and func.name == "report"
        assert ctx.project.param_value_name(func, "logger") == value, own_call
        read = any(path.endswith("train.py") for _kind, path in ctx.project.observations())
        assert read is beside_read, own_call


def test_the_parameter_question_judges_no_value_before_the_callers_are_known(tmp_path):
    """Judging what a call passes (``r``, a helper's result) builds that helper's summary,
    and a summary built while another is being built sees it unfinished: the own calls are
    only looked at ahead for what settles "unknown" without judging a value, so the question
    asks in the order it always did. Here ``log_metrics`` is also used as a value (``hooks``):
    its parameter is unknown at once, nothing is judged, and ``wandb_logger``'s summary, built
    later, forwards ``step`` (found by a review: judging ``r`` first lost both findings)."""
    train = tmp_path / "train.py"
    train.write_text(
        "import wandb\n\n\n"
        "def main():\n    for i in range(3):\n"
        "        log_stats({'a': i}, step=i)\n        wandb_logger({'a': i})\n\n\n"
        "def log_direct(d, step=None):\n    wandb.log(d, step=step)\n\n\n"
        "def log_stats(d, step=None):\n    r = wandb_logger(d)\n"
        "    log_direct(d, step=step)\n    log_metrics(d, logger=r)\n\n\n"
        "def log_metrics(metrics, logger=None):\n    logger.log(metrics, step=0)\n\n\n"
        "def wandb_logger(d, step=None):\n    log_stats(d, step=step)\n"
        "    return wandb.init(config={})\n\n\n"
        "hooks = [log_metrics]\n",
        encoding="utf-8",
    )
    _rc, out, err = run_flake8(["train.py"], "--select=WB101", "--wandb-no-cache", cwd=tmp_path)
    found = [(line, code) for _name, line, _col, code in parse_report(out)]
    assert found == [(7, "WB101"), (15, "WB101")], (out, err)
