"""Benchmark corpora from installed packages (real code, nothing to download)."""

from __future__ import annotations

import importlib.util
from pathlib import Path


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
    import compileall

    for name in ("flake8_wandb", "wandb_runtime"):
        compileall.compile_dir(str(package_dir(name)), quiet=1)
