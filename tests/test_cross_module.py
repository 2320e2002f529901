"""The project view on whole multi-module projects (tests/cases/cross_module, see its README):
the shapes of issue 16 that cross functions and modules are found, their traps stay silent,
through the real flake8 and through wandb-fix, each run as a subprocess."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import MARK, parse_report, run_flake8

CASES = Path(__file__).resolve().parent / "cases" / "cross_module"
PROJECTS = sorted(p.name for p in CASES.iterdir() if p.is_dir())


def _copy(tmp_path: Path, name: str) -> Path:
    """A copy of the project: a folder of its own, outside the linter's repository."""
    root = tmp_path / name
    shutil.copytree(CASES / name, root)
    return root


def _marked(root: Path) -> list[tuple[str, int, str]]:
    rows = []
    for path in sorted(root.rglob("*.py")):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            rows += [(path.relative_to(root).as_posix(), i, c) for c in MARK.findall(line)]
    return sorted(rows)


def _wandb_fix(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flake8_wandb.fix", *args],
        capture_output=True,
        text=True,
        cwd=root,
    )


def test_there_are_projects():
    assert {
        "stats_logger",
        "custom_axis",
        "step_param",
        "unresolved",
        "injected_logger",
        "handed_logger",
    } <= set(PROJECTS)


@pytest.mark.parametrize("name", PROJECTS)
def test_flake8_reports_exactly_the_marked_lines(tmp_path, name):
    root = _copy(tmp_path, name)
    rc, out, err = run_flake8(["."], "--isolated", "--select=WB", cwd=root)
    assert err == ""
    got = sorted(
        (Path(m[1]).as_posix(), int(m[2]), m[3])
        for m in re.finditer(r"^(?:\./)?(.+?):(\d+):\d+: (WB\d+) ", out, re.M)
    )
    assert got == _marked(root)


@pytest.mark.parametrize("name", PROJECTS)
def test_wandb_fix_reports_the_same_lines(tmp_path, name):
    root = _copy(tmp_path, name)
    proc = _wandb_fix(root, "--check", "--format", "json", ".")
    rows = json.loads(proc.stdout)
    got = sorted(
        (Path(r["filename"]).as_posix().removeprefix("./"), r["line"], r["code"]) for r in rows
    )
    assert got == _marked(root)


def test_a_file_alone_sees_no_project(tmp_path):
    """The training script without its project: the imports are unknown, never wandb."""
    shutil.copy(CASES / "stats_logger" / "train.py", tmp_path / "train.py")
    rc, out, err = run_flake8(["train.py"], "--isolated", "--select=WB", cwd=tmp_path)
    got = sorted((line, code) for _p, line, _c, code in parse_report(out))
    # only what the file shows by itself: the raw count in a dict it passes to an unknown call
    # is not reported, nor the helpers' logs
    assert all(code != "WB401" for _line, code in got)
    assert all(code != "WB102" for _line, code in got)


def test_wb101_fix_passes_the_step_parameter_only_when_every_caller_passes_one_counter(tmp_path):
    root = _copy(tmp_path, "step_param")
    proc = _wandb_fix(root, "--apply", "--unsafe-fixes", ".")
    assert proc.returncode in (0, 1), proc.stderr
    assert 'run.log({"plots": plots}, step=step)' in (root / "plots.py").read_text()
    for trap in ("mixed.py", "callback.py", "plots_twice.py"):
        assert (root / trap).read_text() == (CASES / "step_param" / trap).read_text()
    # the fixed file still compiles and is clean for WB101
    compile((root / "plots.py").read_text(), "plots.py", "exec")
    rc, out, _err = run_flake8(["plots.py"], "--isolated", "--select=WB101", cwd=root)
    assert parse_report(out) == []


def test_wb401_in_another_module_has_no_fix_but_the_stats_dict_does(tmp_path):
    root = _copy(tmp_path, "stats_logger")
    proc = _wandb_fix(root, "--apply", "--unsafe-fixes", "--select", "WB401", ".")
    assert proc.returncode in (0, 1), proc.stderr
    text = (root / "train.py").read_text()
    assert '"n_parameters_M": n_parameters / 1e6}  # WB401' in text
    assert "wandb.log(model_info_for_loggers(model), step=0)" in text
    assert (root / "utils" / "loggers.py").read_text() == (
        CASES / "stats_logger" / "utils" / "loggers.py"
    ).read_text()


DRIVER = """\
import argparse

import torch

import train


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(1000, 1000)  # 1,001,000 parameters

    def forward(self, batch):
        return self.layer(batch).sum()


torch.manual_seed(0)
model = Model()
args = argparse.Namespace(wandb=True, project="p", epochs=1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
batches = [torch.randn(2, 1000) for _ in range(3)]
train.main(args, model, batches, batches[:1], opt)
import wandb

wandb.finish()
"""


@pytest.mark.slow
def test_the_wb401_stats_dict_fix_runs_against_wandb(tmp_path):
    """The cross-module WB401 fix (a raw count in a stats dict that utils/loggers.py writes to the
    run's summary) executed against real wandb offline, before and after: the count arrives in
    millions under `n_parameters_M`, and nothing else of the run changes."""
    pytest.importorskip("torch")
    from wandb_file import find_run_file, read_run

    runs = {}
    for name in ("orig", "fixed"):
        root = shutil.copytree(CASES / "stats_logger", tmp_path / name)
        if name == "fixed":
            proc = _wandb_fix(root, "--apply", "--unsafe-fixes", "--select", "WB401", ".")
            assert proc.returncode in (0, 1), proc.stderr
        (root / "run.py").write_text(DRIVER)
        env = {**os.environ, "WANDB_MODE": "offline", "WANDB_DIR": str(root), "WANDB_SILENT": "1"}
        proc = subprocess.run(
            [sys.executable, "run.py"], cwd=root, env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
        runs[name] = read_run(find_run_file(root))
    orig, fixed = runs["orig"], runs["fixed"]
    assert orig.summary["n_parameters"] == 1_001_000
    assert "n_parameters" not in fixed.summary
    assert fixed.summary["n_parameters_M"] == pytest.approx(1.001)
    assert {
        k: v for k, v in orig.summary.items() if k != "n_parameters" and not k.startswith("_")
    } == {k: v for k, v in fixed.summary.items() if k != "n_parameters_M" and not k.startswith("_")}
    assert [r for r in orig.history] != [] and len(orig.history) == len(fixed.history)
