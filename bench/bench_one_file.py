"""Start-up cost of the plugin on the one-file runs of pre-commit and editors.

    python bench/bench_one_file.py [--repeats 15]

Alternates plain flake8 (the plugin left out of discovery) and flake8 with the plugin on one
file without W&B code and on examples/train.py, and prints medians and the median ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

sys.path.insert(0, str(Path(__file__).parent))
from corpus import precompile  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=15)
    opts = parser.parse_args()
    precompile()  # measure the plugin as installed: its bytecode written
    plain_file = Path(tempfile.mkdtemp()) / "utils.py"
    plain_file.write_text(
        "import torch\n\n\ndef scale(x):\n    return torch.nn.functional.relu(x) * 2\n"
    )
    for label, path in (
        ("file without W&B code", plain_file),
        ("examples/train.py", HERE.parent / "examples" / "train.py"),
    ):
        plain = [sys.executable, str(HERE / "flake8_without_plugin.py"), "--isolated", str(path)]
        with_wb = [sys.executable, "-m", "flake8", "--isolated", "--wandb-no-cache", str(path)]
        a, b = [], []
        for _ in range(opts.repeats):
            for cmd, times in ((plain, a), (with_wb, b)):
                start = time.perf_counter()
                subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times.append(time.perf_counter() - start)
        ratio = statistics.median(y / x for x, y in zip(a, b))
        print(
            f"{label}: plain flake8 {statistics.median(a) * 1e3:.0f} ms | with WB {statistics.median(b) * 1e3:.0f} ms | median ratio {ratio:.3f}"
        )


if __name__ == "__main__":
    main()
