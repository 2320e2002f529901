"""The project view on whole multi-module projects (tests/cases/cross_module, see its README):
the shapes of issue 16 that cross functions and modules are found, their traps stay silent,
through the real flake8 and through wandb-fix, each run as a subprocess."""

from __future__ import annotations

import json
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
    assert {"stats_logger", "custom_axis", "step_param", "unresolved", "injected_logger"} <= set(
        PROJECTS
    )


@pytest.mark.parametrize("name", PROJECTS)
def test_flake8_reports_exactly_the_marked_lines(tmp_path, name):
    root = _copy(tmp_path, name)
    rc, out, err = run_flake8(["."], "--isolated", "--select=WB", cwd=root)
    assert err == ""
    got = sorted(
        (Path(path).as_posix().removeprefix("./"), line, code)
        for path, line, _col, code in parse_report(out)
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
