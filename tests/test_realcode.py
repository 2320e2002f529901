"""Real training code, labelled blind: the real flake8 must keep finding what it finds and must
not start reporting what the labels say is fine.

``tests/realcode/evaluate.py`` prints precision and recall per rule; ``baseline.json`` beside it
lists the misses and false positives known today, so that any new miss or new false positive
fails here (an improvement is reported by the evaluator; rerun it with ``--update``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REALCODE = Path(__file__).resolve().parent / "realcode"
sys.path.insert(0, str(REALCODE))

import evaluate  # noqa: E402

FILES = evaluate.corpus()
#: the default rules (docs/rules/), the codes a labeller judges
DEFAULT_CODES = set(
    "WB101 WB102 WB105 WB106 WB201 WB301 WB302 WB303 WB304 WB306 WB307 WB401 WB501 WB701".split()
)
#: the rules collected and labelled in tests/realcode/newrules/ (opt-in until measured there)
NEW_CODES = {"WB305", "WB308", "WB309", "WB702"}


@pytest.mark.parametrize(
    "path", FILES, ids=lambda p: f"{p.parent.relative_to(REALCODE).as_posix()}/{p.stem}"
)
def test_labels_are_well_formed(path):
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    source = path.read_text(encoding="utf-8")
    n_lines = len(source.splitlines())
    index = evaluate.StatementIndex(source)
    statement_lines = {first for _, _, first in index.spans}
    assert meta["repo"] and meta["path"]
    known = NEW_CODES if path.parent.parent.name == "newrules" else DEFAULT_CODES
    if path.parent.name == "config_refs":  # WB303 and WB305 on a run's config kept on an object
        known = DEFAULT_CODES | NEW_CODES
    assert set(meta["labelled"]) <= known
    for kind in ("expect", "not", "unsure"):
        for line, code, *_ in meta.get(kind, ()):
            assert 1 <= line <= n_lines, (kind, line, code)
            assert code in known, (kind, line, code)
            if kind != "not":  # a trap may be a comment, which is no statement
                assert line in statement_lines, (
                    f"{kind} {code} at {line}: not a statement's first line"
                )


PROJECTS = evaluate.projects()


@pytest.mark.parametrize("folder", PROJECTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_project_labels_are_well_formed(folder):
    meta = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    assert meta["repo"] and meta["files"]
    where = evaluate.code_folder(folder)
    if where is None:
        pytest.skip("the project's code is kept out of the repository (FLAKE8_WANDB_REALCODE)")
    for rel, labels in meta["files"].items():
        source = (where / rel).read_text(encoding="utf-8")
        statement_lines = {first for _, _, first in evaluate.StatementIndex(source).spans}
        assert set(labels["labelled"]) <= DEFAULT_CODES
        for kind in ("expect", "unsure"):
            for line, code, *_ in labels.get(kind, ()):
                assert code in DEFAULT_CODES, (rel, kind, line, code)
                assert line in statement_lines, f"{rel}: {kind} {code} at {line}"


@pytest.mark.skipif(not FILES, reason="no real-code corpus")
@pytest.mark.parametrize("run", ["files", "projects"])
def test_no_new_misses_or_false_positives(run):
    result = evaluate.evaluate() if run == "files" else evaluate.evaluate_projects()
    now = evaluate.known(result)
    base = (
        json.loads(evaluate.BASELINE.read_text(encoding="utf-8"))
        if evaluate.BASELINE.exists()
        else {}
    )
    for kind in ("false_positives", "misses"):
        new = [k for k in now[kind] if k not in base.get(kind, [])]
        assert not new, f"new {kind} on real code (see tests/realcode/evaluate.py): {new}"
