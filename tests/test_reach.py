"""Reach of wandb resolution (docs/integrations.md), the step-counter analysis that
WB101's fix and WB106 share, and hostile shapes the resolver must survive."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from flake8_wandb.engine import Engine
from flake8_wandb.fixer import fix_source
from flake8_wandb.rules import ALL_RULES, DEFAULT_RULES
from helpers import MARK, engine_findings, parse_report, run_flake8

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases" / "reach"


def _marked(path: Path):
    rows = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        rows += [(path.name, i, code) for code in MARK.findall(line)]
    return sorted(rows)


def test_realistic_files_report_exactly_the_marked_lines():
    """Each shape of the reach, in files written the way real training code is, through the
    real flake8; the traps in the same files stay silent."""
    rc, out, err = run_flake8([str(CASES)], "--select=WB")
    assert err == ""
    got = sorted((name, line, code) for name, line, _col, code in parse_report(out))
    want = sorted(row for path in sorted(CASES.glob("*.py")) for row in _marked(path))
    assert got == want
    assert rc == 1


def _fixed(source: str) -> str:
    return fix_source(Engine(ALL_RULES), source, unsafe=True).source


def _wb101_step(source: str):
    """The step WB101's fix passes, or None when the finding has no fix."""
    findings = [f for f in engine_findings(source) if f.code == "WB101"]
    assert len(findings) == 1, findings
    fix = findings[0].fix
    if fix is None:
        return None
    change = fix.edits[0]  # the libcst transform that adds step=... to the log call
    assert change.kind == "add_keyword" and change.args[0] == "step"
    return change.args[1]


@pytest.mark.parametrize(
    "body, step",
    [
        # a counter that only grows over the whole run
        (
            "global_step = 0\nfor epoch in range(3):\n    for batch in loader:\n        global_step += 1\n"
            "        run.log({'loss': 1})\n",
            "global_step",
        ),
        # the inner loop's index restarts every epoch: the run-wide counter is chosen
        (
            "global_step = 0\nfor epoch in range(3):\n    for step, batch in enumerate(loader):\n"
            "        global_step += 1\n        run.log({'loss': 1})\n",
            "global_step",
        ),
        ("for global_step in range(100):\n    run.log({'loss': 1})\n", "global_step"),
        # never an inner loop's restarting index
        (
            "for epoch in range(3):\n    for step, batch in enumerate(loader):\n"
            "        run.log({'loss': 1})\n",
            None,
        ),
        # never a counter reset on every epoch
        (
            "for epoch in range(3):\n    step = 0\n    for batch in loader:\n        step += 1\n"
            "        run.log({'loss': 1})\n",
            None,
        ),
        # never an iterator, never a float
        ("it = iter(loader)\nbatch = next(it)\nrun.log({'loss': 1})\n", None),
        ("step = 0.5\nrun.log({'loss': 1})\n", None),
        ("step = 0\nstep += 0.5\nrun.log({'loss': 1})\n", None),
    ],
)
def test_wb101_fix_passes_only_a_run_wide_counter(body, step):
    source = "import wandb\n\nrun = wandb.init(project='p', config={})\nloader = []\n" + body
    assert _wb101_step(source) == step


def test_wb101_fix_in_a_function_named_for_one_epoch_is_withheld():
    source = (
        "import wandb\n\ndef train_one_epoch(run: wandb.Run, loader):\n"
        "    for step, batch in enumerate(loader):\n        run.log({'loss': 1})\n"
    )
    assert _wb101_step(source) is None


@pytest.mark.parametrize(
    "source, step",
    [
        # a function that may run once per epoch: its local counter restarts on each call
        (
            "def train(run: wandb.Run, loader):\n    step = 0\n    for b in loader:\n"
            "        step += 1\n        run.log({'loss': 1})\n",
            None,
        ),
        # the same function, called once in the module
        (
            "def train(run: wandb.Run, loader):\n    step = 0\n    for b in loader:\n"
            "        step += 1\n        run.log({'loss': 1})\n\nif __name__ == '__main__':\n"
            "    train(wandb.init(project='p', config={}), [])\n",
            "step",
        ),
        # called in a loop: no
        (
            "def train(run: wandb.Run, loader):\n    step = 0\n    for b in loader:\n"
            "        step += 1\n        run.log({'loss': 1})\n\nfor e in range(3):\n"
            "    train(None, [])\n",
            None,
        ),
        # the counter spans the epochs of the loop nest around the call
        (
            "def train(run: wandb.Run, loader, epochs):\n    global_step = 0\n"
            "    for epoch in range(epochs):\n        for b in loader:\n            global_step += 1\n"
            "            run.log({'loss': 1})\n",
            "global_step",
        ),
        # a parameter: what the caller passes is not in sight
        ("def log_metrics(run: wandb.Run, metrics, step):\n    run.log(metrics)\n", None),
    ],
)
def test_wb101_fix_in_functions(source, step):
    assert _wb101_step("import wandb\n\n" + source) == step


