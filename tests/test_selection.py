"""Opt-in rules are off by default and on when selected, the way flake8 users expect.

flake8-bugbear's opt-in codes confused users for years (its issues #19, #112, #221, #266): a
plain --select=B turned them on, or a config --ignore silently dropped the default ignore list
that kept them off. Here every combination a user might write is run through the real flake8
and wandb-fix, on one file where default and opt-in rules all fire.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import parse_report, run_flake8, write

WANDB_FIX = str(Path(sys.executable).parent / "wandb-fix")

SOURCE = """\
import wandb

for seed in range(3):
    run = wandb.init(project="demo", name="baseline", config={"seed": seed})
    run.log({"batch/loss": 0.1, "loss": 0.2})
    run.summary["best"] = 1.0
"""
DEFAULT = {"WB101"}
WB6 = {"WB601", "WB602", "WB603", "WB604"}
CONVENTIONS = {"WB103", "WB104"} | WB6

CASES = [
    # (flake8 arguments, config lines, expected WB codes)
    ([], "", DEFAULT),
    (["--select=WB"], "", DEFAULT),
    (["--select=WB1"], "", DEFAULT),  # a family prefix shorter than WB103 keeps WB103 off
    (["--extend-select=WB6"], "", DEFAULT | WB6),
    (["--select=WB604"], "", {"WB604"}),
    (["--select=WB6"], "", WB6),
    (["--select=WB", "--extend-select=WB6"], "", DEFAULT | WB6),
    (["--extend-select=WB6", "--ignore=WB604"], "", DEFAULT | WB6 - {"WB604"}),
    (["--extend-select=WB6", "--extend-ignore=WB60"], "", DEFAULT),
    (["--extend-select=WB103,WB104,WB6"], "", DEFAULT | CONVENTIONS),
    (["--ignore=E501"], "", DEFAULT),  # an --ignore never switches conventions on
    (["--extend-ignore=WB101"], "", set()),
    ([], "extend-select = WB6\n", DEFAULT | WB6),
    ([], "select = WB604\n", {"WB604"}),
    ([], "extend-select = WB6\nextend-ignore = WB603\n", DEFAULT | WB6 - {"WB603"}),
    ([], "ignore = E501\nextend-select = WB103\n", DEFAULT | {"WB103"}),
    (["--extend-select=WB6"], "extend-ignore = WB6\n", DEFAULT),
]


@pytest.mark.parametrize("args, config, expected", CASES)
def test_flake8_selection(tmp_path, args, config, expected):
    write(tmp_path, "train.py", SOURCE)
    if config:
        write(tmp_path, ".flake8", "[flake8]\n" + config)
    _, out, err = run_flake8(["train.py"], *args, cwd=tmp_path)
    assert err == ""
    assert {row[3] for row in parse_report(out) if row[3].startswith("WB")} == expected


WANDB_FIX_CASES = [
    ([], "", DEFAULT),
    (["--select=WB"], "", DEFAULT),
    (["--extend-select=WB6"], "", DEFAULT | WB6),
    (["--select=WB604"], "", {"WB604"}),
    (["--select=constant-run-name"], "", {"WB604"}),
    (["--extend-select=WB6", "--ignore=WB604"], "", DEFAULT | WB6 - {"WB604"}),
    (["--extend-select=WB103,untiered-metric-key"], "", DEFAULT | {"WB103", "WB104"}),
    ([], 'extend-select = ["WB6"]\n', DEFAULT | WB6),
    ([], 'extend-select = ["WB6"]\nignore = ["WB602"]\n', DEFAULT | WB6 - {"WB602"}),
]


@pytest.mark.parametrize("args, config, expected", WANDB_FIX_CASES)
def test_wandb_fix_selection(tmp_path, args, config, expected):
    write(tmp_path, "train.py", SOURCE)
    if config:
        write(tmp_path, "pyproject.toml", "[tool.flake8-wandb]\n" + config)
    proc = subprocess.run(
        [WANDB_FIX, "--check", *args, "train.py"], capture_output=True, text=True, cwd=tmp_path
    )
    assert {row[3] for row in parse_report(proc.stdout)} == expected
