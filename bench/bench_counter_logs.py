"""Is WB101's counter analysis linear in the number of log calls? (issue 18)

    python bench/bench_counter_logs.py [--repeats 3] [--sizes 500,1000,2000,4000]

The two shapes of the audit (../shared/repros/hostile/turn3/quadratic_counter_logs.py):

- A: a counter in a loop nest (``global_step = 0; for epoch: for batch: global_step += 1``) and
  N step-less ``run.log`` calls in the inner loop;
- B: N module-level pairs ``step = i`` / ``wandb.log(...)``.

For each size it times WB101 alone and every default rule (parse, name table, the one traversal;
median of the repeats) and prints the ratio to the previous size: about 2.0 per doubling is
linear, 4.0 quadratic. Before the counter verdict was kept per loop nest, WB101 alone took
1.5 / 5.7 / 22 / 138 s on shape A at 500 / 1,000 / 2,000 / 4,000 calls (through wandb-fix).
"""

from __future__ import annotations

import argparse
import ast
import statistics
import time

from flake8_wandb.engine import Engine
from flake8_wandb.rules import DEFAULT_RULES
from flake8_wandb.rules.log_without_step import LogWithoutStep


def counter_in_loop_nest(n: int) -> str:
    head = (
        "import wandb\nrun = wandb.init(project='p', config={})\nglobal_step = 0\n"
        "for epoch in range(3):\n    for batch in range(10):\n        global_step += 1\n"
    )
    return head + "".join(f"        run.log({{'m{i}': {i}}})\n" for i in range(n))


def module_level_steps(n: int) -> str:
    return "import wandb\n" + "".join(f"step = {i}\nwandb.log({{'x': step}})\n" for i in range(n))


def timed(engine: Engine, source: str, repeats: int) -> float:
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
    parser.add_argument("--sizes", default="500,1000,2000,4000")
    opts = parser.parse_args()
    sizes = [int(s) for s in opts.sizes.split(",")]
    engines = (("WB101 alone", Engine([LogWithoutStep])), ("default rules", Engine(DEFAULT_RULES)))
    for shape, make in (
        ("A counter in a loop nest", counter_in_loop_nest),
        ("B module-level step = i", module_level_steps),
    ):
        for label, engine in engines:
            previous = None
            for n in sizes:
                t = timed(engine, make(n), opts.repeats)
                ratio = f"x{t / previous:.2f} vs previous size" if previous else ""
                print(f"{shape:26} {label:13} N={n:5}: {t:7.3f}s {ratio}")
                previous = t


if __name__ == "__main__":
    main()