def test_wb101_star_args_and_bare_generators():
    star = "import wandb\n\ndef f(step, *args):\n    wandb.log(*args)\n"
    assert [f for f in engine_findings(star) if f.code == "WB101"] == []
    gen = "import wandb\n\ndef f(step, ys):\n    wandb.log(y for y in ys)\n"
    assert _wb101_step(gen) is None
    assert _fixed(gen) == gen


@pytest.mark.parametrize("version", ["3.9", "3.10", "3.12", "3.13"])
def test_long_expression_chain_on_older_pythons(tmp_path, version):
    """The binder used to recurse with a raised recursion limit: SIGSEGV on 3.9/3.10. Every
    supported Python walks such a file (the engine alone: flake8 where that Python has it)."""
    # FLAKE8_WANDB_PYTHON310=/path/to/venv/bin/python: an interpreter with flake8 installed
    python = os.environ.get("FLAKE8_WANDB_PYTHON" + version.replace(".", ""))
    if python is None:
        candidates = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
        python = str(candidates[-1]) if candidates else shutil.which(f"python{version}")
    if python is None or subprocess.run([python, "-c", "0"], capture_output=True).returncode:
        pytest.skip(f"python{version} not installed")
    terms = " + ".join(["a"] * 12000)
    chain = "x" + ".y" * 3000
    path = tmp_path / "chain.py"
    path.write_text(f"import wandb\nx = {terms}\nz = {chain}\nwandb.log({{'x': x}})\n")
    script = (
        "import ast, sys\n"
        "from flake8_wandb.engine import Engine\n"
        "from flake8_wandb.rules import DEFAULT_RULES\n"
        "src = open(sys.argv[1]).read()\n"
        "try:\n"
        "    tree = ast.parse(src)\n"
        "except RecursionError:\n"  # Python 3.12+ refuses such a file itself
        "    sys.exit(print('unparsable'))\n"
        "findings, errors = Engine(DEFAULT_RULES).check(tree, src)\n"
        "print(sorted(f.code for f in findings), errors)\n"
    )
    proc = subprocess.run(
        [python, "-c", script, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'runtime'}", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    expected = {"['WB101'] []"} if version in ("3.9", "3.10") else {"['WB101'] []", "unparsable"}
    assert proc.stdout.strip() in expected
    has_flake8 = (
        subprocess.run([python, "-c", "import flake8"], capture_output=True).returncode == 0
    )
    if has_flake8:  # the plugin as flake8 loads it (the egg-info of the editable install)
        proc = subprocess.run(
            [python, "-m", "flake8", "--select=WB", str(path)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={"PYTHONPATH": f"{ROOT}:{ROOT / 'runtime'}", "PATH": "/usr/bin:/bin"},
        )
        assert proc.returncode in (0, 1), proc.stderr[-2000:]  # never -11 (SIGSEGV)


def test_traps_of_the_reach_stay_silent():
    source = """\
import wandb
from accelerate import Accelerator

accelerator = Accelerator(log_with=["tensorboard"])
accelerator.log({"loss": 1})

class Timers:
    def log(self, names):
        pass

def f(flag):
    run = wandb.init(project="p", config={})
    run = Timers()
    run.log({"x": 1})

def g(run: "Experiment"):
    run.log({"x": 1})
"""
    assert [f.code for f in engine_findings(source, DEFAULT_RULES) if f.code == "WB101"] == []


def test_a_value_given_to_wandb_twice_is_reported_once():
    source = """\
import wandb
from omegaconf import OmegaConf

def main():
    cfg = OmegaConf.load("train.yaml")
    config = OmegaConf.to_container(cfg)
    wandb.init(project="a", config=config)
    wandb.init(project="b", config=config)
"""
    assert [(f.code, f.line) for f in engine_findings(source) if f.code == "WB304"] == [
        ("WB304", 6)
    ]
