"""Fixes whose target depends on the wandb version: read from the installed wandb without
importing it, else from target-wandb-version, else wandb 0.31."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flake8_wandb import versions
from flake8_wandb.engine import Settings
from helpers import engine_findings

REINIT = 'import wandb\n\nrun = wandb.init(project="p", config={}, reinit=True)\n'
CONSOLE = 'import wandb\n\ns = wandb.Settings(console="wrap_pty")\n'


def test_reads_the_installed_wandb_without_importing_it():
    code = (
        "import sys\nfrom flake8_wandb import versions\nf = versions.installed()\n"
        "print(f.version, f.console_values, f.reinit_strings, 'wandb' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == (
        "(0, 31, 0) ('auto', 'off', 'wrap', 'redirect', 'wrap_raw', 'wrap_emu') "
        "('default', 'return_previous', 'finish_previous', 'create_new') False"
    )


@pytest.fixture
def no_installed_wandb(monkeypatch):
    monkeypatch.setattr(versions, "installed", lambda: None)


@pytest.mark.parametrize("target, reported", [(None, True), ("0.31.0", True), ("0.19.10", True), ("0.18.7", False)])
def test_reinit_follows_the_target_version_when_wandb_is_not_installed(no_installed_wandb, target, reported):
    findings = engine_findings(REINIT, settings=Settings(target_wandb_version=target))
    assert ("WB306" in {f.code for f in findings}) is reported


def test_the_installed_wandb_wins_over_the_setting():
    findings = engine_findings(REINIT, settings=Settings(target_wandb_version="0.18.7"))
    assert "WB306" in {f.code for f in findings}
    assert "wandb 0.31.0" in next(f.message for f in findings if f.code == "WB306")


def test_console_values_come_from_the_installed_settings(monkeypatch):
    fake = versions.WandbFacts((9, 0, 0), ("auto", "off", "wrap", "wrap_pty"), (), "installed wandb 9.0.0")
    monkeypatch.setattr(versions, "installed", lambda: fake)
    assert "WB307" not in {f.code for f in engine_findings(CONSOLE)}
    monkeypatch.setattr(versions, "installed", lambda: None)
    assert "WB307" in {f.code for f in engine_findings(CONSOLE)}
