"""What the WB plugin adds to flake8, in instructions executed (valgrind's cachegrind), not in
CPU seconds: on a shared machine the CPU time of one command varies by 10-15 % from one run to
the next, more than most changes to the engine; an instruction count varies by about 0.1 %.

    python bench/bench_instructions.py [--files 64] [-j 1] [--corpus wandb|torch]
                                       [--baseline REV] [--engine]

Needs ``valgrind`` on the PATH (slow: about 3x the plain run's time per command, times 25).
Copies the installed wandb package (all-wandb code; a copy, because installed packages are never
read by the project view), or torch with ``--corpus torch`` (typical code: few files name wandb),
takes every Nth file up to ``--files``, and counts, with ``-j 1`` (or
``-j 2``: flake8's forked workers are counted too, each worker reading the project again):

  A  plain flake8 (the plugin left out of discovery)      --select=E,F,W
  B  flake8 with the plugin, a first run                   --select=E,F,W,WB --wandb-no-cache
  C  with ``--baseline REV``: B with the linter of that revision (a ``git worktree``)

and prints B/A (and C/A). Instructions are a proxy: memory stalls (the garbage collector's
traversals, for one) cost time that they do not count. The plugin's fixed cost (importing and
building the rules) weighs more on few files.

With ``--engine``, flake8 is left out: in one process the files are parsed, the engine built,
and then each file checked (a first run: nothing of the project read before); the instructions
of the checks alone (the same process without them, subtracted), for this checkout and the
baseline: what the analysis itself costs, start-up and flake8 aside.
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
from corpus import (  # noqa: E402
    AT_REVISION,
    package_dir,
    precompile,
    revision_checkout,
    torch_corpus,
    wandb_corpus,
)

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
    # one count per process: flake8's worker processes (``-j 2``) are forked, and valgrind
    # follows them
    found = re.findall(r"I\s+refs:\s+([\d,]+)", proc.stderr)
    if not found:
        raise SystemExit(f"valgrind gave no count:\n{proc.stderr[-2000:]}")
    return sum(int(count.replace(",", "")) for count in found)


#: ``python engine_run.py <checkout> parse|check <file>...``: the engine of that checkout over
#: the files in one process (``parse``: everything but the checks)
ENGINE_RUN = """
import ast, gc, sys
root, mode, files = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path[:0] = [root, root + "/runtime"]
import flake8_wandb
assert flake8_wandb.__file__.startswith(root), flake8_wandb.__file__
from flake8_wandb.plugin import _build_engine
sources = [(f, open(f, encoding="utf-8").read()) for f in files]
trees = [(f, s, ast.parse(s)) for f, s in sources]
engine = _build_engine(None)
gc.collect()
gc.freeze()
if mode == "check":
    for f, s, tree in trees:
        engine.check(tree, s, f)
"""


def engine_instructions(root: Path, files: list[str], tmp: Path) -> int:
    script = tmp / "engine_run.py"
    script.write_text(ENGINE_RUN, encoding="utf-8")
    run = [sys.executable, str(script), str(root)]
    return instructions([*run, "check", *files], tmp) - instructions([*run, "parse", *files], tmp)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=64)
    parser.add_argument("-j", "--jobs", default="1", help="flake8's -j (not with --engine)")
    parser.add_argument(
        "--corpus",
        choices=("wandb", "torch"),
        default="wandb",
        help="all-wandb code (the wandb package) or typical code (torch: few files name wandb)",
    )
    parser.add_argument("--baseline", help="a git revision to count beside this checkout")
    parser.add_argument(
        "--engine", action="store_true", help="the engine's checks alone, in one process"
    )
    opts = parser.parse_args()
    precompile()  # measure the plugin as installed: its bytecode written
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        all_files = wandb_corpus(0) if opts.corpus == "wandb" else torch_corpus(0)
        step = max(1, len(all_files) // opts.files)
        package = package_dir(opts.corpus).parent
        files = copy_tree(all_files[::step][: opts.files], package, Path(tmp))
        rel = [str(f.relative_to(tmp)) for f in files]
        if opts.engine:
            here_engine = engine_instructions(ROOT, rel, Path(tmp))
            line = f"{opts.corpus} package, {len(files)} files, the engine's checks alone, "
            line += f"one process: {here_engine / 1e9:.3f} G instructions"
            if opts.baseline:
                with revision_checkout(opts.baseline, Path(tmp)) as (tree, _runner):
                    base_engine = engine_instructions(tree, rel, Path(tmp))
                line += (
                    f" | {opts.baseline}: {base_engine / 1e9:.3f} G "
                    f"(this checkout / {opts.baseline}: {here_engine / base_engine:.3f})"
                )
            print(line, flush=True)
            return
        args = ["--exit-zero", "--isolated", "-j", opts.jobs, *rel]
        runner = Path(tmp) / "at_revision.py"
        runner.write_text(AT_REVISION, encoding="utf-8")
        plain = instructions(
            [sys.executable, str(HERE / "flake8_without_plugin.py"), "--select=E,F,W", *args],
            Path(tmp),
        )
        plugin = ["--select=E,F,W,WB", "--wandb-no-cache", *args]
        here = instructions([sys.executable, str(runner), str(ROOT), *plugin], Path(tmp))
        line = (
            f"{opts.corpus} package, {len(files)} files, -j {opts.jobs}: "
            f"plain flake8 {plain / 1e9:.3f} G instructions | with WB, first run {here / 1e9:.3f} G, ratio {here / plain:.3f}"
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
