"""wandb-fix tells users about the rules (--list-rules, --explain, --help), and no rule class is
forgotten in ALL_RULES."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import flake8_wandb.rules as rules_pkg
from flake8_wandb.docs import render
from flake8_wandb.engine import Rule, applicability_label
from flake8_wandb.rules import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent


def wandb_fix(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flake8_wandb.fix", *args], capture_output=True, text=True
    )


def test_every_rule_class_is_registered():
    """A concrete Rule subclass (one with a code) anywhere in flake8_wandb/rules/ is in ALL_RULES."""
    found = {}
    for info in pkgutil.iter_modules(rules_pkg.__path__):
        module = importlib.import_module(f"flake8_wandb.rules.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Rule) and cls is not Rule and "code" in vars(cls):
                found[cls.__qualname__] = cls
    missing = sorted(name for name, cls in found.items() if cls not in ALL_RULES)
    assert not missing, f"rule classes not in ALL_RULES (flake8_wandb/rules/__init__.py): {missing}"
    assert len({r.code for r in ALL_RULES}) == len(ALL_RULES) and len(
        {r.name for r in ALL_RULES}
    ) == len(ALL_RULES)


def test_the_registry_check_sees_every_class_that_declares_a_code():
    """The check above reads classes through imports; the source must agree (a class defined
    under a condition or a decorator would escape it)."""
    declared = set()
    for path in (ROOT / "flake8_wandb" / "rules").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and any(
                        getattr(t, "id", "") == "code" for t in stmt.targets
                    ):
                        declared.add(node.name)
    assert declared == {r.__name__ for r in ALL_RULES}


def test_list_rules():
    proc = wandb_fix("--list-rules")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["code", "name", "default", "fix"]
    assert len(lines) == len(ALL_RULES) + 1
    for rule, line in zip(ALL_RULES, lines[1:]):
        assert line.split(None, 3) == [
            rule.code,
            rule.name,
            "on" if rule.default else "opt-in",
            applicability_label(rule.applicability),
        ]
    as_json = json.loads(wandb_fix("--list-rules", "--format=json").stdout)
    assert as_json[0] == {
        "code": "WB101",
        "name": "log-without-step",
        "default": True,
        "applicability": "unsafe",
        "fix": "unsafe",
    }


@pytest.mark.parametrize("query", ["WB307", "wb307", "invalid-console-setting"])
def test_explain_prints_the_rule_page(query):
    proc = wandb_fix("--explain", query)
    assert proc.returncode == 0, proc.stderr
    page = (ROOT / "docs" / "rules" / "WB307.md").read_text(encoding="utf-8")
    assert proc.stdout == page == render(ALL_RULES[[r.code for r in ALL_RULES].index("WB307")])


def test_explain_an_unknown_rule_is_an_error():
    proc = wandb_fix("--explain", "WB999")
    assert (
        proc.returncode == 2
        and "unknown rule 'WB999'" in proc.stderr
        and "--list-rules" in proc.stderr
    )
    assert proc.stdout == ""


def test_help_describes_every_option_and_the_formats():
    out = wandb_fix("--help").stdout
    for fmt in ("text:", "json:", "github:", "sarif:"):
        assert fmt in out
    for option in ("--list-rules", "--explain", "--wandb-target-version", "--wandb-step-names"):
        assert option in out
