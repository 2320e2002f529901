"""wandb-fix tells users about the rules (--list-rules, --explain, --help), and no rule class is
forgotten in ALL_RULES."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest

import flake8_wandb.rules as rules_pkg
from flake8_wandb.docs import render
from flake8_wandb.engine import Message, Rule, applicability_label, template_fields
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


# -- the typed message contract (issue 19) ---------------------------------------------------------


def _message_classes():
    return [(rule, m) for rule in ALL_RULES for m in rule.messages]


def test_every_rule_declares_typed_messages():
    """Each kind of finding has its own message type: a frozen value class whose fields are the
    template's arguments (checked when the class is made), and whose template is a sentence of
    its own, not bare slots filled by the rule (``"{problem}; {advice}"``)."""
    for rule, message in _message_classes():
        assert issubclass(message, Message), (rule.code, message)
        assert set(message._fields) == template_fields(message.template), (rule.code, message)
        made = message(**{f: f"<{f}>" for f in message._fields})
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.x = 1  # type: ignore[attr-defined]
        assert made == message(**{f: f"<{f}>" for f in message._fields}), (rule.code, message)
        assert all(f"<{f}>" in repr(made) for f in message._fields), (rule.code, message)
        words = re.sub(r"\{[^}]*\}", " ", message.template).split()
        # WB308's sentence is data: each entry of the API table (wandb_runtime/api_changes.py)
        # gives its shape, effect and replacement, checked against real wandb (test_api_changes)
        if rule.code != "WB308":
            assert len(words) >= 6, (rule.code, message.template)
        assert "`" not in message.template, (rule.code, message.template)


def test_a_template_and_its_fields_must_agree():
    with pytest.raises(TypeError, match="template fields"):

        class Misnamed(Message):
            template: ClassVar[str] = "step={step} is wrong"
            stepp: str

    with pytest.raises(TypeError, match="template fields"):

        class Unused(Message):
            template: ClassVar[str] = "always wrong"
            step: str


def test_a_message_takes_exactly_its_fields():
    """A misnamed, missing or extra argument is a TypeError where the rule reports, as a
    dataclass's ``__init__`` would raise it; a base message's fields come first."""

    class Step(Message):
        template: ClassVar[str] = "step={step} in {call}"
        step: str
        call: str

    assert Step("i", call="log").text == "step=i in log"
    assert Step("i", "log") == Step(step="i", call="log") != Step("j", "log")
    assert hash(Step("i", "log")) == hash(Step(step="i", call="log"))
    for args, kwargs in (((), {"step": "i"}), (("i", "log", "x"), {}), ((), {"stepp": "i"})):
        with pytest.raises(TypeError):
            Step(*args, **kwargs)
    with pytest.raises(TypeError, match="multiple values"):
        Step("i", step="j", call="log")
    with pytest.raises(dataclasses.FrozenInstanceError):
        del Step("i", "log").step

    class StepAndWhy(Step):
        template: ClassVar[str] = "step={step} in {call}: {why}"
        why: str

    assert StepAndWhy._fields == ("step", "call", "why")
    assert StepAndWhy("i", "log", "late").text == "step=i in log: late"
    assert Step("a\nb", "log").text == "step=a\\nb in log"  # on one line


def _rule_modules():
    return sorted({sys.modules[r.__module__] for r in ALL_RULES}, key=lambda m: m.__name__)


def _resolve(module, expr: ast.AST):
    """The object a ``Name`` or ``a.b`` expression names in ``module``."""
    if isinstance(expr, ast.Name):
        return getattr(module, expr.id, None)
    if isinstance(expr, ast.Attribute):
        base = _resolve(module, expr.value)
        return getattr(base, expr.attr, None) if base is not None else None
    return None


def test_every_report_builds_one_of_its_rules_messages_with_the_right_arguments():
    """Statically, for every ``self.report(...)`` in a rule module: the message is built right
    there (or in a local assigned just before) from one of the enclosing rule's ``messages``,
    with arguments that bind to that message's fields. A misnamed or missing argument fails
    here, not by dropping the rule's findings at run time."""
    checked = 0
    for module in _rule_modules():
        tree = ast.parse(inspect.getsource(module))
        for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
            rule = getattr(module, cls.name, None)
            if not (isinstance(rule, type) and issubclass(rule, Rule) and hasattr(rule, "code")):
                continue
            for func in [n for n in ast.walk(cls) if isinstance(n, ast.FunctionDef)]:
                assigned: dict[str, list[ast.Call]] = {}
                for node in ast.walk(func):
                    if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(
                        node.value, ast.Call
                    ):
                        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                        for t in targets:
                            if isinstance(t, ast.Name):
                                assigned.setdefault(t.id, []).append(node.value)
                for node in ast.walk(func):
                    if not (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "report"
                        and isinstance(node.func.value, ast.Name)
                        and node.func.value.id == "self"
                    ):
                        continue
                    where = f"{module.__name__}:{node.lineno}"
                    assert len(node.args) >= 2, where
                    arg = node.args[1]
                    builds = assigned.get(arg.id, []) if isinstance(arg, ast.Name) else [arg]
                    assert builds and all(isinstance(b, ast.Call) for b in builds), where
                    for build in builds:
                        message = _resolve(module, build.func)
                        assert message in rule.messages, (where, ast.unparse(build.func))
                        inspect.signature(message).bind(
                            *build.args, **{k.arg: k.value for k in build.keywords if k.arg}
                        )
                        checked += 1
    assert checked >= len(ALL_RULES)
