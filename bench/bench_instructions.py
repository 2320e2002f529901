"""What the WB plugin adds to flake8, in instructions executed (valgrind's cachegrind), not in
CPU seconds: on a shared machine the CPU time of one command varies by 10-15 % from one run to
the next, more than most changes to the engine; an instruction count varies by about 0.1 %.

    python bench/bench_instructions.py [--files 64] [--baseline REV]

Needs ``valgrind`` on the PATH (slow: about 3x the plain run's time per command, times 25).
Copies the installed wandb package (all-wandb code; a copy, because installed packages are never
read by the project view), takes every Nth file up to ``--files``, and counts, with ``-j 1``:

  A  plain flake8 (the plugin left out of discovery)      --select=E,F,W
  B  flake8 with the plugin, a first run                   --select=E,F,W,WB --wandb-no-cache
  C  with ``--baseline REV``: B with the linter of that revision (a ``git worktree``)

and prints B/A (and C/A). Instructions are a proxy: memory stalls (the garbage collector's
traversals, for one) cost time that they do not count. The plugin's fixed cost (importing and
building the rules) weighs more on few files.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_project import copy_tree  # noqa: E402
from corpus import AT_REVISION, package_dir, precompile, revision_checkout, wandb_corpus  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def instructions(cmd: list[str], cwd: Path) -> int:
    proc = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
        + cmd,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr)
    if found is None:
        raise SystemExit(f"valgrind gave no count:\n{proc.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=64)
    parser.add_argument("--baseline", help="a git revision to count beside this checkout")
    opts = parser.parse_args()
    precompile()  # measure the plugin as installed: its bytecode written
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        all_files = wandb_corpus(0)
        step = max(1, len(all_files) // opts.files)
        files = copy_tree(all_files[::step][: opts.files], package_dir("wandb").parent, Path(tmp))
        rel = [str(f.relative_to(tmp)) for f in files]
        args = ["--exit-zero", "--isolated", "-j", "1", *rel]
        runner = Path(tmp) / "at_revision.py"
        runner.write_text(AT_REVISION, encoding="utf-8")
        plain = instructions(
            [sys.executable, str(HERE / "flake8_without_plugin.py"), "--select=E,F,W", *args],
            Path(tmp),
        )
        plugin = ["--select=E,F,W,WB", "--wandb-no-cache", *args]
        here = instructions([sys.executable, str(runner), str(ROOT), *plugin], Path(tmp))
        line = (
            f"wandb package, {len(files)} files, -j 1: plain flake8 {plain / 1e9:.3f} G "
            f"instructions | with WB, first run {here / 1e9:.3f} G, ratio {here / plain:.3f}"
        )
        if opts.baseline:
            with revision_checkout(opts.baseline, Path(tmp)) as (tree, base_runner):
                base = instructions(
                    [sys.executable, str(base_runner), str(tree), *plugin], Path(tmp)
                )
            line += f" | {opts.baseline}: {base / 1e9:.3f} G, ratio {base / plain:.3f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
