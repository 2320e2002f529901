"""wandb-fix's reliability audit (issue 18, outside secrets): each test is one repro of
../shared/repros/hostile/turn3/, on real files. Neither torch nor wandb is needed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_wandb import engine, fix
from flake8_wandb.rules import ALL_RULES
from helpers import write

WANDB_FIX = str(Path(sys.executable).parent / "wandb-fix")
OFFLINE = 'import wandb\nrun = wandb.init(project="p", config={}, reinit=True)\n'
FIXED = 'reinit="finish_previous"'  # WB306's safe fix


def wandb_fix(*args, cwd=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([WANDB_FIX, *args], capture_output=True, text=True, cwd=cwd, **kw)


# -- a signal during the analysis of a file (sigterm_during_analysis_swallowed.py) ------------------


def _signal_during(monkeypatch, where: str, sig: int) -> None:
    """Send ``sig`` to this process the first time the analysis reaches ``where``: the engine
    itself (under process()'s ``except Exception``) or one rule (under the engine's)."""
    sent = []

    def kill() -> None:
        if not sent:
            sent.append(sig)
            os.kill(os.getpid(), sig)

    if where == "engine":
        check = engine.Engine.check

        def checking(self, tree, source):
            kill()
            return check(self, tree, source)

        monkeypatch.setattr(engine.Engine, "check", checking)
    else:
        rule = next(r for r in ALL_RULES if r.code == "WB306")  # the rule whose fix is written
        monkeypatch.setattr(rule, "end_module", lambda self: kill())


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("where", ["engine", "rule"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_the_analysis_of_a_file_stops_the_run(
    tmp_path, monkeypatch, capsys, where, sig
):
    for name in ("a.py", "b.py", "c.py"):
        write(tmp_path, name, OFFLINE)
    monkeypatch.chdir(tmp_path)
    _signal_during(monkeypatch, where, sig)
    rc = fix.main(["--apply", "."])
    err = capsys.readouterr().err
    assert rc == (143 if sig == signal.SIGTERM else 130), err
    assert "internal error" not in err and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "wandb-fix: interrupted; each file is either unchanged or completely fixed"
    )
    assert [p.read_text() for p in sorted(tmp_path.glob("*.py"))] == [OFFLINE] * 3
