"""The plugin's own CPU time inside flake8's worker processes, for this checkout and a baseline
revision, on a copy of the wandb package (all-wandb code, a first run), or with ``--corpus
torch`` of 600 files of torch (typical code: few files name wandb):

    python bench/bench_workers.py [--repeats 7] [-j 2] [--corpus torch] --baseline REV

A ratio of two flake8 runs of 9 CPU seconds moves by ±4 % on this machine, as much as the whole
plugin costs; this times what the plugin itself does (``WandbChecker.run`` of every file, in every
worker, summed), the two linters alternated in each round, both through one runner
(``corpus.AT_REVISION`` with a timer around ``run``). Prints the medians, their ratio, and in how
many rounds this checkout took less. The fixed cost (importing the rules and building the engine,
once before flake8 forks) is not in it: ``bench_project.py`` measures everything together.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_project import copy_tree  # noqa: E402
from corpus import (  # noqa: E402
    package_dir,
    precompile,
    revision_checkout,
    torch_corpus,
    wandb_corpus,
)

HERE = Path(__file__).resolve().parent

#: ``corpus.AT_REVISION``, with each file's ``run`` timed into the file named second
TIMED_RUNNER = """
import sys, time
root, out = sys.argv.pop(1), sys.argv.pop(1)
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path[:0] = [root, root + "/runtime"]
import flake8_wandb
assert flake8_wandb.__file__.startswith(root), flake8_wandb.__file__
from flake8_wandb.plugin import WandbChecker
checked = WandbChecker.run
def run(self):
    start = time.process_time()
    rows = list(checked(self))
    with open(out, "a", encoding="utf-8") as f:
        f.write(f"{time.process_time() - start}\\n")
    return iter(rows)
WandbChecker.run = run
from flake8.main.cli import main
sys.exit(main())
"""


def plugin_seconds(
    runner: Path, root: Path, cwd: Path, out: Path, jobs: str, folder: str = "wandb"
) -> float:
    out.unlink(missing_ok=True)
    args = ["--select=E,F,W,WB", "--wandb-no-cache", "--exit-zero", "--isolated", "-j", jobs]
    cmd = [sys.executable, str(runner), str(root), str(out), *args, folder]
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, check=True)
    return sum(float(line) for line in out.read_text(encoding="utf-8").split())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("-j", "--jobs", default="2")
    parser.add_argument("--baseline", required=True, help="a git revision to time beside")
    parser.add_argument("--corpus", choices=("wandb", "torch"), default="wandb")
    opts = parser.parse_args()
    precompile()
    files = wandb_corpus(0) if opts.corpus == "wandb" else torch_corpus(600)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        copy_tree(files, package_dir(opts.corpus).parent, tmp / "project")
        runner = tmp / "timed_runner.py"
        runner.write_text(TIMED_RUNNER, encoding="utf-8")
        with revision_checkout(opts.baseline, tmp) as (tree, _):
            now, then = [], []
            for _ in range(opts.repeats):
                cwd, out = tmp / "project", tmp / "seconds.txt"
                now.append(plugin_seconds(runner, HERE.parent, cwd, out, opts.jobs, opts.corpus))
                then.append(plugin_seconds(runner, tree, cwd, out, opts.jobs, opts.corpus))
    a, b = statistics.median(now), statistics.median(then)
    fewer = sum(x < y for x, y in zip(now, then))
    print(
        f"{opts.corpus} package ({len(files)} files), -j {opts.jobs}, {opts.repeats} rounds | "
        f"the plugin's CPU in flake8's workers: this checkout median {a:.3f} s (min {min(now):.3f}), {opts.baseline} "
        f"{b:.3f} s (min {min(then):.3f}) | ratio {a / b:.3f}; less in {fewer} of "
        f"{opts.repeats} rounds"
    )


if __name__ == "__main__":
    main()
