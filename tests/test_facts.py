"""Facts in one place: what the target wandb accepts is resolved once per run, an explicit target
version wins over the installed wandb, the rule pages use the pinned facts, and the pinned values
are what the installed wandb 0.31 really accepts (docs/facts.md)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import wandb_runtime
from flake8_wandb import docs, versions
from flake8_wandb.engine import Settings
from helpers import engine_findings, run_flake8, write
from wandb_runtime import facts

ROOT = Path(__file__).resolve().parent.parent
REINIT = 'import wandb\n\nrun = wandb.init(project="p", config={}, reinit=True)\n'
CONSOLE = 'import wandb\n\ns = wandb.Settings(console="wrap_pty")\n'
HAS_WANDB = importlib.util.find_spec("wandb") is not None
needs_wandb = pytest.mark.skipif(not HAS_WANDB, reason="reads the installed wandb 0.31")


def codes(source: str, facts_: versions.WandbFacts):
    return {f.code for f in engine_findings(source, settings=Settings(wandb=facts_))}


@needs_wandb
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


@needs_wandb
def test_the_pinned_values_are_what_wandb_0_31_accepts():
    """The one source (wandb_runtime/facts.py) against the real wandb.Settings."""
    import wandb
    from pydantic import ValidationError

    assert wandb.__version__ == facts.MEASURED_ON
    for value in facts.CONSOLE_VALUES:
        assert wandb.Settings(console=value).console in facts.CONSOLE_VALUES
    with pytest.raises(ValidationError):
        wandb.Settings(console="wrap_pty")  # noqa: WB307  the test checks that wandb rejects it
    for mode in facts.WANDB_MODES:
        wandb.Settings(mode=mode)
    assert versions.installed().console_values == facts.CONSOLE_VALUES
    assert versions.installed().reinit_strings == facts.REINIT_VALUES


def test_one_source_for_the_console_values():
    assert wandb_runtime.CONSOLE_VALUES is facts.CONSOLE_VALUES
    assert versions.PINNED.console_values is facts.CONSOLE_VALUES
    for path in [*(ROOT / "flake8_wandb").rglob("*.py"), *(ROOT / "runtime").rglob("*.py")]:
        if path.name != "facts.py":
            assert '"wrap_emu")' not in path.read_text(encoding="utf-8"), (
                f"{path} spells the values again"
            )


@pytest.mark.parametrize(
    "target, reported", [("0.31.0", True), ("0.19.10", True), ("0.18.7", False)]
)
def test_an_explicit_target_version_wins_over_the_installed_wandb(target, reported):
    findings = engine_findings(REINIT, settings=Settings(wandb=versions.resolve(target)))
    assert ("WB306" in {f.code for f in findings}) is reported
    if reported:
        assert f"wandb {target}" in next(f.message for f in findings if f.code == "WB306")


def test_without_a_target_the_installed_wandb_then_the_pinned_facts(monkeypatch):
    fake = versions.WandbFacts(
        (9, 0, 0), ("auto", "off", "wrap", "wrap_pty"), (), "installed wandb 9.0.0"
    )
    monkeypatch.setattr(versions, "installed", lambda: fake)
    assert versions.resolve(None) is fake
    assert "WB307" not in codes(CONSOLE, versions.resolve(None))
    monkeypatch.setattr(versions, "installed", lambda: None)
    assert versions.resolve(None) is versions.PINNED
    assert "WB307" in codes(CONSOLE, versions.resolve(None))


def test_rules_read_only_their_settings(monkeypatch):
    """No rule looks at the machine: with an installed wandb that accepts everything, the
    default settings (the pinned 0.31) still decide."""
    fake = versions.WandbFacts((9, 0, 0), ("wrap_pty",), (), "installed wandb 9.0.0")
    monkeypatch.setattr(versions, "installed", lambda: fake)
    assert {"WB306", "WB307"} <= {
        f.code for f in engine_findings(REINIT + CONSOLE.split("\n", 1)[1])
    }


@pytest.mark.parametrize(
    "installed",
    [
        None,  # no wandb at all
        versions.WandbFacts(
            (0, 18, 7),
            ("auto", "off", "wrap", "redirect", "wrap_pty"),
            (),
            "installed wandb 0.18.7",
        ),
        versions.WandbFacts(
            (0, 40, 2), ("auto", "wrap"), ("create_new",), "installed wandb 0.40.2"
        ),
    ],
    ids=["no-wandb", "wandb-0.18.7", "wandb-0.40.2"],
)
def test_rule_pages_are_the_same_whatever_wandb_is_installed(monkeypatch, installed):
    monkeypatch.setattr(versions, "installed", lambda: installed)
    for name, text in docs.pages().items():
        assert (ROOT / "docs" / "rules" / name).read_text(encoding="utf-8") == text, name


@pytest.mark.parametrize("bad", ["latest", "0.31.x", "≥0.31", "", "   ", 5, 0.31, True, ["0.31"]])
def test_a_bad_target_version_is_a_clear_error(bad):
    if isinstance(bad, str) and not bad.strip():
        assert versions.check_target_version(bad) is None  # empty means unset
        return
    with pytest.raises(versions.BadTargetVersion, match="wandb-target-version: expected a version"):
        versions.resolve(bad)


def test_wandb_fix_rejects_a_bad_target_version(tmp_path):
    write(tmp_path, "t.py", REINIT)
    fix = [sys.executable, "-m", "flake8_wandb.fix", "--check"]
    proc = subprocess.run(
        [*fix, "--wandb-target-version", "latest", "t.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "--wandb-target-version: expected a version" in proc.stderr
    assert "Traceback" not in proc.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.flake8-wandb]\nwandb-target-version = 5\n")
    proc = subprocess.run([*fix, "t.py"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert (
        "pyproject.toml: [tool.flake8-wandb] wandb-target-version: expected a version string"
        in proc.stderr
    )
    assert "got int 5" in proc.stderr


def test_flake8_rejects_a_bad_target_version(tmp_path):
    write(tmp_path, "t.py", REINIT)
    rc, out, err = run_flake8(
        ["t.py"], "--select=WB", "--wandb-target-version=latest", cwd=tmp_path
    )
    assert rc == 2 and "wandb-target-version: expected a version" in err and "Traceback" not in err


@pytest.mark.parametrize("front_end", ["flake8", "wandb-fix"])
def test_both_front_ends_take_the_same_option_names(tmp_path, front_end):
    write(tmp_path, "t.py", REINIT)
    if front_end == "flake8":
        rc, out, _ = run_flake8(
            ["t.py"], "--select=WB", "--wandb-target-version=0.18.7", cwd=tmp_path
        )
        assert rc == 0 and "WB306" not in out
        (tmp_path / "setup.cfg").write_text("[flake8]\nwandb-target-version = 0.18.7\n")
        rc, out, _ = run_flake8(["t.py"], "--select=WB", cwd=tmp_path)
    else:
        fix = [sys.executable, "-m", "flake8_wandb.fix", "--check"]
        proc = subprocess.run(
            [*fix, "--wandb-target-version=0.18.7", "t.py"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0 and "WB306" not in proc.stdout
        (tmp_path / "pyproject.toml").write_text(
            '[tool.flake8-wandb]\nwandb-target-version = "0.18.7"\n'
        )
        proc = subprocess.run([*fix, "t.py"], cwd=tmp_path, capture_output=True, text=True)
        rc, out = proc.returncode, proc.stdout
    assert rc == 0 and "WB306" not in out


def test_the_tests_docs_facts_cites_exist():
    """Each fact names the test that re-checks it: those tests must exist."""
    import re

    text = (ROOT / "docs" / "facts.md").read_text(encoding="utf-8")
    cited = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?", text)
    assert len(cited) >= 8
    for path, name in cited:
        source = (ROOT / path).read_text(encoding="utf-8")
        assert not name or f"def {name}(" in source, (
            f"docs/facts.md cites {path}::{name}, which does not exist"
        )
