"""Put the code of the labelled projects kept out of the repository back on a machine.

Most folders of ``tests/realcode/projects/<set>/<slug>/`` hold only ``labels.json``: their code
was read from public repositories and is not committed (projects/README.md, "Where the code
is"). ``evaluate.py --projects`` and ``tests/test_realcode.py`` read it from
``$FLAKE8_WANDB_REALCODE/projects/<set>/<slug>/<path>``. This writes it there, from each
repository's git history at the labelled commit:

    python tests/realcode/restore.py DEST [--mirrors FOLDER] [--clone]
    FLAKE8_WANDB_REALCODE=DEST python tests/realcode/evaluate.py --projects

For each project whose labelled files are not beside its labels: every labelled file, byte for
byte as at ``commit`` (an ``excerpt`` given as original line ranges, ``[[1, 89], [762, 788]]``,
is those lines joined, as it was copied), and each package's ``__init__.py`` on the way to it
(the project view resolves imports through them). Where the history comes from, in order:
``--mirrors FOLDER`` (``FOLDER/<owner>+<name>/repo``, a bare git directory, as the workplace's
``fetch`` leaves them, or ``FOLDER/<owner>+<name>/.git``, or ``FOLDER/<owner>+<name>``), then,
with ``--clone``, a partial clone from GitHub into ``DEST/.git-cache``. Prints one line per
project and exits 1 when one could not be restored.
"""

from __future__ import annotations

import argparse
import json
import posixpath
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

PROJECTS = Path(__file__).resolve().parent / "projects"


def needed() -> list[tuple[str, dict]]:
    """The projects (``<set>/<slug>``, their labels) with a labelled file not beside them."""
    found = []
    for labels in sorted(PROJECTS.glob("*/*/labels.json")):
        meta = json.loads(labels.read_text(encoding="utf-8"))
        if any(not (labels.parent / rel).is_file() for rel in meta.get("files", {})):
            found.append((f"{labels.parent.parent.name}/{labels.parent.name}", meta))
    return found


def git_dir(repo: str, mirrors: Path | None, cache: Path | None) -> Path | None:
    """A git directory holding ``repo``'s history (``owner/name``), or None."""
    if mirrors is not None:
        folder = mirrors / repo.replace("/", "+", 1)
        for candidate in (folder / "repo", folder / ".git", folder):
            if (candidate / "objects").is_dir():
                return candidate
    if cache is not None:
        target = cache / (repo.replace("/", "+", 1) + ".git")
        if not (target / "HEAD").is_file():
            shutil.rmtree(target, ignore_errors=True)  # what an interrupted clone left
            url = f"https://github.com/{repo}.git"
            clone = ["git", "clone", "-q", "--bare", "--filter=blob:none", url, str(target)]
            if subprocess.run(clone, check=False).returncode != 0:
                shutil.rmtree(target, ignore_errors=True)
                return None
        return target
    return None


def _git(gd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", f"--git-dir={gd}", *args], capture_output=True, check=False)


def restore(project: str, meta: dict, gd: Path, dest: Path) -> list[str]:
    """Write the project's files under ``dest/projects/<project>``; the problems, if any."""
    commit = meta.get("commit") or ""
    if _git(gd, "cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
        # a commit on no branch or tag of a clone: asked for by name
        if not commit or _git(gd, "fetch", "-q", "origin", commit).returncode != 0:
            return [f"commit {commit or '(none)'} is not in {gd}"]
    files: dict[str, object] = {rel: info.get("excerpt") for rel, info in meta["files"].items()}
    for rel in list(files):
        folder = posixpath.dirname(rel)
        while folder:  # the packages on the way: imports resolve through them
            init = posixpath.join(folder, "__init__.py")
            if init not in files and _git(gd, "cat-file", "-e", f"{commit}:{init}").returncode == 0:
                files[init] = None
            folder = posixpath.dirname(folder)
    problems = []
    for rel, excerpt in sorted(files.items()):
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
            problems.append(f"{rel}: not a path inside the project")
            continue
        shown = _git(gd, "show", f"{commit}:{rel}")
        if shown.returncode != 0:
            problems.append(f"{rel} is not in {commit}")
            continue
        data = shown.stdout
        if excerpt is not None:
            lines = data.splitlines(keepends=True)
            ranges = _line_ranges(excerpt, len(lines))
            if ranges is None:
                problems.append(
                    f"{rel}: excerpt {excerpt!r} is not line ranges [[first, last], ...] "
                    f"within its {len(lines)} lines; it cannot be rebuilt"
                )
                continue
            data = b"".join(b"".join(lines[start - 1 : end]) for start, end in ranges)
        target = dest / "projects" / project / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        try:
            partial.write_bytes(data)
            partial.replace(target)  # never a half-written file under the real name
        finally:
            partial.unlink(missing_ok=True)
    return problems


def _line_ranges(excerpt: object, count: int) -> list[tuple[int, int]] | None:
    """``[[first, last], ...]``: 1-based, inclusive, within ``count`` lines; else None."""
    if not isinstance(excerpt, list) or not excerpt:
        return None
    ranges = []
    for item in excerpt:
        if not (isinstance(item, list) and len(item) == 2):
            return None
        first, last = item
        if type(first) is not int or type(last) is not int or not 1 <= first <= last <= count:
            return None
        ranges.append((first, last))
    return ranges


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dest", type=Path, help="the folder FLAKE8_WANDB_REALCODE will name")
    parser.add_argument("--mirrors", type=Path, help="a folder of git mirrors: <owner>+<name>")
    parser.add_argument("--clone", action="store_true", help="clone what no mirror holds")
    opts = parser.parse_args(argv)
    cache = opts.dest / ".git-cache" if opts.clone else None
    failed = 0
    for project, meta in needed():
        gd = git_dir(meta["repo"], opts.mirrors, cache)
        problems = (
            [f"no history of {meta['repo']} (--mirrors, --clone)"]
            if gd is None
            else restore(project, meta, gd, opts.dest)
        )
        failed += bool(problems)
        print(f"{project}: " + ("; ".join(problems) if problems else f"restored from {gd}"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
