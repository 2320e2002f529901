"""Benchmark corpora from installed packages (real code, nothing to download)."""

from __future__ import annotations

import compileall
import contextlib
import importlib.util
import subprocess
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: runs flake8 with the linter of the checkout given first (not the installed one)
AT_REVISION = """
import sys
root = sys.argv.pop(1)
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path[:0] = [root, root + "/runtime"]
import flake8_wandb
assert flake8_wandb.__file__.startswith(root), flake8_wandb.__file__
from flake8.main.cli import main
sys.exit(main())
"""


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{name} is not installed: pip install the test extras first")
    return Path(list(spec.submodule_search_locations)[0])


def torch_corpus(limit: int) -> list[Path]:
    """Large real code where few files touch W&B: the installed torch, ``limit`` files."""
    files = sorted(package_dir("torch").rglob("*.py"))
    return files[:limit] if limit else files


def wandb_corpus(limit: int) -> list[Path]:
    """Real code where every file mentions wandb: the installed wandb package itself."""
    files = [
        p
        for p in sorted(package_dir("wandb").rglob("*.py"))
        if "wandb" in p.read_text("utf-8", "replace")
    ]
    return files[:limit] if limit else files


def count_lines(files: list[Path]) -> int:
    return sum(p.read_bytes().count(b"\n") for p in files)


def precompile() -> None:
    """Write the bytecode of the linter and the runtime shim, as ``pip install`` does: an
    editable checkout run with ``PYTHONDONTWRITEBYTECODE=1`` (this machine sets it) otherwise
    compiles every module of the plugin again in every flake8 process, about 0.5 G instructions
    each, a cost no installed plugin has and plain flake8 (whose bytecode pip wrote) does not pay."""
    for name in ("flake8_wandb", "wandb_runtime"):
        compileall.compile_dir(str(package_dir(name)), quiet=1)


@contextlib.contextmanager
def revision_checkout(revision: str, tmp: Path) -> Iterator[tuple[Path, Path]]:
    """A ``git worktree`` of ``revision`` in ``tmp`` with its bytecode written, and a runner
    script (``AT_REVISION``) that runs flake8 with the linter of the checkout named first:
    ``python runner <checkout> <flake8 args>``. Removed on exit."""
    tree = tmp / "baseline"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), revision],
        check=True,
    )
    try:
        for package in (tree / "flake8_wandb", tree / "runtime" / "wandb_runtime"):
            compileall.compile_dir(str(package), quiet=1)
        runner = tmp / "at_revision.py"
        runner.write_text(AT_REVISION, encoding="utf-8")
        yield tree, runner
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)])
