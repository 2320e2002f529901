"""wandb-fix knows about the dependency its fixes add: when fixed code imports wandb_runtime, the
summary names those files and says whether their project declares wandb-runtime, and where to
add it (flake8_wandb/dependencies.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_wandb.dependencies import (
    find_root,
    inspect,
    names_it,
    runtime_requirement,
    summary_lines,
)
from helpers import write

NEEDS_RUNTIME = 'import wandb\n\nrun = wandb.init(project="demo", mode="offline", config={})\n'


@pytest.mark.parametrize(
    "requirement, named",
    [("wandb-runtime", True), ("wandb_runtime>=0.1", True), ("Wandb.Runtime[x] ; python_version>'3'", True),
     ("  wandb-runtime==0.1.0", True), ("wandb", False), ("wandb-runtime-extras", False), ("my-wandb-runtime", False),
     (5, False)],
)  # fmt: skip
def test_names_it(requirement, named):
    assert names_it(requirement) is named


@pytest.mark.parametrize(
    "files, declared, add_to",
    [
        ({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["wandb-runtime>=0.1"]\n'},
         ["pyproject.toml [project] dependencies"], "pyproject.toml [project] dependencies"),
        ({"pyproject.toml": '[project]\nname = "x"\n[project.optional-dependencies]\ntrain = ["wandb_runtime"]\n'},
         ["pyproject.toml [project.optional-dependencies] train"], "pyproject.toml [project] dependencies"),
        ({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["wandb"]\n'},
         [], "pyproject.toml [project] dependencies"),
        ({"pyproject.toml": '[dependency-groups]\ntrain = ["wandb-runtime"]\n'},
         ["pyproject.toml [dependency-groups] train"], "a requirements.txt (no dependency file in {root})"),
        ({"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.10"\nwandb-runtime = "^0.1"\n'},
         ["pyproject.toml [tool.poetry.dependencies]"], "pyproject.toml [tool.poetry.dependencies]"),
        ({"pyproject.toml": "[tool.black]\nline-length = 100\n", "requirements.txt": "torch\nwandb\n"},
         [], "requirements.txt"),
        ({"requirements.txt": "torch\n# wandb-runtime\n", "requirements-train.txt": "wandb-runtime==0.1.0 # shim\n"},
         ["requirements-train.txt"], "requirements-train.txt"),
        ({"requirements/base.txt": "wandb-runtime\n"}, ["requirements/base.txt"], "requirements/base.txt"),
        ({"setup.cfg": "[options]\ninstall_requires =\n    wandb\n    wandb-runtime>=0.1\n"},
         ["setup.cfg [options] install_requires"], "setup.cfg [options] install_requires"),
        ({"setup.cfg": "[options]\ninstall_requires = wandb\n[options.extras_require]\ntrain = wandb-runtime\n"},
         ["setup.cfg [options.extras_require] train"], "setup.cfg [options] install_requires"),
        ({"setup.py": "from setuptools import setup\nsetup(install_requires=['wandb', 'wandb-runtime>=0.1'])\n"},
         ["setup.py"], "setup.py install_requires"),
        ({"setup.py": "from setuptools import setup\nsetup(install_requires=['wandb'])\n"},
         [], "setup.py install_requires"),
        ({"environment.yml": "dependencies:\n  - python=3.11\n  - pip:\n    - wandb-runtime==0.1.0\n"},
         ["environment.yml"], "environment.yml (under pip:)"),
        ({"pyproject.toml": "this is [not toml"}, [], "a requirements.txt (no dependency file in {root})"),
    ],
    ids=["project-deps", "optional-group", "pyproject-missing", "dependency-groups", "poetry", "requirements-missing",
         "requirements-variant", "requirements-folder", "setup-cfg", "setup-cfg-extra", "setup-py", "setup-py-missing",
         "environment-yml", "malformed-pyproject"],
)  # fmt: skip
def test_where_a_project_declares_it(tmp_path, files, declared, add_to):
    for name, text in files.items():
        write(tmp_path, name, text)
    project = inspect(tmp_path)
    assert list(project.declared_in) == declared
    assert project.add_to == add_to.format(root=tmp_path)


def test_the_project_is_the_nearest_folder_with_a_dependency_file_inside_the_work_tree(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'outer'\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    train = write(repo, "src/train.py", "import wandb\n")
    assert find_root(train) == repo  # the work tree's top, not an unrelated parent folder
    write(repo, "src/requirements.txt", "wandb\n")
    assert find_root(train) == repo / "src"


def test_summary_groups_files_by_project(tmp_path):
    a = write(tmp_path, "a/train.py", "")
    write(tmp_path, "a/requirements.txt", "wandb-runtime\n")
    b = write(tmp_path, "b/train.py", "")
    write(tmp_path, "b/pyproject.toml", '[project]\nname = "b"\n')
    lines = summary_lines([a, b], "apply")
    assert lines == [
        f"1 fixed file now imports wandb_runtime ({a}): {tmp_path / 'a'} declares wandb-runtime in requirements.txt",
        f"1 fixed file now imports wandb_runtime ({b}): {tmp_path / 'b'} does not declare wandb-runtime: add it to "
        f"pyproject.toml [project] dependencies (the training environment needs it) as `{runtime_requirement()}` "
        "(wandb-runtime is not on the package index yet)",
    ]
    assert summary_lines([], "apply") == []


def wandb_fix(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flake8_wandb.fix", *args], cwd=cwd, capture_output=True, text=True
    )


@pytest.mark.slow  # six wandb-fix subprocesses
def test_wandb_fix_names_the_files_that_now_need_the_runtime(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path, "pyproject.toml", '[project]\nname = "trainer"\ndependencies = ["wandb"]\n')
    write(tmp_path, "train.py", NEEDS_RUNTIME)
    write(tmp_path, "clean.py", "import wandb\n")
    dry = wandb_fix(tmp_path, "--unsafe-fixes", "train.py", "clean.py")
    assert "1 fixed file would import wandb_runtime (train.py)" in dry.stderr
    assert (
        "does not declare wandb-runtime: add it to pyproject.toml [project] dependencies"
        in dry.stderr
    )
    assert "wandb_runtime" not in wandb_fix(tmp_path, "train.py").stderr  # safe fixes only: none
    applied = wandb_fix(tmp_path, "--apply", "--unsafe-fixes", "train.py", "clean.py")
    assert "from wandb_runtime import" in (tmp_path / "train.py").read_text()
    assert "1 fixed file now imports wandb_runtime (train.py)" in applied.stderr
    write(
        tmp_path,
        "pyproject.toml",
        '[project]\nname = "trainer"\ndependencies = ["wandb", "wandb-runtime>=0.1"]\n',
    )
    write(tmp_path, "other.py", NEEDS_RUNTIME)
    applied = wandb_fix(tmp_path, "--apply", "--unsafe-fixes", "other.py")
    assert "declares wandb-runtime in pyproject.toml [project] dependencies" in applied.stderr
    assert (
        "wandb_runtime" not in wandb_fix(tmp_path, "--apply", "clean.py").stderr
    )  # nothing imported
    assert "wandb_runtime" not in wandb_fix(tmp_path, "--check", "other.py").stderr


# -- the wandb the project declares is the target (issue 17) ----------------------------------------

REINIT_BOOL = (
    "import wandb\n\nfor seed in range(3):\n"
    '    run = wandb.init(project="demo", config={}, reinit=True)\n    run.finish()\n'
)


@pytest.mark.parametrize(
    "spec, oldest, newest",
    [("==0.18.7", (0, 18, 7), (0, 18, 7)), (">=0.13.11", (0, 13, 11), None), ("", (0,), None),
     (">=0.19.10,<0.30", (0, 19, 10), (0, 30)), ("~=0.18.7", (0, 18, 7), (0, 19)),
     ("^0.18.7", (0, 18, 7), (0, 19)), ("<0.20", (0,), (0, 20)), ("!=0.19.0", (0,), None)],
)  # fmt: skip
def test_requirement_range(spec, oldest, newest):
    from flake8_wandb.versions import requirement_range

    assert requirement_range(spec) == (oldest, newest)


@pytest.mark.parametrize(
    "name, text, where, spec",
    [("requirements.txt", "torch\nwandb==0.18.7  # pinned\n", "requirements.txt", "==0.18.7"),
     ("pyproject.toml", '[project]\nname = "x"\ndependencies = ["wandb[media]>=0.13.11"]\n',
      "pyproject.toml [project] dependencies", ">=0.13.11"),
     ("pyproject.toml", '[tool.poetry.dependencies]\nwandb = "^0.18.7"\n',
      "pyproject.toml [tool.poetry.dependencies]", "^0.18.7"),
     ("pyproject.toml", '[dependency-groups]\ntrain = ["wandb<0.20"]\n',
      "pyproject.toml [dependency-groups] train", "<0.20"),
     ("setup.cfg", "[options]\ninstall_requires =\n    wandb>=0.15\n",
      "setup.cfg [options] install_requires", ">=0.15"),
     ("setup.py", 'setup(install_requires=["wandb==0.18.7", "wandb-runtime"])\n', "setup.py", "==0.18.7"),
     ("environment.yml", "dependencies:\n  - wandb=0.18.7\n", "environment.yml", "==0.18.7.*")],
)  # fmt: skip
def test_the_declared_wandb_requirement_is_read(tmp_path, name, text, where, spec):
    from flake8_wandb.dependencies import wandb_requirements

    write(tmp_path, name, text)
    assert wandb_requirements(tmp_path) == [(where, spec)]


def test_a_project_pinning_wandb_0_18_7_gets_no_reinit_fix(tmp_path):
    """reinit="finish_previous" raises at wandb.init on 0.18.7: no WB306 there, not even with
    wandb 0.31 installed beside the linter."""
    write(tmp_path, "requirements.txt", "wandb==0.18.7\n")
    path = write(tmp_path, "train.py", REINIT_BOOL)
    proc = wandb_fix(tmp_path, "--apply", "--unsafe-fixes", "train.py")
    assert "WB306" not in proc.stdout and path.read_text() == REINIT_BOOL
    assert "target: wandb==0.18.7, declared in requirements.txt" in proc.stderr
    rc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select=WB306", "train.py"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert rc.stdout == ""


def test_a_range_that_allows_old_versions_gets_a_finding_without_a_fix(tmp_path):
    write(tmp_path, "requirements.txt", "wandb>=0.13.11\n")
    path = write(tmp_path, "train.py", REINIT_BOOL)
    proc = wandb_fix(tmp_path, "--apply", "--unsafe-fixes", "train.py")
    assert "WB306 reinit=True is deprecated in wandb 0.19.10 and later" in proc.stdout
    assert "wandb>=0.13.11 also allows older ones" in proc.stdout
    assert path.read_text() == REINIT_BOOL


def test_the_explicit_target_wins_over_the_declared_one(tmp_path):
    write(tmp_path, "requirements.txt", "wandb==0.18.7\n")
    path = write(tmp_path, "train.py", REINIT_BOOL)
    proc = wandb_fix(tmp_path, "--apply", "--wandb-target-version", "0.31.0", "train.py")
    assert 'reinit="finish_previous"' in path.read_text()
    assert "target: wandb-target-version 0.31.0" in proc.stderr
    explain = wandb_fix(tmp_path, "--explain", "WB306")
    assert "target: wandb==0.18.7, declared in requirements.txt" in explain.stderr


# -- dependency advice that works before a release (issue 17) ---------------------------------------


class _Dist:
    def __init__(self, direct_url):
        self.direct_url = direct_url

    def read_text(self, name):
        return self.direct_url if name == "direct_url.json" else None


@pytest.mark.parametrize(
    "dist, direct_url, expected",
    [("wandb-runtime", '{"url": "https://github.com/o/flake8-wandb", "vcs_info": {"vcs": "git", '
      '"commit_id": "abc123"}, "subdirectory": "runtime"}',
      "wandb-runtime @ git+https://github.com/o/flake8-wandb@abc123#subdirectory=runtime"),
     ("flake8-wandb", '{"url": "https://github.com/o/flake8-wandb", "vcs_info": {"vcs": "git", '
      '"commit_id": "abc123"}}',
      "wandb-runtime @ git+https://github.com/o/flake8-wandb@abc123#subdirectory=runtime"),
     ("wandb-runtime", '{"url": "file:///src/flake8-wandb/runtime", "dir_info": {}}',
      "wandb-runtime @ file:///src/flake8-wandb/runtime")],
)  # fmt: skip
def test_the_requirement_line_is_a_direct_reference(monkeypatch, dist, direct_url, expected):
    import importlib.metadata

    def distribution(name):
        if name == dist:
            return _Dist(direct_url)
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", distribution)
    assert runtime_requirement() == expected


@pytest.mark.slow
def test_the_requirement_line_of_this_checkout_installs(tmp_path):
    """The line the summary gives installs wandb-runtime (pip resolves the direct reference)."""
    line = runtime_requirement()
    assert line.startswith("wandb-runtime @ ")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-index",
         "--no-build-isolation", line],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "wandb-runtime" in proc.stdout


def test_apply_fails_when_the_fixed_code_needs_an_undeclared_package(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path, "requirements.txt", "wandb\n")
    path = write(tmp_path, "train.py", NEEDS_RUNTIME)
    proc = wandb_fix(tmp_path, "--apply", "--unsafe-fixes", "--quiet", "train.py")
    assert "from wandb_runtime import" in path.read_text()
    assert proc.returncode == 1  # --check-style: CI notices before the training image does
    assert "does not declare wandb-runtime: add it to requirements.txt" in proc.stderr
    assert "wandb-runtime @ " in proc.stderr  # said even with --quiet
    write(tmp_path, "requirements.txt", f"wandb\n{runtime_requirement()}\n")
    path.write_text(NEEDS_RUNTIME)
    proc = wandb_fix(tmp_path, "--apply", "--unsafe-fixes", "--quiet", "train.py")
    assert proc.returncode == 0 and proc.stderr == ""


def test_a_notebook_whose_fix_imports_the_runtime_gets_the_same_advice(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path, "pyproject.toml", '[project]\nname = "trainer"\ndependencies = ["wandb"]\n')
    cell = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": []}
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [{**cell, "source": NEEDS_RUNTIME}],
    }
    write(tmp_path, "train.ipynb", json.dumps(nb))
    dry = wandb_fix(tmp_path, "--unsafe-fixes", "train.ipynb")
    assert "1 fixed file would import wandb_runtime (train.ipynb)" in dry.stderr, dry.stderr
    assert "wandb_runtime" not in wandb_fix(tmp_path, "train.ipynb").stderr  # safe fixes only
