"""wandb-fix throughput, as lines per second, beside flake8 --select=WB on the same files.

    python bench/bench_fix.py [--repeats 3] [--files 0]

Corpus: every file of the installed wandb package that mentions wandb (real code that uses the
names the rules look for, so nothing is skipped by the prefilter), copied to a temp dir.
Commands, alternated in the same run: wandb-fix --check and the dry run (diffs) with -j1 and -j2,
and flake8 --select=WB (flake8's own default of parallel jobs).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import count_lines, package_dir, wandb_corpus  # noqa: E402

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--files", type=int, default=0, help="0 = all")
    opts = parser.parse_args()
    files = wandb_corpus(opts.files)
    root = package_dir("wandb").parent
    work = Path(tempfile.mkdtemp(prefix="bench-fix-"))
    for f in files:
        dest = work / f.relative_to(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dest)
    lines = count_lines(files)
    commands = {
        "wandb-fix --check -j1": [
            str(BIN / "wandb-fix"),
            "--check",
            "-j1",
            "-q",
            "--no-gitignore",
            ".",
        ],
        "wandb-fix --check -j2": [
            str(BIN / "wandb-fix"),
            "--check",
            "-j2",
            "-q",
            "--no-gitignore",
            ".",
        ],
        "wandb-fix (dry run) -j1": [str(BIN / "wandb-fix"), "-j1", "-q", "--no-gitignore", "."],
        "wandb-fix (dry run) -j2": [str(BIN / "wandb-fix"), "-j2", "-q", "--no-gitignore", "."],
        "flake8 --select=WB": [
            sys.executable,
            "-m",
            "flake8",
            "--isolated",
            "--select=WB",
            "--exit-zero",
            ".",
        ],
    }
    times = {name: [] for name in commands}
    for _ in range(opts.repeats):
        for name, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
    print(f"corpus: {len(files)} files, {lines} lines (wandb package files that mention wandb)")
    base = statistics.median(times["flake8 --select=WB"])
    for name, samples in times.items():
        median = statistics.median(samples)
        print(
            f"{name:26} median {median:6.2f}s  {lines / median:9,.0f} lines/s  {median / base:5.2f}x flake8 --select=WB"
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
