"""WB305, WB308, WB309 and WB702 through both front ends and in a notebook, and WB308 against the
target wandb version the front ends are given."""

from __future__ import annotations

import json
from pathlib import Path

from test_fix_cli import wandb_fix
from test_notebooks import notebook, validate

from helpers import parse_report, run_flake8, write

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "upgrade_and_scale.py"
NEW = {"WB305", "WB308", "WB309", "WB702"}


def _wandb_fix_rows(out: str) -> set[tuple[int, str]]:
    rows = set()
    for line in out.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[3].strip().startswith("WB"):
            rows.add((int(parts[1]), parts[3].split()[0]))
    return rows


def test_both_front_ends_report_the_same_findings(tmp_path):
    source = EXAMPLE.read_text(encoding="utf-8")
    write(tmp_path, "t.py", source)
    rc, out, err = run_flake8(["t.py"], "--select=WB", "--extend-select=WB309", cwd=tmp_path)
    assert err == "" and rc == 1
    by_flake8 = {(line, code) for _, line, _, code in parse_report(out) if code in NEW}
    assert {code for _, code in by_flake8} == NEW
    proc = wandb_fix("--check", "--extend-select=WB309", "t.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    by_fixer = {row for row in _wandb_fix_rows(proc.stdout) if row[1] in NEW}
    assert by_fixer == by_flake8


def test_wb308_follows_the_target_version_in_both_front_ends(tmp_path):
    source = (
        "import wandb\n\nrun = wandb.init(project='p', config={})\n"
        "run.log({'a': 1}, step=0, sync=True)\nprint(run.get_url())\n"
    )
    write(tmp_path, "t.py", source)
    expected = {"0.19.11": set(), "0.28.2": {4}, "0.31.0": {4, 5}}
    for version, lines in expected.items():
        _, out, _ = run_flake8(
            ["t.py"], "--select=WB", f"--wandb-target-version={version}", cwd=tmp_path
        )
        assert {line for _, line, _, code in parse_report(out) if code == "WB308"} == lines
        proc = wandb_fix("--check", f"--wandb-target-version={version}", "t.py", cwd=tmp_path)
        assert {line for line, code in _wandb_fix_rows(proc.stdout) if code == "WB308"} == lines


def test_safe_fixes_apply_without_unsafe_fixes(tmp_path):
    source = (
        "import wandb\n\n"
        'wandb.require("service")\n'
        "run = wandb.init(project='p', config={})\n"
        "print(run.get_url())\n"
        "run.finish(quiet=True)\n"
    )
    path = write(tmp_path, "t.py", source)
    proc = wandb_fix("--apply", "t.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert path.read_text(encoding="utf-8") == (
        "import wandb\n\nrun = wandb.init(project='p', config={})\nprint(run.url)\nrun.finish()\n"
    )


def test_the_new_rules_in_a_notebook(tmp_path):
    nb = notebook(
        "import pandas as pd\nimport wandb",
        "run = wandb.init(project='nb', config={})\nwandb.config = {'lr': 0.1}",
        "print(run.get_url())",
        "api = wandb.Api()\ndf = api.run('team/nb/abc').history(keys=['loss'])\ndf['loss'].min()",
    )
    path = write(tmp_path, "analysis.ipynb", nb)
    proc = wandb_fix("--unsafe-fixes", "analysis.ipynb", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    where = sorted(
        (line.split(" WB")[0], "WB" + line.split(" WB")[1][:3])
        for line in proc.stdout.splitlines()
        if ": WB3" in line or ": WB7" in line
    )
    assert where == [
        ("analysis.ipynb:cell 2:2:1:", "WB303"),
        ("analysis.ipynb:cell 2:2:1:", "WB305"),
        ("analysis.ipynb:cell 3:1:7:", "WB308"),
        ("analysis.ipynb:cell 4:2:6:", "WB702"),
    ]
    proc = wandb_fix("--apply", "--unsafe-fixes", "analysis.ipynb", cwd=tmp_path)
    fixed = path.read_text(encoding="utf-8")
    validate(fixed)
    cells = ["".join(c["source"]) for c in json.loads(fixed)["cells"]]
    assert cells[1].endswith("wandb.config.update({'lr': 0.1})")
    assert cells[2] == "print(run.url)"
    assert "pd.DataFrame(list(api.run('team/nb/abc').scan_history(keys=['loss'])))" in cells[3]
    for code in cells:
        compile(code, "cell", "exec")
