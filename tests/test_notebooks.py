"""wandb-fix on Jupyter notebooks, as users run it: the console script on real .ipynb files.

The fixtures in tests/notebooks/ are written in the shapes of W&B's public notebooks: a Colab
quickstart (Colab's key order and 2-space indent, ``!pip install``, no final newline), a training
loop split over cells with ``%env``/``%%capture``/``x = !cmd``/``obj?`` (Jupyter's layout), and a
sweep with ``wandb.agent`` (ASCII-escaped JSON, nbformat 4.4 without cell ids).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_fix_cli import _pre_commit, hook_repo, wandb_fix  # noqa: F401 (hook_repo: a fixture)

from flake8_wandb.notebook import Notebook, NotebookError, rebuild
from flake8_wandb.notebook_magics import env_assignment
from helpers import write

FIXTURES = Path(__file__).resolve().parent / "notebooks"


def fixture(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    shutil.copyfile(FIXTURES / name, path)
    return path


def item(text: str, ensure_ascii: bool = False) -> str:
    """A source line as the notebook's JSON holds it."""
    return json.dumps(text, ensure_ascii=ensure_ascii)


def esc(text: str) -> str:
    """Code as a JSON string holds it (inside a cell whose source is one string)."""
    return json.dumps(text)[1:-1]


def same_but_sources(before: dict, after: dict) -> None:
    """Everything but the code cells' sources is equal; sources keep their form."""
    assert {k: v for k, v in before.items() if k != "cells"} == {
        k: v for k, v in after.items() if k != "cells"
    }
    assert len(before["cells"]) == len(after["cells"])
    for a, b in zip(before["cells"], after["cells"]):
        assert list(a) == list(b)  # key order too
        assert {k: v for k, v in a.items() if k != "source"} == {
            k: v for k, v in b.items() if k != "source"
        }
        assert type(a["source"]) is type(b["source"])
        if a["cell_type"] != "code":
            assert a["source"] == b["source"]


def validate(text: str) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbformat.validate(nbformat.reads(text, as_version=4))


