"""Overhead of wandb_runtime.log over a bare run.log, on a real offline run.

    python bench/bench_runtime.py [--calls 2000] [--repeats 7]

Alternates blocks of bare ``run.log(d, step=i)`` and ``wandb_runtime.log(d, i, run=run)`` in the
same run (the machine is shared and noisy) and prints the median per-call time of each, and the
difference: what the shim adds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "runtime"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    opts = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-runtime-")
    os.environ.update(  # noqa: WB301  a benchmark must never reach the network
        WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DIR=tmp, WANDB_CACHE_DIR=tmp
    )
    import wandb

    import wandb_runtime

    run = wandb.init(project="bench", dir=tmp, config={})
    metrics = {"train/loss": 0.5, "train/lr": 1e-3, "system/gpu_mem_used_GB": 1.0}
    step = 0
    bare, shim = [], []
    for _ in range(opts.repeats):
        start = time.perf_counter()
        for _ in range(opts.calls):
            run.log(metrics, step=step)  # noqa: WB102  what this benchmark times
            step += 1
        bare.append((time.perf_counter() - start) / opts.calls * 1e6)
        start = time.perf_counter()
        for _ in range(opts.calls):
            wandb_runtime.log(metrics, step, run=run)
            step += 1
        shim.append((time.perf_counter() - start) / opts.calls * 1e6)
    run.finish()
    diffs = [s - b for s, b in zip(shim, bare)]

    class NullRun:  # isolates the shim's own bookkeeping from wandb's noise
        def log(self, metrics, step=None):
            pass

    null = NullRun()
    null_bare, null_shim = [], []
    n = opts.calls * 10
    for r in range(opts.repeats):
        steps = range(r * n, (r + 1) * n)  # increasing across repeats: no backwards-step warning
        start = time.perf_counter()
        for i in steps:
            null.log(metrics, step=i)
        null_bare.append((time.perf_counter() - start) / n * 1e6)
        start = time.perf_counter()
        for i in steps:
            wandb_runtime.log(metrics, i, run=null)
        null_shim.append((time.perf_counter() - start) / n * 1e6)
    print(
        f"run.log: median {statistics.median(bare):.1f} us/call | wandb_runtime.log: median "
        f"{statistics.median(shim):.1f} us/call | added by the shim: median "
        f"{statistics.median(diffs):+.1f} us/call ({opts.repeats} x {opts.calls} calls each)"
    )
    print(
        f"shim bookkeeping alone (a run whose log does nothing): "
        f"{statistics.median(null_shim) - statistics.median(null_bare):+.2f} us/call"
    )


if __name__ == "__main__":
    main()
