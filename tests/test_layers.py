"""The analysis layer is the only place that knows what wandb code is: no rule module keeps its own
table of wandb names (CONTRIBUTING.md, "Which layer a fact belongs in")."""

from __future__ import annotations

import ast
from pathlib import Path

import flake8_wandb

RULES = Path(flake8_wandb.__file__).parent / "rules"
#: the names of resolve.py that stand for wandb objects
WANDB_MARKERS = frozenset({"RUN", "ACCELERATOR", "TRACKER", "LIGHTNING_RUN", "RUN_PARAM"})
#: a rule's ``triggers`` are substrings of the source text (a prefilter), not names
TEXT_ONLY = frozenset({"triggers"})


def _wandb_shaped(value: ast.AST) -> bool:
    """A literal collection (or ``frozenset(...)``/``set(...)``/``dict(...)`` of one) holding a
    wandb qualified name (``"wandb.init"``) or one of resolve.py's wandb objects."""
    if not (
        isinstance(value, (ast.Set, ast.Dict, ast.List, ast.Tuple))
        or (
            isinstance(value, ast.Call)
            and getattr(value.func, "id", None) in ("frozenset", "set", "dict", "tuple", "list")
        )
    ):
        return False
    for n in ast.walk(value):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            if n.value == "wandb" or n.value.startswith("wandb."):
                return True
        if isinstance(n, ast.Name) and n.id in WANDB_MARKERS:
            return True
    return False


def wandb_tables(source: str) -> list[str]:
    """Module- and class-level names bound to a wandb-shaped table."""
    found = []
    tree = ast.parse(source)
    bodies = [tree.body] + [n.body for n in tree.body if isinstance(n, ast.ClassDef)]
    for body in bodies:
        for stmt in body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
                if ast.unparse(target) in TEXT_ONLY:
                    continue
                if _wandb_shaped(stmt.value):
                    found.append(f"{ast.unparse(target)} (line {stmt.lineno})")
    return found


def test_no_rule_module_keeps_a_table_of_wandb_names():
    offenders = {
        path.name: tables
        for path in sorted(RULES.glob("*.py"))
        if (tables := wandb_tables(path.read_text(encoding="utf-8")))
    }
    assert not offenders, f"move these to flake8_wandb/analysis/wandb_model.py: {offenders}"


def test_the_check_sees_a_table():
    assert wandb_tables('CALLS = {"wandb.init", "wandb.Settings"}\n') == ["CALLS (line 1)"]
    assert wandb_tables('OBJ = frozenset({RUN + ".config"})\n') == ["OBJ (line 1)"]
    assert wandb_tables('TORCH = {"torch.cuda.memory_allocated"}\nX = "wandb.init"\n') == []
