"""The flake8 plugin's persistent cache (flake8_wandb/cache.py), through the real flake8.

An entry is reused only while the file, the linter, the settings and everything the project view
saw of the project (modules read, modules looked for and missing, folders listed) are unchanged.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from helpers import run_flake8

FOLDER = ".flake8-wandb-cache"

TRAIN = """\
import wandb
from utils.helpers import log_metrics

run = wandb.init(project="p", config={})
for epoch in range(3):
    for batch in range(10):
        log_metrics({"loss": 1.0}, step=batch)
"""
LOGS = "import wandb\n\n\ndef log_metrics(d, step):\n    wandb.log(d, step=step)\n"
PRINTS = "import wandb\n\n\ndef log_metrics(d, step):\n    print(d, step)\n"


def project(tmp_path: Path, helpers: str | None = LOGS) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "utils").mkdir()
    (tmp_path / "utils" / "__init__.py").write_text("")
    if helpers is not None:
        (tmp_path / "utils" / "helpers.py").write_text(helpers)
    (tmp_path / "train.py").write_text(TRAIN)
    return tmp_path


def flake8(root: Path, *args: str) -> list[str]:
    rc, out, err = run_flake8(["train.py"], "--isolated", "--select=WB", *args, cwd=root)
    assert err == ""
    return out.splitlines()


def entries(root: Path) -> list[Path]:
    return sorted((root / FOLDER).rglob("*.json"))


def test_a_second_run_reads_the_entry_and_answers_the_same(tmp_path):
    root = project(tmp_path)
    first = flake8(root)
    assert [line.split(" ")[1] for line in first] == ["WB102"]
    [entry] = entries(root)
    assert flake8(root) == first
    # the answer comes from the entry: a planted message is what flake8 prints
    data = json.loads(entry.read_text())
    data["rows"][0][2] = data["rows"][0][2].replace("inner training loop", "PLANTED")
    entry.write_text(json.dumps(data))
    assert "PLANTED" in flake8(root)[0]


def test_the_folder_is_ignored_by_git_and_tagged(tmp_path):
    root = project(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    flake8(root)
    assert (root / FOLDER / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (root / FOLDER / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172")
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert FOLDER not in status


def test_an_edit_of_an_imported_module_is_seen(tmp_path):
    root = project(tmp_path)
    assert len(flake8(root)) == 1
    (root / "utils" / "helpers.py").write_text(PRINTS)  # no longer a log helper
    assert flake8(root) == []
    (root / "utils" / "helpers.py").write_text(LOGS)  # the same size as before the first edit
    assert len(flake8(root)) == 1


def test_a_module_created_where_one_was_missing_is_seen(tmp_path):
    root = project(tmp_path, helpers=None)
    assert flake8(root) == []  # an import that cannot be resolved is unknown, never wandb
    (root / "utils" / "helpers.py").write_text(LOGS)
    assert len(flake8(root)) == 1
    (root / "utils" / "helpers.py").unlink()
    assert flake8(root) == []


def test_an_edit_of_the_file_and_other_settings_are_other_entries(tmp_path):
    root = project(tmp_path)
    flake8(root)
    (root / "train.py").write_text(TRAIN.replace("step=batch", "step=epoch"))
    flake8(root)
    flake8(root, "--wandb-step-names=batch")
    assert len(entries(root)) == 3


def test_no_cache_reads_and_writes_nothing(tmp_path):
    root = project(tmp_path)
    assert len(flake8(root, "--wandb-no-cache")) == 1
    assert not (root / FOLDER).exists()
    flake8(root)
    [entry] = entries(root)
    entry.write_text(json.dumps({"format": 1, "rows": [[1, 0, "WB999 planted"]], "seen": []}))
    assert "WB999" not in "".join(flake8(root, "--wandb-no-cache"))


def test_a_broken_entry_is_a_miss(tmp_path):
    root = project(tmp_path)
    first = flake8(root)
    [entry] = entries(root)
    for broken in ("", "{", '{"format": 1}', '{"format": 1, "rows": [[1]], "seen": []}', "[]"):
        entry.write_text(broken)
        assert flake8(root) == first
    assert json.loads(entry.read_text())["rows"]  # rewritten whole


def test_a_folder_that_cannot_be_written_is_no_cache(tmp_path):
    root = project(tmp_path)
    (root / FOLDER).write_text("a file where the folder would go")
    assert len(flake8(root)) == 1
    assert (root / FOLDER).read_text() == "a file where the folder would go"
