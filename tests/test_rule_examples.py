"""Every rule's own examples, run through the engine and through the real flake8.

The examples live in the rule classes (and in the generated docs): a rule cannot drift from them.
"""

from __future__ import annotations

import ast
import re

import pytest

from flake8_wandb.engine import UNCHANGED, UNSAFE, Engine, applicability_label
from flake8_wandb.fixer import fix_source
from flake8_wandb.rules import ALL_RULES, opt_in_prefixes
from helpers import engine_findings, expected_findings, expected_lines, matches, run_flake8

INVALID = [(r, i, e.code) for r in ALL_RULES for i, e in enumerate(r.invalid_examples())]
VALID = [(r, i, src) for r in ALL_RULES for i, src in enumerate(r.valid)]
FIXES = [
    (r, i, e)
    for r in ALL_RULES
    for i, e in enumerate(r.invalid_examples())
    if e.expected_replacement is not None
]


def _id(case):
    rule, i = case[0], case[1]
    return f"{rule.code}-{i}"


def test_every_rule_has_examples():
    for rule in ALL_RULES:
        assert rule.invalid and rule.valid and rule.use_instead, rule.code
        assert all(expected_lines(e.code, rule.code) for e in rule.invalid_examples()), rule.code
        for example in rule.invalid_examples():
            for pin in expected_findings(example.code, rule.code):  # line, column and message
                assert pin.col is not None and pin.message, (rule.code, pin)
        assert bool(rule.fix_examples()) == bool(rule.applicability), rule.code
        # the old ``fixes = ((before, after), ...)`` pairs: write Invalid(..., expected_replacement=)
        assert not hasattr(rule, "fixes"), rule.code


@pytest.mark.parametrize("case", INVALID, ids=_id)
def test_invalid_examples_are_reported_as_pinned(case):
    """Exactly the pinned findings: line, column (1-based, as printed) and message."""
    rule, _, source = case
    got = [(f.line, f.col + 1, f.message) for f in engine_findings(source) if f.code == rule.code]
    expected = expected_findings(source, rule.code)
    assert matches(expected, got), (expected, got)


@pytest.mark.parametrize("case", VALID, ids=_id)
def test_valid_examples_are_not_reported(case):
    rule, _, source = case
    assert [f for f in engine_findings(source) if f.code == rule.code] == []


@pytest.mark.parametrize("case", FIXES, ids=_id)
def test_fix_examples(case):
    """An invalid example's expected replacement is what the fixer makes of it (with every
    rule's fixes, as ``--apply --unsafe-fixes`` does)."""
    rule, _, example = case
    before, after = example.code, example.expected_replacement
    engine = Engine(ALL_RULES)
    result = fix_source(engine, before, unsafe=True)
    if after == UNCHANGED:  # reported, and no fix of this rule applies
        assert rule.code in {f.code for f in result.initial}
        assert all(f.fix is None for f in result.initial if f.code == rule.code)
        return
    assert result.source == after
    ast.parse(result.source)
    assert rule.code not in {f.code for f in result.remaining}
    # a second run changes nothing
    assert fix_source(engine, result.source, unsafe=True).source == result.source
    if set(rule.applicability) == {UNSAFE}:
        assert fix_source(engine, before, unsafe=False).source == before


def test_examples_through_real_flake8(tmp_path):
    """All examples as files, one flake8 run: the installed entry point reports exactly the
    marked lines of invalid examples and nothing of its own rule on valid ones."""
    expected = {}
    for rule, i, src in INVALID:
        name = f"invalid_{rule.code}_{i}.py"
        (tmp_path / name).write_text(src)
        expected[name] = expected_findings(src, rule.code)
    for rule, i, src in VALID:
        (tmp_path / f"valid_{rule.code}_{i}.py").write_text(src)
    opt_in = ",".join(opt_in_prefixes())
    rc, out, err = run_flake8(["."], "--select=WB", f"--extend-select={opt_in}", cwd=tmp_path)
    assert err == ""
    got: dict[str, list[tuple[int, int, str]]] = {}
    own_code_on_valid = []
    for row in out.splitlines():  # path:line:col: CODE message
        m = re.match(r"(?:\./)?(\w+)\.py:(\d+):(\d+): (WB\d{3}) (.*)$", row)
        assert m, row
        name, line, col, code, message = m.groups()
        if name.split("_")[1] != code:
            continue
        if name.startswith("valid_"):
            own_code_on_valid.append(row)
        else:
            got.setdefault(name + ".py", []).append((int(line), int(col), message))
    for name, pins in expected.items():
        assert matches(pins, got.get(name, [])), (name, pins, got.get(name))
    assert own_code_on_valid == []
    assert rc == 1


def test_fix_labels_agree_with_the_rule_page():
    """Safety is declared on each Fix where it is built; the rule page's label summarises them."""
    for rule in ALL_RULES:
        labels = set()
        for example in rule.invalid_examples():
            for f in engine_findings(example.code):
                if f.code == rule.code and f.fix is not None:
                    labels.add(f.fix.applicability)
        assert labels == set(rule.applicability), rule.code


def test_readme_fix_column_follows_the_rules():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for rule in ALL_RULES:
        row = next(line for line in readme.splitlines() if line.startswith(f"| [{rule.code}]"))
        assert row.rstrip(" |").rsplit("|", 1)[1].strip() == applicability_label(
            rule.applicability
        ), rule.code
