"""Every fix is also a libcst codemod (``flake8_wandb/codemods.py``), run by libcst's own tool."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("libcst")

from flake8_wandb.rules import ALL_RULES  # noqa: E402

SOURCE = (
    "import wandb\r\n"
    "\r\n"
    'run = wandb.init(project="p")\r\n'
    "for global_step in range(10):\r\n"
    '    wandb.log({"loss": 1.0})  # keep me\r\n'
)


def _codemod(path, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "-x", command, "--no-format", "-j", "1"]
        + [*args, str(path)],
        capture_output=True,
        text=True,
        cwd=path.parent,
    )


def test_a_fix_runs_through_libcsts_codemod_tool(tmp_path):
    path = tmp_path / "train.py"
    path.write_bytes(SOURCE.encode())
    proc = _codemod(path, "flake8_wandb.codemods.WB101", "--unsafe-fixes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Transformed 1 files" in proc.stderr
    assert (
        path.read_bytes()
        == SOURCE.replace('{"loss": 1.0})', '{"loss": 1.0}, step=global_step)').encode()
    )


def test_an_unsafe_fix_waits_for_unsafe_fixes(tmp_path):
    path = tmp_path / "train.py"
    path.write_bytes(SOURCE.encode())
    proc = _codemod(path, "flake8_wandb.codemods.LogWithoutStep")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert path.read_bytes() == SOURCE.encode()


def test_every_rule_with_a_fix_has_a_codemod_under_its_name_and_code():
    from libcst.codemod import CodemodCommand

    from flake8_wandb import codemods

    for rule in ALL_RULES:
        if rule.applicability:
            for name in (rule.__name__, rule.code):
                command = getattr(codemods, name)
                assert issubclass(command, CodemodCommand)
                assert command.rules == (rule,)
    assert issubclass(codemods.AllFixes, CodemodCommand)
