"""Does the analysis stay linear in the size of a file?

    python bench/bench_scaling.py [--repeats 3] [--sizes 1000,2000,4000]

Two hostile shapes (issue 12 item 5): one loop holding N step-less ``wandb.log`` calls, and a
notebook export with N module-level statements and a log every fourth one. For each size it times
the whole engine on the file (parse, name table, every default rule; median of the repeats) and
prints the ratio to the previous size: about 2.0 per doubling is linear, 4.0 quadratic.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import time

from flake8_wandb.engine import Engine
from flake8_wandb.rules import DEFAULT_RULES


def many_logs(n: int) -> str:
    body = "".join(f"    wandb.log({{'m{i}': {i}}})\n" for i in range(n))
    return "import wandb\nrun = wandb.init(mode='offline')\nfor step in range(10):\n" + body


def notebook(n: int) -> str:
    lines = ["import wandb", 'run = wandb.init(project="p", config={})']
    for i in range(n):
        lines.append(f"x{i} = compute({i})")
        if i % 4 == 0:
            lines.append(f'wandb.log({{"x{i}": x{i}}})')
    return "\n".join(lines) + "\n"


def timed(source: str, repeats: int) -> float:
    engine = Engine(DEFAULT_RULES)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        engine.check(ast.parse(source), source)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="1000,2000,4000")
    opts = parser.parse_args()
    sizes = [int(s) for s in opts.sizes.split(",")]
    for name, make in (
        ("one loop, N wandb.log calls", many_logs),
        ("notebook, N statements", notebook),
    ):
        previous = None
        for n in sizes:
            t = timed(make(n), opts.repeats)
            ratio = f"x{t / previous:.2f} vs previous size" if previous else ""
            print(f"{name:30} N={n:6}: {t:7.3f}s {ratio}")
            previous = t


if __name__ == "__main__":
    main()
