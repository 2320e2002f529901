"""The engine and the fixer on real code they were not written for: every file of installed
packages, huge files and pathological nesting. Nothing crashes; every fix compiles and is stable."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_wandb.engine import Engine
from flake8_wandb.fixer import fix_source
from flake8_wandb.rules import ALL_RULES
from helpers import run_flake8, write

WANDB_FIX = str(Path(sys.executable).parent / "wandb-fix")


def _package_files(name: str):
    spec = importlib.util.find_spec(name)
    root = Path(list(spec.submodule_search_locations)[0])
    return sorted(root.rglob("*.py"))


@pytest.mark.slow
def test_engine_never_fails_on_installed_packages():
    engine = Engine(ALL_RULES)
    checked = 0
    for path in (
        _package_files("wandb") + _package_files("omegaconf") + _package_files("torch")[:600]
    ):
        source = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        _, errors = engine.check(tree, source)
        assert errors == [], (path, errors)
        checked += 1
    assert checked > 1000


@pytest.mark.slow
def test_every_fix_on_the_wandb_package_compiles_and_is_stable():
    """wandb's own integrations log step-less and set modes: hundreds of real fix sites."""
    engine = Engine(ALL_RULES)
    fixed_files = 0
    for path in _package_files("wandb"):
        source = path.read_text(encoding="utf-8")
        if "wandb" not in source:
            continue
        result = fix_source(engine, source, unsafe=True)
        if result.changed:
            fixed_files += 1
            compile(result.source, str(path), "exec")
            assert fix_source(engine, result.source, unsafe=True).source == result.source, path
        assert result.reverted == [], (path, result.reverted)
    assert fixed_files >= 2


@pytest.mark.slow
def test_huge_file(tmp_path):
    body = "".join(f"    run.log({{'loss': {i}}}, step={i})\n" for i in range(50_000))
    src = "import wandb\n\nrun = wandb.init(project='p', config={})\nif True:\n" + body
    src += "    run.log({'loss': 0})\n"
    write(tmp_path, "huge.py", src)
    # the timeouts only turn a hang into a failure: speed is measured in bench/, not asserted here
    rc, out, err = run_flake8(["huge.py"], "--select=WB", cwd=tmp_path, timeout=600)
    assert (rc, err) == (1, "") and out.count("WB101") == 1
    proc = subprocess.run(
        [WANDB_FIX, "--check", "huge.py"], capture_output=True, text=True, cwd=tmp_path, timeout=600
    )
    assert proc.returncode == 1 and proc.stdout.count("WB101") == 1


@pytest.mark.parametrize("terms", [900, 2500])
def test_long_expression_chains(tmp_path, terms):
    """Deeper than the default recursion limit. (pyflakes itself fails on these under flake8,
    so the plugin is run through its checker class here.)"""
    from flake8_wandb.plugin import WandbChecker

    src = "import wandb\nx = " + " + ".join(["1"] * terms) + "\nwandb.log({'x': x})\n"
    results = list(WandbChecker(ast.parse(src), "deep.py", src.splitlines(True)).run())
    assert [r[2].split()[0] for r in results] == ["WB101"]
    write(tmp_path, "deep.py", src)
    proc = subprocess.run(
        [WANDB_FIX, "--check", "deep.py"], capture_output=True, text=True, cwd=tmp_path
    )
    assert "Traceback" not in proc.stderr and "WB101" in proc.stdout


def test_nesting_python_cannot_parse_is_a_clean_error(tmp_path):
    write(tmp_path, "deep.py", "import wandb\nx = " + "(" * 300 + "1" + ")" * 300 + "\n")
    write(tmp_path, "ok.py", "import wandb\nwandb.log({'x': 1})\n")
    proc = subprocess.run([WANDB_FIX, "--check", "."], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2 and "deep.py: error: cannot parse" in proc.stderr
    assert "Traceback" not in proc.stderr and "ok.py" in proc.stdout


# -- fuzzing: fix sites combined in random ways ------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SNIPPETS = [e.code for rule in ALL_RULES for e in rule.invalid_examples()]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=5),
    crlf=st.booleans(),
    indent_in_function=st.booleans(),
)
def test_fixes_on_combined_snippets_compile_and_are_stable(parts, crlf, indent_in_function):
    source = "\n".join(parts)
    if indent_in_function:
        source = "def wrapper():\n" + "".join(
            "    " + ln if ln.strip() else ln for ln in source.splitlines(True)
        )
    if crlf:
        source = source.replace("\n", "\r\n")
    ast.parse(source)
    engine = Engine(ALL_RULES)
    result = fix_source(engine, source, unsafe=True)
    compile(result.source, "fuzz", "exec")
    assert result.reverted == []
    assert fix_source(engine, result.source, unsafe=True).source == result.source
    if crlf:
        assert "\n" not in result.source.replace("\r\n", "")
