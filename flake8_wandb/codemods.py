"""Every fix as a libcst codemod, for teams that run codemods with libcst's own tool::

    python -m libcst.tool codemod -x flake8_wandb.codemods.LogWithoutStep --no-format train.py
    python -m libcst.tool codemod -x flake8_wandb.codemods.WB101 --no-format --unsafe-fixes src/
    python -m libcst.tool codemod -x flake8_wandb.codemods.AllFixes --no-format --unsafe-fixes .

(``-x``: the class is named by its module; with ``modules: [flake8_wandb]`` in a
``.libcst.codemod.yaml``, ``codemods.WB101`` works without it. ``--no-format``: libcst's tool
runs black over every changed file unless told not to, which would reformat bytes the fix never
touched, and fails where black is not installed.) One command per rule, under the
rule's class name and its code, and ``AllFixes`` for every default rule. A command runs the same
engine and fixer as ``wandb-fix --apply`` on the module libcst hands it (detection on ``ast``, each
fix a libcst transform of its node emitted as an edit of that node's span, re-validated, a bad fix
reverted), restricted to its rule; only safe fixes unless ``--unsafe-fixes``. Findings without an
applicable fix are left for ``wandb-fix`` or flake8 to report: a codemod only transforms.

This module imports libcst at the top: only libcst's tool (or a user) imports it, never the flake8
plugin or ``wandb-fix``.
"""

from __future__ import annotations

import argparse
from typing import ClassVar

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile

from .engine import Engine, Rule, Settings
from .fixer import fix_source
from .rules import ALL_RULES


class WandbFixCommand(CodemodCommand):
    """Apply the fixes of flake8-wandb's rules (``rules``) to a module."""

    DESCRIPTION: str = "Apply flake8-wandb's fixes."
    rules: ClassVar[tuple[type[Rule], ...]] = ()

    def __init__(self, context: CodemodContext, unsafe_fixes: bool = False) -> None:
        super().__init__(context)
        self.unsafe_fixes = unsafe_fixes

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument(
            "--unsafe-fixes",
            dest="unsafe_fixes",
            action="store_true",
            default=False,
            help="also apply the fixes that change behaviour on purpose (as wandb-fix does)",
        )

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        source = tree.code
        result = fix_source(Engine(self.rules, Settings()), source, unsafe=self.unsafe_fixes)
        for finding, reason in result.reverted:
            self.warn(f"{finding.code} at line {finding.line} not fixed: {reason}")
        if not result.changed:
            raise SkipFile("nothing to fix")
        return cst.parse_module(result.source)


def _command(rule: type[Rule]) -> type[WandbFixCommand]:
    doc = f"Apply the fix of {rule.code} ({rule.name})."
    return type(rule.__name__, (WandbFixCommand,), {"DESCRIPTION": doc, "rules": (rule,)})


class AllFixes(WandbFixCommand):
    DESCRIPTION = "Apply the fixes of every default flake8-wandb rule."
    rules = tuple(r for r in ALL_RULES if r.default)


#: one command per rule with a fix, under its class name and its code
COMMANDS: dict[str, type[WandbFixCommand]] = {}
for _rule in ALL_RULES:
    if _rule.applicability:
        _cmd = _command(_rule)
        COMMANDS[_rule.__name__] = COMMANDS[_rule.code] = _cmd
        globals()[_rule.__name__] = globals()[_rule.code] = _cmd
