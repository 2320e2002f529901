"""Rule pages, generated from the rule declarations so they cannot drift from the rules.

``python -m flake8_wandb.docs`` rewrites ``docs/rules/``; a test fails when a page is stale.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from pathlib import Path

from .engine import UNCHANGED, Engine, Rule, applicability_label
from .rules import ALL_RULES


def page_name(rule: type[Rule]) -> str:
    return f"{rule.code}.md"


def render(rule: type[Rule]) -> str:
    default = "on by default" if rule.default else f"opt-in: `--extend-select={rule.code}`"
    label = applicability_label(rule.applicability)
    fix = "no fix" if label == "none" else f"{label} fix"
    if len(rule.applicability) > 1:
        fix += ", see Fix safety"
    body = inspect.cleandoc(rule.__doc__ or "")
    parts = [
        f"# {rule.code} {rule.name}",
        "",
        f"{default}; {fix}.",
        "",
        *_messages(rule),
        "",
        "As reported on the example below:",
        "",
        "```text",
        *_example_messages(rule),
        "```",
        "",
        body,
        "",
        "## Example",
        "",
        "```python",
        rule.invalid_examples()[0].code.rstrip("\n"),
        "```",
        "",
        "## Use instead",
        "",
        "```python",
        rule.use_instead.rstrip("\n"),
        "```",
        "",
        "## Fix safety",
        "",
        rule.fix_doc,
        "",
        *_fixed_example(rule),
        *_more_examples(rule),
    ]
    return "\n".join(parts)


def _messages(rule: type[Rule]) -> list[str]:
    """The templates of the rule's kinds of finding, arguments shown as ``<name>``."""
    shown = [
        f"`{rule.code} " + re.sub(r"\{(\w+)(?:![rs])?\}", r"<\1>", m.template) + "`"
        for m in rule.messages
    ]
    if len(shown) == 1:
        return ["Message: " + shown[0]]
    return ["Messages:", "", *(f"- {s}" for s in shown)]


def _more_examples(rule: type[Rule]) -> list[str]:
    """Every other shape the rule reports, and the traps it leaves alone: the examples the tests
    run, shown in full."""
    lines: list[str] = []
    others = [e.code for e in rule.invalid_examples()[1:]]
    for title, examples in (
        ("More examples (reported)", others),
        ("Not reported", list(rule.valid)),
    ):
        if not examples:
            continue
        lines += [f"## {title}", ""]
        for code in examples:
            lines += ["```python", code.rstrip("\n"), "```", ""]
    return lines


def _fixed_example(rule: type[Rule]) -> list[str]:
    """What ``wandb-fix --apply --unsafe-fixes`` writes, from the first example that declares it."""
    first = rule.invalid_examples()[0]
    if first.expected_replacement not in (None, UNCHANGED):
        return [
            "On the first example above, `wandb-fix --apply --unsafe-fixes` writes:",
            "",
            "```python",
            first.expected_replacement.rstrip("\n"),
            "```",
            "",
        ]
    example = next((e for e in rule.fix_examples() if e.expected_replacement != UNCHANGED), None)
    if example is None or example.expected_replacement is None:
        return []
    return [
        "For example, `wandb-fix --apply --unsafe-fixes` turns",
        "",
        "```python",
        example.code.rstrip("\n"),
        "```",
        "",
        "into",
        "",
        "```python",
        example.expected_replacement.rstrip("\n"),
        "```",
        "",
    ]


def _example_messages(rule: type[Rule]) -> list[str]:
    source = rule.invalid_examples()[0].code
    findings, _ = Engine([rule]).check(ast.parse(source), source)
    return [f"{f.line}:{f.col + 1}: {f.text()}" for f in findings]


def pages() -> dict[str, str]:
    return {page_name(r): render(r) for r in ALL_RULES}


def main(argv=None) -> int:
    out = Path(argv[0] if argv else "docs/rules")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in pages().items():
        (out / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(ALL_RULES)} rule pages to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
