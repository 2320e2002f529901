"""What a fix that needs an import costs on a large module, against linting the same module.

    python bench/bench_import_fix.py [--lines 20000 100000] [--repeats 3] [--prints 0]

For each size, a module of N top-level statements (a docstring, ``import wandb``, then N
assignments) with one import-needing fix at the end (``mode="offline"``, fixed to
``mode=wandb_mode("offline")`` plus ``from wandb_runtime import wandb_mode``), alternating in the
same run (the machine is shared and noisy):

  A  wandb-fix --check                       (one lint)
  B  wandb-fix --apply --unsafe-fixes        (lint, fix, the import a libcst transform, lint again)

and prints the medians and the median of the per-pair ratios B/A. The import used to be added by
re-emitting the whole module with libcst: 38-51 s at 100k lines, and a RecursionError (every
import-needing fix reverted) on a module of a docstring and ~1,000 statements.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def module(n: int, prints: int = 0) -> str:
    """N statements and one ``mode=`` fix; with ``prints``, that many ``print(loss)`` under
    ``console="off"`` too, each fixed to ``echo(...)`` with the same import."""
    lines = ['"""A large module."""', "import wandb", ""]
    lines += [f"x{i} = {i}" for i in range(n)]
    lines += [
        'run = wandb.init(project="p", config={}, mode="offline", settings={"console": "off"})'
    ]
    lines += ["loss = 0.5"] + ["print('loss', loss)"] * prints + ["run.log({'a': 1}, step=0)", ""]
    return "\n".join(lines)


def timed(cmd, cwd) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--prints", type=int, default=0, help="also fix this many print() calls")
    args = parser.parse_args()
    fix = str(BIN / "wandb-fix")
    for n in args.lines:
        text = module(n, args.prints)
        check, apply, ratios = [], [], []
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "big.py"
            for _ in range(args.repeats):
                path.write_text(text)
                a = timed([fix, "--check", path.name], tmp)
                path.write_text(text)
                b = timed([fix, "--apply", "--unsafe-fixes", path.name], tmp)
                fixed = path.read_text()
                assert (
                    'mode=wandb_mode("offline")' in fixed and fixed.count("echo(") == args.prints
                ), "not fixed"
                check.append(a)
                apply.append(b)
                ratios.append(b / a)
        print(
            f"{n:>7} lines, {args.prints} prints: --check {statistics.median(check):6.2f} s, "
            f"--apply --unsafe-fixes {statistics.median(apply):6.2f} s, "
            f"ratio {statistics.median(ratios):.2f}"
        )


if __name__ == "__main__":
    main()
