"""``wandb-fix --list-rules`` and ``wandb-fix --explain CODE|NAME``: the rules, as ruff's ``rule``
command shows them. The page ``--explain`` prints is the generated rule page (docs/rules/)."""

from __future__ import annotations

import json

from .engine import Rule, applicability_label
from .rules import ALL_RULES


def _fix(rule: type[Rule]) -> str:
    return applicability_label(rule.applicability)


def _legacy_fix(rule: type[Rule]) -> str | None:
    """The ``fix`` field as it was before ``applicability``: ``mixed`` for safe or unsafe."""
    label = _fix(rule)
    return {"none": None, "safe or unsafe": "mixed"}.get(label, label)


def table(rules: list[type[Rule]] | None = None) -> str:
    rules = list(rules or ALL_RULES)
    rows = [("code", "name", "default", "fix")]
    rows += [(r.code, r.name, "on" if r.default else "opt-in", _fix(r)) for r in rules]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows
    )


def as_json(rules: list[type[Rule]] | None = None) -> str:
    return json.dumps(
        [
            {
                "code": r.code,
                "name": r.name,
                "default": r.default,
                "applicability": _fix(r),
                "fix": _legacy_fix(r),
            }
            for r in (rules or ALL_RULES)
        ],
        indent=2,
    )


def find(query: str) -> type[Rule] | None:
    """A rule by code (``WB101``, any case) or name (``log-without-step``)."""
    q = query.strip()
    for rule in ALL_RULES:
        if q.upper() == rule.code or q.lower() == rule.name:
            return rule
    return None


def explain(query: str) -> str | None:
    rule = find(query)
    if rule is None:
        return None
    from .docs import render  # the page, as docs/rules/ has it

    return render(rule)


def unknown(query: str) -> str:
    return f"unknown rule {query!r}: give a code (WB101) or a name (log-without-step); --list-rules lists them"
