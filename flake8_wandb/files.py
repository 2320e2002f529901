"""Files on disk for wandb-fix: finding them, decoding them as Python does, writing atomically."""

from __future__ import annotations

import fnmatch
import io
import os
import subprocess
import tempfile
import tokenize
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Set, Tuple

DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", "build", "dist", "node_modules", ".eggs", "*.egg-info",
    "site-packages", ".ipynb_checkpoints",
)  # fmt: skip

#: what a folder walk takes: Python files and Jupyter notebooks
SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")


def _is_wandb_run_folder(path: Path) -> bool:
    """wandb's own ``wandb/`` folder of runs (it holds copies of the code in ``files/code``)."""
    if path.name != "wandb":
        return False
    try:
        return any(
            e.name.startswith(("run-", "offline-run-", "latest-run", "debug")) for e in os.scandir(path)
        )
    except OSError:
        return False


class SourceError(Exception):
    """A file that cannot be read or decoded as Python source."""


def is_excluded(path: Path, patterns: Sequence[str]) -> bool:
    """Like flake8's ``--exclude``: a pattern matches a path component or the whole path."""
    text = path.as_posix()
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(text, pattern) or fnmatch.fnmatch(text, f"*/{pattern}"):
            return True
        if any(fnmatch.fnmatch(part, pattern) for part in path.parts):
            return True
    return False


def _git_files(directory: Path) -> Optional[Set[Path]]:
    """Files git does not ignore under ``directory`` (tracked or not), or None outside git."""
    try:
        proc = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=directory,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return {(directory / p).resolve() for p in proc.stdout.decode("utf-8", "replace").split("\0") if p}


def discover(
    paths: Iterable[str], exclude: Sequence[str] = (), use_gitignore: bool = True
) -> List[Path]:
    """Python files and notebooks under ``paths``. Files named explicitly are always taken unless
    an exclude pattern names them (pre-commit passes files one by one); directories are walked
    without the default and user excludes and, inside a git work tree, without what
    ``.gitignore`` ignores."""
    patterns = tuple(exclude)
    found: List[Path] = []
    seen: Set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_file() or not path.exists():
            if not is_excluded(path, patterns) and path not in seen:
                seen.add(path)
                found.append(path)  # a missing file is reported later, not dropped silently
            continue
        allowed = _git_files(path) if use_gitignore else None
        for dirpath, dirnames, filenames in os.walk(path):
            base = Path(dirpath)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not is_excluded(base / d, DEFAULT_EXCLUDES + patterns)
                and not _is_wandb_run_folder(base / d)
            )
            for name in sorted(filenames):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                file = base / name
                if is_excluded(file, patterns) or file in seen:
                    continue
                if allowed is not None and file.resolve() not in allowed:
                    continue
                seen.add(file)
                found.append(file)
    return found


def decode(data: bytes) -> Tuple[str, str]:
    """Decode source bytes as Python does (PEP 263 cookie, BOM), keeping the line endings."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(f"cannot detect the encoding: {exc}") from None
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"cannot decode as {encoding}: {exc}") from None


class ChangedOnDisk(Exception):
    pass


def write_atomic(path: Path, data: bytes, expected_old: bytes) -> None:
    """Write through a temp file in the same folder renamed over the original, keeping its mode:
    a reader (or a crash) sees the old file or the new one, never half of one. A file changed
    on disk since it was read is not overwritten."""
    st = os.stat(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".wandb-fix.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        if path.read_bytes() != expected_old:
            raise ChangedOnDisk(f"{path} changed on disk while it was being fixed; not written")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
