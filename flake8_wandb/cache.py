"""The persistent cache of the flake8 plugin: a module's findings, kept between runs.

flake8 runs the plugin on every file of every run, in several processes, and a project view reads
the project modules a file imports. Where ruff keeps ``.ruff_cache``, this keeps
``.flake8-wandb-cache/`` (the project root: the nearest folder above the working directory with a
project marker, else the working directory), with a ``.gitignore`` of ``*`` so git never sees it.
``--wandb-no-cache`` (or ``wandb-no-cache = true`` in flake8's configuration) skips it.

An entry is found by a key over everything the findings depend on that is known before the
check: the linter itself (its version and the size and modification time of each of its files,
so an upgrade or an edit of the linter is a new key), the Python version, the rules that run and
their settings (step names, the target wandb), the working directory, the file's path and its
text. Beside the findings, an entry holds what the project view saw of the file system while it
checked the file (``ProjectView.observations``: the size and modification time of every project
module it read, which files and folders it looked for and found or not, the ``.py`` files of the
folders it listed), and it is used only while every observation still holds: an edited, created
or deleted project module makes the entry stale. Entries are written whole or not at all (a
temporary file in the same folder, then ``os.replace``); an entry that cannot be read is a miss.
A run whose rules failed on the file stores nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from . import __version__

FOLDER = ".flake8-wandb-cache"
#: the cache's own format: a new one never reads an older one's entries
FORMAT = 1

Row = tuple[int, int, str]


def _linter_fingerprint() -> str:
    """The version, and the size and modification time of every file of the linter and of the
    facts it reads (``wandb_runtime``)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{FORMAT}|{__version__}|{sys.version}".encode())
    roots = [Path(__file__).resolve().parent]
    try:
        import wandb_runtime

        roots.append(Path(wandb_runtime.__file__).resolve().parent)
    except Exception:  # the shim missing is itself a state of the linter
        digest.update(b"no-runtime")
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            try:
                st = path.stat()
            except OSError:
                continue
            digest.update(f"{path}|{st.st_size}|{st.st_mtime_ns}".encode())
    return digest.hexdigest()


def find_cache_root(cwd: Path) -> Path:
    """Where the cache folder goes: the project root (``dependencies.find_root``), else ``cwd``."""
    from .dependencies import find_root

    return find_root(cwd) or cwd


class Cache:
    """The entries of one project, for one linter and one set of settings (``salt``)."""

    def __init__(self, root: Path, salt: str) -> None:
        self.folder = root / FOLDER
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{_linter_fingerprint()}|{salt}|{os.getcwd()}".encode())
        self._prefix = digest.hexdigest()
        self._ready = False

    def key(self, filename: str, source: str) -> str:
        digest = hashlib.blake2b(digest_size=20)
        digest.update(self._prefix.encode())
        digest.update(os.path.abspath(filename).encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
        digest.update(source.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[Row] | None:
        """The findings kept under ``key``, when every observation they rest on still holds."""
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
            if entry.get("format") != FORMAT:
                return None
            from .analysis.project import observe

            for kind, path, value in entry["seen"]:
                if observe(kind, path) != value:
                    return None
            return [(int(line), int(col), str(text)) for line, col, text in entry["rows"]]
        except Exception:  # unreadable, or not an entry this version wrote: a miss
            return None

    def put(self, key: str, rows: Iterable[Row], seen: dict[tuple[str, str], object]) -> None:
        """Write the entry whole or not at all; a cache that cannot be written is no cache."""
        entry = {
            "format": FORMAT,
            "rows": [list(r) for r in rows],
            "seen": [[kind, path, value] for (kind, path), value in sorted(seen.items())],
        }
        target = self._path(key)
        try:
            self._prepare()
            target.parent.mkdir(exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(entry, f)
                os.replace(tmp, target)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except (OSError, ValueError, TypeError):
            return

    def _prepare(self) -> None:
        """The folder, with the ``.gitignore`` that keeps it out of git and a CACHEDIR.TAG."""
        if self._ready:
            return
        self.folder.mkdir(exist_ok=True)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# created by flake8-wandb\n*\n", encoding="utf-8")
        tag = self.folder / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by flake8-wandb.\n",
                encoding="utf-8",
            )
        self._ready = True
