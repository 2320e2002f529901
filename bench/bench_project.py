"""What the WB plugin adds to flake8 on projects whose modules import each other (the project view
reads and summarises the modules a file imports, once per process).

    python bench/bench_project.py [--repeats 5] [-j 2] [--wandb-files 0] [--torch-files 600]
                                  [--baseline REV]

The installed packages are copied into a temporary folder first: installed packages are never read
by the project view, so only a copy is a project whose imports resolve. For each corpus, alternates
in the same run (this machine is shared and noisy):

  A  plain flake8 (the plugin left out of discovery)       --select=E,F,W  -j N
  B  flake8 with the plugin, a first run                    --select=E,F,W,WB --wandb-no-cache
  C  flake8 with the plugin, its cache filled               --select=E,F,W,WB  -j N

all run inside the copied project; prints the medians of the per-triple ratios B/A and C/A in
CPU seconds of flake8 and its worker processes. With ``--baseline REV``, each round also runs

  D  flake8 with the linter of REV (a ``git worktree``), a first run

and B and D both through one runner (``corpus.AT_REVISION``): the one way to compare two
revisions in CPU seconds on a machine whose ratios move from day to day by more than a change. Corpora: the wandb package (all-wandb code: every
file mentions wandb, relative imports everywhere), torch (typical code: few files use wandb), and
the blind-labelled project folders of tests/realcode/projects.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_flake8 import HERE, timed  # noqa: E402
from corpus import (  # noqa: E402
    count_lines,
    package_dir,
    precompile,
    revision_checkout,
    torch_corpus,
    wandb_corpus,
)

PROJECTS = HERE.parent / "tests" / "realcode" / "projects"


def copy_tree(files: list[Path], root: Path, dest: Path) -> list[Path]:
    """Copy ``files`` (under ``root``) to ``dest``, keeping relative paths and packages."""
    out = []
    for f in files:
        target = dest / f.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, target)
        out.append(target)
    for init in root.rglob("__init__.py"):  # packages stay packages
        target = dest / init.relative_to(root)
        if target.parent.exists() and not target.exists():
            shutil.copyfile(init, target)
    return out


def bench(
    name: str,
    cwd: Path,
    files: list[Path],
    repeats: int,
    jobs: str,
    baseline: tuple[str, Path, Path] | None = None,
) -> float:
    """Plain flake8, flake8 with the plugin on a first run (``--wandb-no-cache``), and with the
    plugin's persistent cache filled by an earlier run on the same files (nothing changed).
    ``baseline``: (revision, its checkout, the runner): its first run too, in every round, and
    this checkout's first run through the same runner (the two then start alike)."""
    rel = [str(f.relative_to(cwd)) for f in files]
    args = ["--exit-zero", "--isolated", "-j", jobs, *rel]
    plain = [sys.executable, str(HERE / "flake8_without_plugin.py"), "--select=E,F,W", *args]
    cold = [sys.executable, "-m", "flake8", "--select=E,F,W,WB", "--wandb-no-cache", *args]
    warm = [sys.executable, "-m", "flake8", "--select=E,F,W,WB", *args]
    base_cold: list[str] = []
    if baseline is not None:
        _rev, tree, runner = baseline
        plugin = ["--select=E,F,W,WB", "--wandb-no-cache", *args]
        cold = [sys.executable, str(runner), str(HERE.parent), *plugin]
        base_cold = [sys.executable, str(runner), str(tree), *plugin]
    shutil.rmtree(cwd / ".flake8-wandb-cache", ignore_errors=True)
    timed(warm, cwd)  # fills the cache
    a_times, b_times, c_times, ratios, warm_ratios = [], [], [], [], []
    d_times, base_ratios = [], []
    for _ in range(repeats):
        a = timed(plain, cwd)
        b = timed(cold, cwd)
        if base_cold:
            d = timed(base_cold, cwd)
            d_times.append(d)
            base_ratios.append(d / a)
        c = timed(warm, cwd)
        a_times.append(a)
        b_times.append(b)
        c_times.append(c)
        ratios.append(b / a)
        warm_ratios.append(c / a)
    shutil.rmtree(cwd / ".flake8-wandb-cache", ignore_errors=True)
    ratio = statistics.median(ratios)
    print(
        f"{name}: {len(files)} files, {count_lines(files)} lines, -j {jobs}, {repeats} triples | "
        f"plain flake8 median {statistics.median(a_times):.2f} CPU s | "
        f"with WB, first run {statistics.median(b_times):.2f} CPU s, "
        f"median ratio {ratio:.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}) | "
        f"with WB, cache filled {statistics.median(c_times):.2f} CPU s, "
        f"median ratio {statistics.median(warm_ratios):.3f} "
        f"(min {min(warm_ratios):.3f}, max {max(warm_ratios):.3f})"
        + (
            f" | {baseline[0]}, first run {statistics.median(d_times):.2f} CPU s, median ratio "
            f"{statistics.median(base_ratios):.3f} (min {min(base_ratios):.3f}, "
            f"max {max(base_ratios):.3f})"
            if baseline is not None
            else ""
        ),
        flush=True,
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("-j", "--jobs", default="2")
    parser.add_argument("--wandb-files", type=int, default=0, help="0 = every file")
    parser.add_argument("--torch-files", type=int, default=600, help="0 = all of torch")
    parser.add_argument("--only", choices=("wandb", "torch", "projects"), action="append")
    parser.add_argument(
        "--baseline", help="a git revision whose first run is timed beside this checkout's"
    )
    opts = parser.parse_args()
    precompile()  # measure the plugin as installed: its bytecode written
    only = opts.only or ["wandb", "torch", "projects"]
    with tempfile.TemporaryDirectory() as tmp, _checkout(opts.baseline, Path(tmp)) as baseline:
        if "wandb" in only:
            root = package_dir("wandb").parent
            dest = Path(tmp) / "wandb-project"
            files = copy_tree(wandb_corpus(opts.wandb_files), root, dest)
            bench("wandb package (all-wandb code)", dest, files, opts.repeats, opts.jobs, baseline)
        if "torch" in only:
            root = package_dir("torch").parent
            dest = Path(tmp) / "torch-project"
            files = copy_tree(torch_corpus(opts.torch_files), root, dest)
            bench("torch (typical code)", dest, files, opts.repeats, opts.jobs, baseline)
        if "projects" in only:
            files = sorted(PROJECTS.rglob("*.py"))
            bench("tests/realcode/projects", PROJECTS, files, opts.repeats, opts.jobs, baseline)


@contextlib.contextmanager
def _checkout(revision: str | None, tmp: Path) -> Iterator[tuple[str, Path, Path] | None]:
    """``corpus.revision_checkout`` of ``revision``, named; None without one."""
    if revision is None:
        yield None
        return
    with revision_checkout(revision, tmp) as (tree, runner):
        yield revision, tree, runner


if __name__ == "__main__":
    main()
