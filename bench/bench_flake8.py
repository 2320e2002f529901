"""How much the WB plugin adds to a flake8 run.

    python bench/bench_flake8.py [--repeats 5] [--torch-files 600] [--wandb-files 0]

For each corpus, alternates in the same run (this machine is shared and noisy):

  A  plain flake8 (the plugin left out of discovery)       --select=E,F,W
  B  flake8 with the plugin                                 --select=E,F,W,WB

and prints the median of the per-pair ratios B/A, in CPU seconds of the flake8 process. (Both with the plugin installed,
``--select=E,F,W`` and ``--select=E,F,W,WB`` cost the same: flake8 runs every installed plugin
and filters codes afterwards, and ``W`` already matches ``WB``.)
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import count_lines, precompile, torch_corpus, wandb_corpus  # noqa: E402

HERE = Path(__file__).parent


def timed(cmd, cwd=None) -> float:
    """CPU seconds (user + system) of the command: steadier than wall time on a shared machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd=cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench(name: str, files, repeats: int) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(str(f) for f in files))
    args = ["--exit-zero", "--isolated", *map(str, files)]
    plain = [sys.executable, str(HERE / "flake8_without_plugin.py"), "--select=E,F,W", *args]
    # the persistent cache is left out: every run is a first run (bench_project.py measures both)
    with_wb = [sys.executable, "-m", "flake8", "--select=E,F,W,WB", "--wandb-no-cache", *args]
    a_times, b_times, ratios = [], [], []
    for _ in range(repeats):
        a = timed(plain)
        b = timed(with_wb)
        a_times.append(a)
        b_times.append(b)
        ratios.append(b / a)
    lines = count_lines(files)
    print(
        f"{name}: {len(files)} files, {lines} lines, {repeats} pairs | "
        f"plain flake8 median {statistics.median(a_times):.2f} CPU s "
        f"({lines / statistics.median(a_times):,.0f} lines/s) | "
        f"with WB median {statistics.median(b_times):.2f} CPU s | "
        f"median ratio {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--torch-files", type=int, default=600, help="0 = all of torch")
    parser.add_argument(
        "--wandb-files", type=int, default=0, help="0 = every file that mentions wandb"
    )
    opts = parser.parse_args()
    precompile()  # measure the plugin as installed: its bytecode written
    bench("torch (few files use wandb)", torch_corpus(opts.torch_files), opts.repeats)
    bench("wandb (every file mentions wandb)", wandb_corpus(opts.wandb_files), opts.repeats)


if __name__ == "__main__":
    main()
