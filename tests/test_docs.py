"""Docs cannot drift: every rule has a page generated from its declaration, no page is orphaned,
and the README's table lists every rule with a link to its page."""

from __future__ import annotations

import re
from pathlib import Path

from flake8_wandb.docs import page_name, pages
from flake8_wandb.rules import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent
RULE_DOCS = ROOT / "docs" / "rules"


def test_every_rule_has_an_up_to_date_page():
    for name, text in pages().items():
        path = RULE_DOCS / name
        assert path.exists(), f"{name} missing: run python -m flake8_wandb.docs"
        assert path.read_text(encoding="utf-8") == text, (
            f"{name} is stale: run python -m flake8_wandb.docs"
        )


def test_every_page_names_a_rule():
    codes = {r.code for r in ALL_RULES}
    for path in RULE_DOCS.glob("*.md"):
        title = path.read_text(encoding="utf-8").splitlines()[0]
        m = re.match(r"# (WB\d{3}) ", title)
        assert m and m.group(1) in codes, f"{path.name} documents no rule"


def test_pages_have_the_sections():
    for text in pages().values():
        for section in (
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
            "## Fix safety",
        ):
            assert section in text


def test_readme_table_links_every_rule():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in ALL_RULES:
        assert f"[{rule.code}](docs/rules/{page_name(rule)})" in readme, rule.code
        assert rule.name in readme
