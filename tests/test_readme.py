"""The README's two commands stay true: CI runs the test command verbatim, and the example
command names a folder where every default rule fires (see test_flake8)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", readme)


def test_ci_runs_the_readme_test_command():
    test_command = next(c for c in _commands() if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci


def test_readme_example_command_runs_flake8_on_examples():
    assert any("flake8" in c and "examples/" in c for c in _commands())
