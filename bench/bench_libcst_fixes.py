"""What building fixes as libcst transforms costs: wandb-fix on this checkout beside another
revision (default ``main``), CPU seconds of the child processes, side by side.

    python bench/bench_libcst_fixes.py [--baseline main] [--repeats 3]

Corpus: the project's own real training code and examples (``tests/realcode/**/*.py``,
``examples/*.py``), copied to a temp dir, a fresh copy for each ``--apply``. Commands, alternated
in the same run so that the machine's load hits both alike: ``--check`` (finds only: neither side
builds a fix), the dry run (builds every fix, prints diffs) and ``--apply --unsafe-fixes`` (builds,
applies and re-checks until stable), each with ``-j1``. The baseline revision is extracted with
``git archive`` and imported ahead of this checkout's editable install.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# wandb-fix from a given source tree, ahead of the editable install's import hook
LAUNCH = (
    "import sys; root = sys.argv.pop(1);"
    "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()];"
    "sys.path.insert(0, root); sys.path.insert(0, root + '/runtime');"
    "from flake8_wandb.fix import main; sys.exit(main())"
)


def corpus() -> list[Path]:
    files = sorted((ROOT / "tests" / "realcode").rglob("*.py")) + sorted(
        (ROOT / "examples").glob("*.py")
    )
    return [f for f in files if f.name != "conftest.py"]


def copy(files: list[Path], dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    for f in files:
        target = dest / f.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)


def cpu_seconds(cmd: list[str], cwd: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        cmd,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", default="main", help="git revision to compare with")
    parser.add_argument("--repeats", type=int, default=3)
    opts = parser.parse_args()
    files = corpus()
    lines = sum(f.read_bytes().count(b"\n") for f in files)
    work = Path(tempfile.mkdtemp(prefix="bench-libcst-"))
    base = work / "baseline"
    base.mkdir()
    archive = subprocess.run(
        ["git", "archive", opts.baseline], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
    trees = {opts.baseline: base, "this checkout": ROOT}
    modes = {
        "--check": ["--check"],
        "dry run (diffs)": ["--unsafe-fixes"],
        "--apply --unsafe-fixes": ["--apply", "--unsafe-fixes"],
    }
    times: dict[tuple[str, str], list[float]] = {(m, t): [] for m in modes for t in trees}
    fixed: dict[str, str] = {}
    for _ in range(opts.repeats):
        for mode, args in modes.items():
            for tree_name, tree in trees.items():
                target = work / "corpus"
                copy(files, target)
                cmd = [sys.executable, "-c", LAUNCH, str(tree), "-j1", "-q", "--no-gitignore"]
                times[(mode, tree_name)].append(cpu_seconds(cmd + args + ["."], target))
                if mode.startswith("--apply"):
                    fixed[tree_name] = "".join(
                        p.read_text("utf-8", "surrogateescape")
                        for p in sorted(target.rglob("*.py"))
                    )
    print(f"corpus: {len(files)} files, {lines} lines (tests/realcode, examples)")
    print(f"CPU seconds, median of {opts.repeats}, -j1")
    print(f"{'mode':<26}{opts.baseline:>12}{'this checkout':>16}{'ratio':>8}")
    for mode in modes:
        a = statistics.median(times[(mode, opts.baseline)])
        b = statistics.median(times[(mode, "this checkout")])
        print(f"{mode:<26}{a:>12.2f}{b:>16.2f}{b / a:>8.2f}")
    same = fixed.get(opts.baseline) == fixed.get("this checkout")
    print(f"--apply output identical to {opts.baseline}'s: {same}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
