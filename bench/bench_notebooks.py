"""wandb-fix on notebooks, beside the same code as .py scripts, per notebook.

    python bench/bench_notebooks.py FOLDER [--repeats 3]

FOLDER holds .ipynb files (for example a clone of github.com/wandb/examples). Each notebook's
code cells are also exported as one .py script (IPython lines commented out, as nbconvert
would), so the baseline is the same code without the notebook: the ratio is what reading the
JSON, masking IPython syntax and mapping cells costs. Commands, alternated in the same run:
wandb-fix --check and the dry run (-j1) on the notebooks and on the scripts. Then, in one
process, the time of each notebook alone (median and slowest).
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

from flake8_wandb.notebook import Notebook, NotebookError
from flake8_wandb.pipeline import Options, process

BIN = Path(sys.executable).parent


def export(text: str) -> str:
    nb = Notebook(text)
    return "".join(
        c.masked + ("\n" if c.masked and not c.masked.endswith("\n") else "") for c in nb.cells
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    opts = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-nb-"))
    notebooks, scripts = work / "notebooks", work / "scripts"
    count = size = 0
    for f in sorted(opts.folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in f.parts:
            continue
        rel = f.relative_to(opts.folder)
        text = f.read_text(encoding="utf-8", errors="replace")
        try:
            code = export(text)
        except NotebookError:
            code = ""
        (notebooks / rel).parent.mkdir(parents=True, exist_ok=True)
        (scripts / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, notebooks / rel)
        (scripts / rel).with_suffix(".py").write_text(code, encoding="utf-8")
        count += 1
        size += f.stat().st_size
    commands = {
        "check, notebooks": ("notebooks", ["--check"]),
        "check, same code as .py": ("scripts", ["--check"]),
        "dry run, notebooks": ("notebooks", []),
        "dry run, same code as .py": ("scripts", []),
    }
    times = {name: [] for name in commands}
    for _ in range(opts.repeats):
        for name, (folder, args) in commands.items():
            cmd = [str(BIN / "wandb-fix"), *args, "-j1", "-q", "--no-gitignore", "."]
            start = time.perf_counter()
            subprocess.run(
                cmd, cwd=work / folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            times[name].append(time.perf_counter() - start)
    print(f"corpus: {count} notebooks, {size / 1e6:.1f} MB of JSON")
    for name, samples in times.items():
        median = statistics.median(samples)
        base = statistics.median(times[name.split(",")[0] + ", same code as .py"])
        print(
            f"{name:28} median {median:6.2f}s  {1000 * median / count:6.1f} ms/notebook  "
            f"{median / base:5.2f}x .py"
        )
    # one process, one notebook at a time (the start-up of the command left out)
    per_file = []
    options = Options(mode="diff")
    for f in sorted(notebooks.rglob("*.ipynb")):
        start = time.perf_counter()
        process(f, options)
        per_file.append((time.perf_counter() - start, f.relative_to(notebooks)))
    per_file.sort()
    ms = [1000 * t for t, _ in per_file]
    print(
        f"in one process, dry run per notebook: median {statistics.median(ms):.1f} ms, "
        f"95th percentile {ms[int(0.95 * (len(ms) - 1))]:.1f} ms, "
        f"slowest {ms[-1]:.1f} ms ({per_file[-1][1]})"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