def notebook(*sources, **meta) -> str:
    """A small nbformat 4.5 notebook in Jupyter's layout; a source given as a list stays one."""
    cells = []
    for i, src in enumerate(sources):
        cells.append(
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell{i}",
                "metadata": {},
                "outputs": [],
                "source": src if isinstance(src, str) else list(src),
            }
        )
    nb = {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# -- the acceptance path: see each finding with its cell, apply, only the edited lines change -----


def test_dry_run_shows_each_finding_with_its_cell(tmp_path):
    path = fixture(tmp_path, "train_split.ipynb")
    before = path.read_bytes()
    proc = wandb_fix("--unsafe-fixes", "train_split.ipynb", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if ": WB" in line]
    # the run is made in cell 5 and logged in cell 8, the step counter set in cell 6; cells are
    # counted as ruff, Jupyter and VS Code count them: markdown too (cells 1 and 7 are markdown).
    # Cell 2's ``%env WANDB_MODE=offline`` is a hard-coded mode, with no fix (it is a magic)
    assert [line.split(" WB")[0] for line in lines] == [
        "train_split.ipynb:cell 2:1:1:",
        "train_split.ipynb:cell 5:2:52:",
        "train_split.ipynb:cell 8:6:13:",
    ]
    assert "WB301" in lines[0] and not lines[0].endswith("]")
    assert "WB306" in lines[1] and "step=global_step" in lines[2]
    # the diff is of the cells' code, not of the JSON
    assert "--- a/train_split.ipynb:cell 8\n+++ b/train_split.ipynb:cell 8\n" in proc.stdout
    assert '-            run.log({"train/loss": loss})\n' in proc.stdout
    assert '+            run.log({"train/loss": loss}, step=global_step)\n' in proc.stdout
    assert "3 findings, 2 fixable with --apply, in 1 file of 1 checked" in proc.stderr
    assert path.read_bytes() == before


def test_apply_changes_only_the_edited_lines_of_a_split_training_loop(tmp_path):
    path = fixture(tmp_path, "train_split.ipynb")
    original = path.read_text(encoding="utf-8")
    proc = wandb_fix("--apply", "--unsafe-fixes", "train_split.ipynb", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the %env line has no fix
    assert "fixed 2 findings; 1 left" in proc.stderr
    fixed = path.read_text(encoding="utf-8")
    # byte for byte: the original text with exactly two source lines replaced
    old1 = 'run = wandb.init(project="nb-demo", config=config, reinit=True)'
    new1 = 'run = wandb.init(project="nb-demo", config=config, reinit="finish_previous")'
    old2 = '            run.log({"train/loss": loss})\n'
    new2 = '            run.log({"train/loss": loss}, step=global_step)\n'
    assert original.count(item(old1)) == 1 and original.count(item(old2)) == 1
    assert fixed == original.replace(item(old1), item(new1)).replace(item(old2), item(new2))
    same_but_sources(json.loads(original), json.loads(fixed))
    validate(fixed)
    # a second run changes nothing
    proc = wandb_fix("--apply", "--unsafe-fixes", "train_split.ipynb", cwd=tmp_path)
    assert proc.returncode == 1 and path.read_text(encoding="utf-8") == fixed


def test_colab_quickstart_import_goes_to_the_cell_that_imports_wandb(tmp_path):
    path = fixture(tmp_path, "colab_quickstart.ipynb")
    original = path.read_text(encoding="utf-8")
    assert not original.endswith("\n")  # Colab writes no final newline
    proc = wandb_fix("--check", "colab_quickstart.ipynb", cwd=tmp_path)
    assert proc.returncode == 1
    # cell 1 is markdown, cell 2 is !pip install
    assert "colab_quickstart.ipynb:cell 5:8:7: WB301 " in proc.stdout
    assert "colab_quickstart.ipynb:cell 5:26:7: WB101 " in proc.stdout
    proc = wandb_fix("--apply", "--unsafe-fixes", "colab_quickstart.ipynb", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # WB101/WB102 have no fix here
    fixed = path.read_text(encoding="utf-8")
    indent = "        "  # Colab: 2 spaces a level, the source list 4 levels deep
    # the import is an edit of the fix, beside the notebook's own import of wandb (cell 3)
    new_line = item("from wandb_runtime import wandb_mode\n")
    expected = original.replace(
        item("import wandb\n"), item("import wandb\n") + ",\n" + indent + new_line
    ).replace(item('      mode="offline",\n'), item('      mode=wandb_mode("offline"),\n'))
    assert fixed == expected
    same_but_sources(json.loads(original), json.loads(fixed))
    validate(fixed)
    nb = json.loads(fixed)
    assert nb["cells"][2]["source"][2] == "from wandb_runtime import wandb_mode\n"  # one line


def test_sweep_keeps_the_ascii_escaped_style_and_is_not_told_to_add_a_config(tmp_path):
    path = fixture(tmp_path, "sweep.ipynb")
    original = path.read_text(encoding="utf-8")
    assert original.isascii() and "\\u00e9" in original
    proc = wandb_fix("--check", "sweep.ipynb", cwd=tmp_path)
    assert "WB303" not in proc.stdout  # wandb.agent supplies the config of a sweep run
    assert "sweep.ipynb:cell 7:3:36: WB306 " in proc.stdout
    assert "sweep.ipynb:cell 8:6:9: WB102 " in proc.stdout  # logs every batch
    proc = wandb_fix("--apply", "sweep.ipynb", cwd=tmp_path)
    fixed = path.read_text(encoding="utf-8")
    old = "    with wandb.init(config=config, reinit=True):\n"
    new = '    with wandb.init(config=config, reinit="finish_previous"):\n'
    assert fixed == original.replace(item(old, True), item(new, True))
    # an edited line with a non-ASCII character keeps the file's \u escapes
    nb = json.loads(original)
    nb["cells"][6]["source"][1] = nb["cells"][6]["source"][1].replace("#", "# réglage:")
    nb["cells"][6]["source"][2] = old.replace("config=config", "config=config, name='café'")
    text = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=True) + "\n"
    path.write_text(text, encoding="utf-8")
    wandb_fix("--apply", "sweep.ipynb", cwd=tmp_path)
    fixed = path.read_text(encoding="utf-8")
    assert fixed.isascii()
    assert fixed == text.replace(
        item(old.replace("config=config", "config=config, name='café'"), True),
        item(new.replace("config=config", "config=config, name='café'"), True),
    )


@pytest.mark.slow  # a Jupyter kernel and a real wandb run
def test_fixed_notebook_runs_in_a_real_kernel_and_logs_at_the_right_steps(tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    from wandb_file import find_run_file, read_run

    path = fixture(tmp_path, "train_split.ipynb")
    wandb_fix("--apply", "--unsafe-fixes", "train_split.ipynb", cwd=tmp_path)
    runs = tmp_path / "runs"
    runs.mkdir()
    monkeypatch.setenv("WANDB_DIR", str(runs))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises on any cell error: %env, %%capture, !ls and run.log? all run
    rec = read_run(find_run_file(runs))
    train = [r for r in rec.history if "train/loss" in r]
    # steps from the fix (global_step), not wandb's implicit counter (0, 1, 2, ...)
    assert [r["_step"] for r in train] == [2, 4, 6, 8, 10]
    assert rec.config["lr"] == 0.05


def test_cells_are_numbered_as_ruff_numbers_them(tmp_path):
    """``cell N`` counts every cell from 1, markdown and raw included: a finding ruff reports on
    the same line of the same cell gets the same ``cell N:line`` from wandb-fix, in text, JSON
    and the diff's headers."""
    pytest.importorskip("ruff")
    code = "import {mod}; run = wandb.init(project='p', config={{}}, reinit=True)\n"
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Training\n"]},
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
         "source": ["import wandb\n", code.format(mod="os")]},
        {"cell_type": "markdown", "metadata": {}, "source": "Now the loop"},
        {"cell_type": "raw", "metadata": {}, "source": ["raw text\n"]},
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
         "source": ["x = 1\n", "\n", code.format(mod="sys")]},
    ]  # fmt: skip
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    write(tmp_path, "order.ipynb", json.dumps(nb, indent=1))
    ruff = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--select=F401"]
    proc = subprocess.run(
        [*ruff, "--output-format=concise", "order.ipynb"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    theirs = re.findall(r"^order\.ipynb:(cell \d+:\d+):\d+: F401", proc.stdout, re.M)
    assert theirs == ["cell 2:2", "cell 5:3"], proc.stdout + proc.stderr
    proc = wandb_fix("--check", "--select=WB306", "order.ipynb", cwd=tmp_path)
    ours = re.findall(r"^order\.ipynb:(cell \d+:\d+):\d+: WB306", proc.stdout, re.M)
    assert ours == theirs, proc.stdout
    rows = json.loads(
        wandb_fix("--check", "--select=WB306", "--format=json", "order.ipynb", cwd=tmp_path).stdout
    )
    data = json.loads(
        subprocess.run(
            [*ruff, "--output-format=json", "order.ipynb"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        ).stdout
    )
    assert [(r["cell"], r["line"]) for r in rows] == [
        (d["cell"], d["location"]["row"]) for d in data
    ]
    assert [(r["cell_index"], r["code_cell"]) for r in rows] == [(1, 1), (4, 2)]
    # the diffs name the same cells
    proc = subprocess.run(
        [*ruff, "--fix", "--diff", "order.ipynb"], capture_output=True, text=True, cwd=tmp_path
    )
    theirs = re.findall(r"^--- order\.ipynb:(cell \d+)$", proc.stdout, re.M)
    assert theirs == ["cell 2", "cell 5"], proc.stdout
    proc = wandb_fix("--select=WB306", "order.ipynb", cwd=tmp_path)
    assert re.findall(r"^--- a/order\.ipynb:(cell \d+)$", proc.stdout, re.M) == theirs


# -- IPython syntax --------------------------------------------------------------------------------


MAGICS = [
    "%env WANDB_MODE=offline\n!pip install -q wandb \\\n    torch\nimport wandb",
    ["files = !ls\n", "wandb.init?\n", "cd data/\n", "pip install wandb\n", "?wandb.log"],
    "%%bash\nwandb.log({'a': 1})\necho done",  # not Python: not checked
    "%%time\nrun = wandb.init(project='p', config={})\n"
    "for step in range(3):\n    run.log({'a': step})",
    'text = """\n!not a shell line\n%not a magic\n"""\nvalue = (3\n% 2)\nrun.log({"t": text})',
]


def test_ipython_syntax_is_masked_and_left_byte_for_byte(tmp_path):
    path = write(tmp_path, "magics.ipynb", notebook(*MAGICS))
    original = path.read_text(encoding="utf-8")
    proc = wandb_fix("--check", "magics.ipynb", cwd=tmp_path)
    assert proc.stderr.count("error") == 0, proc.stderr
    found = [
        line.split(": WB")[0] + " WB" + line.split(": WB")[1][:3]
        for line in proc.stdout.splitlines()
    ]
    # %env is read as the Python it stands for; the %%bash cell is not Python; the %%time body
    # and the lines after the strings are
    assert found == [
        "magics.ipynb:cell 1:1:1 WB301",
        "magics.ipynb:cell 4:4:5 WB101",
        "magics.ipynb:cell 5:7:1 WB101",
    ]
    wandb_fix("--apply", "--unsafe-fixes", "magics.ipynb", cwd=tmp_path)
    fixed = path.read_text(encoding="utf-8")
    assert fixed == original.replace(
        esc("    run.log({'a': step})"), esc("    run.log({'a': step}, step=step)")
    )


def test_masking_round_trips_and_refuses_edits_of_ipython_lines():
    nb = Notebook(notebook(*MAGICS))
    source = nb.prepare()
    assert not [c.skipped for c in nb.cells if c.skipped]
    bodies = nb.split(source)
    assert [nb.unmask(c, bodies[c.number]) for c in nb.cells] == [c.source for c in nb.cells]
    assert "pass  #" in nb.cells[0].masked and "files = ...  #" in nb.cells[1].masked
    assert 'text = """\n!not a shell line\n%not a magic\n"""' in nb.cells[4].masked
    # a fix that touched a masked line, moved a cell marker or broke a cell is refused
    with pytest.raises(NotebookError, match="IPython line of cell 1"):
        rebuild(nb, source.replace("pass  #", "pass # ", 1))
    with pytest.raises(NotebookError, match="across cells"):
        rebuild(nb, source.replace(nb.marker(nb.cells[2]), ""))
    with pytest.raises(NotebookError, match="would not compile"):
        rebuild(nb, source.replace("import wandb", "import wandb(", 1))


def test_a_cell_that_does_not_parse_is_reported_and_skipped(tmp_path):
    broken = ["print 'hello'\n", "x = (1,\n"]
    path = write(
        tmp_path,
        "broken.ipynb",
        notebook(
            "import wandb\nrun = wandb.init(project='p', config={}, reinit=True)",
            broken,
            "for step in range(3):\n    run.log({'a': 1})",
        ),
    )
    original = path.read_text(encoding="utf-8")
    proc = wandb_fix("--check", "broken.ipynb", cwd=tmp_path)
    assert proc.returncode == 2
    assert (
        "broken.ipynb: error: cell 2: cannot parse at line 1" in proc.stderr
        and "cell skipped" in proc.stderr
    )
    assert (
        "broken.ipynb:cell 1:2:42: WB306" in proc.stdout
        and "broken.ipynb:cell 3:2:5: WB101" in proc.stdout
    )
    wandb_fix("--apply", "--unsafe-fixes", "broken.ipynb", cwd=tmp_path)
    fixed = path.read_text(encoding="utf-8")
    assert fixed == original.replace("reinit=True", esc('reinit="finish_previous"')).replace(
        esc("    run.log({'a': 1})"), esc("    run.log({'a': 1}, step=step)")
    )


def test_bad_notebooks_are_reported_and_left_alone(tmp_path):
    bad = {
        "invalid.ipynb": '{"cells": [{"cell_type": "code", "source": "import wandb"}',
        "v3.ipynb": json.dumps(
            {"nbformat": 3, "worksheets": [{"cells": [{"input": "import wandb"}]}]}
        ),
        "latin1.ipynb": notebook("import wandb  # caf\xe9")
        .encode("utf-8")
        .replace(b"\xc3\xa9", b"\xe9"),
        "cells.ipynb": json.dumps({"nbformat": 4, "cells": {"source": "import wandb"}}),
    }
    for name, text in bad.items():
        (tmp_path / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    good = write(
        tmp_path,
        "good.ipynb",
        notebook("import wandb\nwandb.init(project='p', config={}, reinit=True)"),
    )
    r_kernel = write(
        tmp_path, "r.ipynb", notebook("wandb <- 1; wandb.log(x)", language_info={"name": "R"})
    )
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}
    proc = wandb_fix("--apply", ".", cwd=tmp_path)
    assert proc.returncode == 2
    errors = sorted(proc.stderr.splitlines()[:-1])
    assert errors[1].startswith(
        "invalid.ipynb: error: not a notebook: invalid JSON (Expecting ',' delimiter: line 1"
    )
    assert errors[:1] + errors[2:] == [
        "cells.ipynb: error: not a notebook: no list of cells; file left unchanged",
        "latin1.ipynb: error: not a notebook: not UTF-8 (invalid continuation byte); "
        "file left unchanged",
        "v3.ipynb: error: not an nbformat 4 notebook (nbformat 3); file left unchanged",
    ]
    assert (
        "fixed 1 finding; 0 left, 6 files checked, 4 errors" in proc.stderr
    )  # the good one was fixed
    for p, data in before.items():
        assert (p.read_bytes() == data) == (p != good), p
    assert r_kernel.read_bytes() == before[r_kernel]  # an R notebook is not Python: not read


# -- layouts ---------------------------------------------------------------------------------------


def test_layouts_the_json_may_have_are_kept(tmp_path):
    """A string source stays a string; CRLF, 4-space indent, a BOM, irregular line items and an
    empty list source keep their bytes."""
    cells = [
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "outputs": [],
            "source": [
                "import wandb\nrun = wandb.init(project='p', config={}, reinit=True)\n",
                "x = 1",
            ],
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "metadata": {},
            "outputs": [],
            "source": "for step in range(3):\n    run.log({'a': 1})",
        },
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": []},
    ]
    nb = {"metadata": {}, "nbformat": 4, "nbformat_minor": 4, "cells": cells}
    text = "\ufeff" + json.dumps(nb, indent=4).replace("\n", "\r\n")
    path = tmp_path / "layout.ipynb"
    path.write_bytes(text.encode("utf-8"))
    proc = wandb_fix("--apply", "--unsafe-fixes", "layout.ipynb", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    fixed = path.read_bytes().decode("utf-8")
    first = cells[0]["source"][0]
    indent = next(line for line in text.split("\r\n") if item(first) in line).split('"')[0]
    # the edited item held two lines: it is stored as Jupyter stores lines, one an item
    two = (
        item("import wandb\n")
        + ",\r\n"
        + indent
        + item(first.split("\n", 1)[1].replace("reinit=True", 'reinit="finish_previous"'))
    )
    assert fixed == text.replace(item(first), two).replace(
        item(cells[1]["source"]),
        item(cells[1]["source"].replace("'a': 1})", "'a': 1}, step=step)")),
    )
    assert json.loads(fixed[1:])["cells"][1]["source"].endswith("step=step)")


def test_output_formats_give_the_cell(tmp_path):
    path = fixture(tmp_path, "train_split.ipynb")
    file_line = next(
        i
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if esc('run.log({"train/loss": loss})') in line
    )
    proc = wandb_fix("--check", "--format=json", "train_split.ipynb", cwd=tmp_path)
    rows = json.loads(proc.stdout)
    wb101 = next(r for r in rows if r["code"] == "WB101")
    # cell 8 as ruff counts (markdown too); the 6th code cell; index 7 in the JSON's list
    assert (wb101["cell"], wb101["line"], wb101["column"], wb101["cell_id"]) == (8, 6, 13, "c7")
    assert (wb101["cell_index"], wb101["code_cell"]) == (7, 6)
    proc = wandb_fix("--check", "--format=github", "train_split.ipynb", cwd=tmp_path)
    assert (
        f"::error file=train_split.ipynb,line={file_line},endLine={file_line},"
        "title=WB101 log-without-step::cell 8:6:13: WB101 " in proc.stdout
    )
    proc = wandb_fix("--check", "--format=sarif", "train_split.ipynb", cwd=tmp_path)
    result = next(
        r for r in json.loads(proc.stdout)["runs"][0]["results"] if r["ruleId"] == "WB101"
    )
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": file_line,
        "endLine": file_line,
    }
    assert result["properties"] == {
        "applicability": "unsafe",
        "cell": 8,
        "codeCell": 6,
        "cellId": "c7",
        "cellLine": 6,
        "cellColumn": 13,
    }
    assert result["message"]["text"].startswith("cell 8:6:13: ")


def test_add_noqa_silences_each_finding_on_its_line(tmp_path):
    path = fixture(tmp_path, "train_split.ipynb")
    original = path.read_text(encoding="utf-8")
    proc = wandb_fix("--add-noqa", "train_split.ipynb", cwd=tmp_path)
    # a comment on a magic's line would be part of its argument: no # noqa goes there
    assert proc.returncode == 2, proc.stderr
    assert (
        "train_split.ipynb: error: WB301 at cell 2 line 1: an IPython line cannot take a # noqa"
        in proc.stderr
    )
    fixed = path.read_text(encoding="utf-8")
    old = 'run = wandb.init(project="nb-demo", config=config, reinit=True)'
    old2 = '            run.log({"train/loss": loss})\n'
    assert fixed == original.replace(item(old), item(old + "  # noqa: WB306")).replace(
        item(old2), item(old2[:-1] + "  # noqa: WB101\n")
    )
    proc = wandb_fix("--check", "train_split.ipynb", cwd=tmp_path)
    assert proc.stdout.count(": WB") == 1 and "cell 2:1:1: WB301" in proc.stdout


def test_folder_walk_finds_notebooks_but_not_jupyter_checkpoints(tmp_path):
    src = notebook("import wandb\nwandb.init(project='p', config={}, reinit=True)")
    write(tmp_path, "nb/train.ipynb", src)
    write(tmp_path, "nb/.ipynb_checkpoints/train-checkpoint.ipynb", src)
    write(
        tmp_path, "nb/train.py", "import wandb\nwandb.init(project='p', config={}, reinit=True)\n"
    )
    proc = wandb_fix("--check", "--no-gitignore", "-j2", ".", cwd=tmp_path)
    assert sorted(line.split(":")[0] for line in proc.stdout.splitlines()) == [
        "nb/train.ipynb",
        "nb/train.py",
    ]


# -- pre-commit ------------------------------------------------------------------------------------


@pytest.mark.slow  # pre-commit installs hook environments
def test_pre_commit_fixes_a_staged_notebook(tmp_path, hook_repo):  # noqa: F811
    repo = tmp_path / "project"
    repo.mkdir()
    home = tmp_path / "pre-commit-home"
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    path = fixture(repo, "train_split.ipynb")
    original = path.read_text(encoding="utf-8")
    subprocess.run(["git", "add", "train_split.ipynb"], cwd=repo, check=True)
    # flake8 cannot read a notebook: its hook does not take one
    proc = _pre_commit(repo, home, "try-repo", str(hook_repo), "flake8-wandb")
    assert proc.returncode == 0 and "(no files to check)Skipped" in proc.stdout, proc.stdout
    proc = _pre_commit(repo, home, "try-repo", str(hook_repo), "wandb-fix")
    assert proc.returncode == 1 and "files were modified by this hook" in proc.stdout, proc.stdout
    assert "train_split.ipynb:cell 8:6:13: WB101" in proc.stdout  # left: its fix is unsafe
    old = 'run = wandb.init(project="nb-demo", config=config, reinit=True)'
    assert path.read_text(encoding="utf-8") == original.replace(
        item(old), item(old.replace("reinit=True", 'reinit="finish_previous"'))
    )


def test_only_lines_that_start_a_statement_are_ipython():
    cell = (
        "s = \"#(\" + 'it\\'s ['\n"  # brackets and a hash inside strings, an escaped quote
        "!echo masked\n"
        "x = [1,\n"
        "!not_masked]\n"  # inside brackets: Python's own (a syntax error, as in IPython)
        "y = 1 + \\\n"
        "%not_masked\n"  # after a backslash continuation
        "print('why?')  # what?\n"  # a ? in a string or a comment is no help request
        "wandb.init??\n"
    )
    nb = Notebook(notebook(cell))
    masked = [line.split("  #")[0] for line in nb.cells[0].masked.splitlines()]
    assert masked == [
        "s = \"#(\" + 'it\\'s ['",
        "pass",
        "x = [1,",
        "!not_masked]",
        "y = 1 + \\",
        "%not_masked",
        "print('why?')",
        "pass",
    ]


#: cells with IPython assignments, and lines IPython leaves alone (they stay Python's)
ASSIGNMENTS = [
    "files, = !ls\n(out, err) = !cmd\n[first] = !ls\nd = {}\nd['k'] = !ls\n",
    "x.attr = %time f()\na, *b = !ls -1\nx: list = !ls\ny=!ls\nz = % time f()\n",
    "for i in range(2):\n    lines = !cat f\nif True: y = !ls\nd['a=b'] = !ls\n",
    "(out,\n err) = !cmd \\\n  --flag\nrun.log({'a': 1})\n",
    "x = \\\n  !ls\nhelp = !ls?\n",
    # not IPython assignments: the first ``=`` outside brackets is not followed by ``!``/``%name``
    "x = 1; y = 2\nn = 3 % 2\nok = x != 1\nx += 1\ns = 'a = !b'\nf(a=1)\n",
    "wandb.init(\n    project = 'p'\n)\nx = (1,\n     2)\n",
]


def test_every_ipython_assignment_target_is_masked_as_ipython_reads_it():
    """IPython's ``SystemAssign``/``MagicAssign`` take the statement's first ``=`` outside
    brackets followed by ``!`` or ``%name``, whatever the target; the placeholder keeps the
    target (so names stay bound) and the cell parses."""
    nb = Notebook(notebook(*ASSIGNMENTS))
    nb.prepare()
    assert [c.skipped for c in nb.cells] == [""] * len(ASSIGNMENTS)
    targets = [
        [p.split(" ...  #")[0].strip() for p, _ in c.masks.values() if " ...  #" in p]
        for c in nb.cells
    ]
    assert targets == [
        ["files, =", "(out, err) =", "[first] =", "d['k'] ="],
        ["x.attr =", "a, *b =", "x: list =", "y=", "z ="],
        ["lines =", "if True: y =", "d['a=b'] ="],
        ["err) ="],
        [""],  # the target is on the line before: only the command is masked
        [],
        [],
    ]
    bodies = nb.split(nb.virtual())
    assert [nb.unmask(c, bodies[c.number]) for c in nb.cells] == [c.source for c in nb.cells]
    # IPython itself, where installed, transforms exactly those lines, with the same targets
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return
    manager = TransformerManager()
    for cell, expected in zip(nb.cells, targets):
        lines = manager.transform_cell(cell.source).splitlines()
        theirs = [
            line.split("get_ipython()")[0].strip()
            for before, line in zip(["", *lines], lines)
            if re.search(r"^\s*get_ipython\(\)\.getoutput\(", line)
            and before.endswith("= \\")
            or re.search(r"=\s*get_ipython\(\)\.(getoutput|run_line_magic)\(", line)
        ]
        assert theirs == expected, lines


def test_ipython_assignments_to_any_target_are_checked_not_skipped(tmp_path):
    """The audit's repro: ``files, = !ls`` and friends no longer make a cell "cannot parse"."""
    cells = [
        "import wandb\nrun = wandb.init(project='p', config={})\n",
        "pythonpath, = !echo $PYTHONPATH\nrun.log({'a': 1})\n",
        "(out, err) = !ls\n",
        "[first] = !ls\n",
        "d = {}\nd['x'] = !ls\n",
        "run.summary.t = %time f()\n",
    ]
    path = write(tmp_path, "nb.ipynb", notebook(*cells))
    original = path.read_text(encoding="utf-8")
    proc = wandb_fix("--check", "nb.ipynb", cwd=tmp_path)
    assert proc.returncode == 1 and "error" not in proc.stderr, proc.stderr
    assert re.findall(r"^nb\.ipynb:(cell \d+:\d+):\d+: (WB\d+)", proc.stdout, re.M) == [
        ("cell 2:2", "WB101")
    ]
    proc = wandb_fix("--add-noqa", "nb.ipynb", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert path.read_text(encoding="utf-8") == original.replace(
        esc("run.log({'a': 1})\n"), esc("run.log({'a': 1})  # noqa: WB101\n")
    )


# -- magics that matter: %env, %%writefile --------------------------------------------------------

#: a key in the format of wandb >= 0.22.3 (no 40-hex run: only the key finder can mask it)
V1_KEY = (
    "wandb_v1_" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6kM9nP2rS5uV8xY1aD4fG7iL0oR3tU6wX9z_Qa1B2c"
)


def test_env_magic_is_read_as_the_python_it_stands_for():
    assert len(V1_KEY) == 86
    assert env_assignment("%env WANDB_MODE=offline") == ("WANDB_MODE", "offline")
    assert env_assignment("  %env WANDB_MODE offline") == ("WANDB_MODE", "offline")
    assert env_assignment("%set_env WANDB_MODE = offline # x") == ("WANDB_MODE", "offline # x")
    assert env_assignment("env WANDB_MODE=offline") == ("WANDB_MODE", "offline")  # automagic
    # listing, reading, IPython's expansion of $name / {expr}, a name IPython refuses
    for line in ("%env", "%env WANDB_MODE", "%env WANDB_MODE=$mode", "%env A={a}", "%env A B=C"):
        assert env_assignment(line) is None, line


def test_env_magics_are_reported_without_a_fix_and_never_print_the_key(tmp_path):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Setup\n"]},
        "import wandb\n%env WANDB_MODE=offline\n",
        f"%env WANDB_API_KEY {V1_KEY}\nrun = wandb.init(project='p', config={{}}, reinit=True)\n"
        "env WANDB_PROJECT=demo\ndef setup():\n    %set_env WANDB_MODE=disabled\n"
        "%env WANDB_MODE=$mode\n%env WANDB_MODE\n",
    ]
    nb = json.loads(notebook(*cells[1:]))
    nb["cells"].insert(0, cells[0])
    path = write(tmp_path, "env.ipynb", json.dumps(nb, indent=1))
    original = path.read_text(encoding="utf-8")
    proc = wandb_fix("--check", "env.ipynb", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    found = re.findall(r"^env\.ipynb:(cell \d+:\d+:\d+): (WB\d+) (.*)$", proc.stdout, re.M)
    assert [(where, code) for where, code, _ in found] == [
        ("cell 2:2:1", "WB301"),
        ("cell 3:1:1", "WB302"),
        ("cell 3:2:42", "WB306"),
        ("cell 3:5:5", "WB301"),
    ]
    # no fix on a magic's line: ``os.environ.setdefault`` is no magic, and the line stays as is
    assert [message.endswith("]") for _, _, message in found] == [False, False, True, False]
    rows = json.loads(wandb_fix("--check", "--format=json", "env.ipynb", cwd=tmp_path).stdout)
    assert (rows[0]["column"], rows[0]["end_column"], rows[0]["fix"]) == (1, 24, None)
    outputs = [proc.stdout, proc.stderr]
    for args in (["--unsafe-fixes"], ["--format=sarif"], ["--format=github"], ["--add-noqa"]):
        path.write_text(original, encoding="utf-8")
        proc = wandb_fix(*args, "env.ipynb", cwd=tmp_path)
        outputs += [proc.stdout, proc.stderr]
    diff = outputs[2]
    assert "\n %env WANDB_API_KEY <redacted>\n" in diff  # a context line of cell 3's diff
    assert "+run = wandb.init(project='p', config={}, reinit=\"finish_previous\")" in diff
    assert not any(V1_KEY[i : i + 12] in o for o in outputs for i in range(len(V1_KEY) - 11))
    # --add-noqa cannot put a comment on a magic's line (the magic would take it as its value)
    assert outputs[-1].count("an IPython line cannot take a # noqa comment") == 3
    path.write_text(original, encoding="utf-8")
    wandb_fix("--apply", "--unsafe-fixes", "env.ipynb", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == original.replace(
        "reinit=True", esc('reinit="finish_previous"')
    )


def test_writefile_cells_are_checked_as_the_files_they_write(tmp_path):
    train = (
        "import wandb\n"
        "run = wandb.init(project='p', config={}, reinit=True)\n"
        "for step in range(3):\n"
        "    run.log({'a': 1})"
    )
    cells = [
        "import wandb\nrun = wandb.init(project='p', config={})\n",
        "\n%%writefile train.py\n" + train,
        "%%writefile eval.py\nrun.log({'a': 1})\n",  # not the notebook's run: a file of its own
        "%%writefile -a train.py\nrun.log({'b': 1})\n",  # appended: only part of a file
        "%%writefile notes.txt\nwandb.log({'c': 1})\n",
        "%%file broken.py\nimport wandb\nwandb.log({'b': 1}\n",
    ]
    path = write(tmp_path, "wf.ipynb", notebook(*cells))
    original = path.read_text(encoding="utf-8")
    proc = wandb_fix("--check", "wf.ipynb", cwd=tmp_path)
    assert re.findall(r"^wf\.ipynb:(cell \d+:\d+:\d+): (WB\d+)", proc.stdout, re.M) == [
        ("cell 2:4:42", "WB306"),
        ("cell 2:6:5", "WB101"),
    ]
    assert proc.returncode == 2 and (
        "wf.ipynb: error: cell 6: cannot parse at line 3: '(' was never closed (the file "
        "'broken.py' it writes); cell skipped" in proc.stderr
    )
    proc = wandb_fix("--unsafe-fixes", "wf.ipynb", cwd=tmp_path)
    assert "--- a/wf.ipynb:cell 2\n+++ b/wf.ipynb:cell 2\n" in proc.stdout
    assert "+    run.log({'a': 1}, step=step)\n" in proc.stdout
    wandb_fix("--apply", "--unsafe-fixes", "wf.ipynb", cwd=tmp_path)
    fixed_train = train.replace("reinit=True", 'reinit="finish_previous"').replace(
        "{'a': 1})", "{'a': 1}, step=step)"
    )
    fixed = path.read_text(encoding="utf-8")
    assert fixed == original.replace(esc(train), esc(fixed_train))
    assert wandb_fix("--apply", "--unsafe-fixes", "wf.ipynb", cwd=tmp_path).returncode == 2
    assert path.read_text(encoding="utf-8") == fixed  # a second run changes nothing
    # the body we check is the file IPython writes
    written = Notebook(original).written_files()
    assert [(w.cell.number, w.filename, w.offset) for w in written] == [
        (2, "train.py", 2),
        (3, "eval.py", 1),
        (6, "broken.py", 1),
    ]
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return
    code = TransformerManager().transform_cell(written[0].cell.source)
    assert code == f"get_ipython().run_cell_magic('writefile', 'train.py', {train + chr(10)!r})\n"


def test_add_noqa_in_a_writefile_cell_goes_into_the_file(tmp_path):
    body = "import wandb\nwandb.init(project='p', config={}, reinit=True)\n"
    path = write(tmp_path, "wf.ipynb", notebook("%%writefile train.py\n" + body))
    original = path.read_text(encoding="utf-8")
    proc = wandb_fix("--add-noqa", "wf.ipynb", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert path.read_text(encoding="utf-8") == original.replace(
        esc(body), esc(body.replace("True)\n", "True)  # noqa: WB306\n"))
    )
    assert wandb_fix("--check", "wf.ipynb", cwd=tmp_path).returncode == 0


def test_unchanged_items_are_kept_and_new_ones_are_whole_lines():
    nb = Notebook(notebook(["a = 1\n", "b = 2\n", "c = 3"], ["x\n", "y"]))
    cell = nb.cells[0]
    # text inserted at the start of a line: that line is a new item, not a stray "X" item
    assert nb.value(cell, "a = 1\nX = 0; b = 2\nc = 3")[1] == [
        "a = 1\n",
        "X = 0; b = 2\n",
        "c = 3",
    ]
    assert nb.value(cell, "a = 1\nb = 2\nc = 3\nd = 4")[1] == [
        "a = 1\n",
        "b = 2\n",
        "c = 3\n",
        "d = 4",
    ]
    assert nb.value(cell, "import os\na = 1\nb = 2\nc = 3")[1] == [
        "import os\n",
        "a = 1\n",
        "b = 2\n",
        "c = 3",
    ]
    assert nb.value(cell, "")[1] == [] and nb.value(cell, "")[0] == "[]"
    # the untouched items keep their raw JSON text
    value, _ = nb.value(nb.cells[1], "x\ny\nz")
    assert value == '[\n    "x\\n",\n    "y\\n",\n    "z"\n   ]'


def test_an_api_key_in_a_cell_is_never_printed(tmp_path):
    key = "0123456789abcdef0123456789abcdef01234567"
    cells = (
        ["import os\n", "import wandb"],
        [f'os.environ["WANDB_API_KEY"] = "{key}"'],
        [
            f'wandb.login(key="{key}")\n',
            "run = wandb.init(project='p', config={})",
        ],
        # a silenced key, shown as context of the fix of the next line
        [f'wandb.login(key="{key}")  # noqa: WB302\n', "wandb.init(project='p', reinit=True)"],
    )
    path = write(tmp_path, "keys.ipynb", notebook(*cells))
    outputs = []
    for args in (["--unsafe-fixes"], ["--check", "--format=json"], ["--format=sarif"]):
        proc = wandb_fix(*args, "keys.ipynb", cwd=tmp_path)
        assert proc.stdout.count("WB302") >= 2
        outputs += [proc.stdout, proc.stderr]
    assert "<redacted>" in outputs[0]  # the dry-run diff of the cells masks the removed key
    # context lines too (the mask covers the key, or the literal holding it)
    assert re.search(r'\n wandb\.login\(key="?<redacted>"?\)  # noqa: WB302\n', outputs[0])
    assert not any(key[i : i + 8] in o for o in outputs for i in range(len(key) - 7)), outputs[0]
    wandb_fix("--apply", "--unsafe-fixes", "-j2", "keys.ipynb", cwd=tmp_path)
    fixed = json.loads(path.read_text(encoding="utf-8"))
    assert fixed["cells"][1]["source"] == [] and fixed["cells"][2]["source"][0] == "wandb.login()\n"
