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


def test_restore_writes_a_projects_files_as_at_its_commit(tmp_path):
    """``restore.py`` (the projects' code kept out of the repository, back from git history):
    the labelled files byte for byte at the labelled commit, an excerpt's line ranges joined,
    the packages' ``__init__.py`` on the way; a later commit's edits are not taken."""
    import os
    import subprocess

    import restore

    repo = tmp_path / "mirrors" / "owner+proj"
    (repo / "pkg" / "sub").mkdir(parents=True)
    files = {
        "pkg/__init__.py": b"",
        "pkg/sub/__init__.py": b"# sub\n",
        "pkg/sub/util.py": b"import wandb\r\ndef log(m):\r\n    wandb.log(m)\r\n",
        "train.py": b"".join(b"line %d\n" % i for i in range(1, 11)),
    }
    for rel, data in files.items():
        (repo / rel).write_bytes(data)

    def git(*args: str) -> str:
        env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
        env |= {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t"}
        env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
        cmd = ["git", "-c", "commit.gpgsign=false", "-C", str(repo), *args]
        done = subprocess.run(cmd, capture_output=True, env=env)
        assert done.returncode == 0, done.stderr
        return done.stdout.decode().strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "labelled")
    commit = git("rev-parse", "HEAD")
    (repo / "train.py").write_bytes(b"edited later\n")
    git("commit", "-q", "-am", "later")
    meta = {
        "repo": "owner/proj",
        "commit": commit,
        "files": {"pkg/sub/util.py": {"excerpt": None}, "train.py": {"excerpt": [[1, 2], [9, 10]]}},
    }
    gd = restore.git_dir("owner/proj", tmp_path / "mirrors", None)
    assert gd == repo / ".git"
    dest = tmp_path / "dest"
    assert restore.restore("fresh/proj", meta, gd, dest) == []
    out = dest / "projects" / "fresh" / "proj"
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == ["pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/util.py", "train.py"]
    assert (out / "pkg/sub/util.py").read_bytes() == files["pkg/sub/util.py"]  # CRLF kept
    assert (out / "train.py").read_bytes() == b"line 1\nline 2\nline 9\nline 10\n"
    # a commit the history lacks, a file it lacks, an excerpt in words: said, nothing written
    assert restore.restore("fresh/x", {**meta, "commit": "0" * 40}, gd, dest)
    missing = {**meta, "files": {"gone.py": {"excerpt": None}}}
    assert restore.restore("fresh/y", missing, gd, dest) == [f"gone.py is not in {commit}"]
    for excerpt in ("lines 1-2", [[2, 11]], [[0, 1]], [[3, 1]], [1, 2], [[1.0, 2]], []):
        worded = {**meta, "files": {"train.py": {"excerpt": excerpt}}}
        assert "cannot be rebuilt" in restore.restore("fresh/z", worded, gd, dest)[0], excerpt
    outside = {**meta, "files": {"../escape.py": {"excerpt": None}}}
    assert "not a path inside" in restore.restore("fresh/w", outside, gd, dest)[0]
    for name in ("x", "z", "w"):
        assert not (dest / "projects" / "fresh" / name).exists()
    assert not list(dest.rglob("*.part"))
