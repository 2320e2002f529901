"""wandb-fix as users run it: the installed console script, as a subprocess, on real files."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flake8_wandb.engine import SAFE, Edit, Engine, Fix, Rule
from flake8_wandb.files import ChangedOnDisk, write_atomic
from flake8_wandb.fixer import fix_source
from flake8_wandb.rules import ALL_RULES
from helpers import Always, parse_report, run_flake8, write

ROOT = Path(__file__).resolve().parent.parent
WANDB_FIX = str(Path(sys.executable).parent / "wandb-fix")
EXAMPLE = (ROOT / "examples" / "train.py").read_text(encoding="utf-8")

SMALL = """\
import os

import wandb

os.environ["WANDB_CONSOLE"] = "wrap_pty"
run = wandb.init(project="demo", config={})
for global_step in range(10):
    run.log({"loss": 0.5})
"""
SMALL_SAFE = SMALL.replace('"wrap_pty"', '"wrap"')
SMALL_ALL = SMALL_SAFE.replace('run.log({"loss": 0.5})', 'run.log({"loss": 0.5}, step=global_step)')


def wandb_fix(*args, cwd=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([WANDB_FIX, *args], capture_output=True, text=True, cwd=cwd, **kw)


# -- modes and exit codes --------------------------------------------------------------------------


def test_dry_run_shows_a_diff_and_writes_nothing(tmp_path):
    path = write(tmp_path, "train.py", SMALL)
    proc = wandb_fix("train.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert '-os.environ["WANDB_CONSOLE"] = "wrap_pty"' in proc.stdout
    assert '+os.environ["WANDB_CONSOLE"] = "wrap"' in proc.stdout
    assert "\033[" not in proc.stdout  # no colour when stdout is not a terminal
    assert "2 findings, 1 fixable with --apply, 1 more with --unsafe-fixes" in proc.stderr
    assert path.read_text() == SMALL


def test_colour_diff_on_request(tmp_path):
    write(tmp_path, "train.py", SMALL)
    proc = wandb_fix("--color=always", "train.py", cwd=tmp_path)
    assert "\033[31m-os.environ" in proc.stdout and "\033[32m+os.environ" in proc.stdout


def test_imports_merge_into_an_existing_runtime_import(tmp_path):
    src = (
        "import wandb\n"
        "from wandb_runtime import log  # the shim, already used\n"
        "\n"
        "wandb.init(project='p', mode='offline', config={}, settings=wandb.Settings(console='off'))\n"
        "val_acc = 0.9\n"
        "print('acc', val_acc)\n"
        "log({'x': 1}, step=0)\n"
        "wandb.log({'y': 1}, step=1)\n"
    )
    path = write(tmp_path, "train.py", src)
    wandb_fix("--apply", "--unsafe-fixes", "train.py", cwd=tmp_path)
    fixed = path.read_text()
    assert fixed.count("wandb_runtime") == 1
    assert "from wandb_runtime import log, wandb_mode, echo  # the shim, already used\n" in fixed


def test_apply_writes_safe_fixes_and_unsafe_ones_only_when_asked(tmp_path):
    path = write(tmp_path, "train.py", SMALL)
    proc = wandb_fix("--apply", "train.py", cwd=tmp_path)
    assert proc.returncode == 1  # the unsafe WB101 fix was not applied: a finding is left
    assert path.read_text() == SMALL_SAFE
    assert "WB101" in proc.stdout and "--unsafe-fixes" in proc.stdout
    proc = wandb_fix("--apply", "--unsafe-fixes", "train.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert path.read_text() == SMALL_ALL


def test_check_lints_only(tmp_path):
    path = write(tmp_path, "train.py", SMALL)
    proc = wandb_fix("--check", ".", cwd=tmp_path)
    assert proc.returncode == 1
    assert [r[3] for r in parse_report(proc.stdout)] == ["WB307", "WB101"]
    assert path.read_text() == SMALL
    write(tmp_path, "train.py", SMALL_ALL)
    assert wandb_fix("--check", ".", cwd=tmp_path).returncode == 0


def test_noqa_lines_are_neither_reported_nor_fixed(tmp_path):
    src = SMALL.replace('"wrap_pty"\n', '"wrap_pty"  # noqa: WB307\n').replace(
        'run.log({"loss": 0.5})', 'run.log({"loss": 0.5})  # noqa'
    )
    path = write(tmp_path, "train.py", src)
    proc = wandb_fix("--apply", "--unsafe-fixes", "train.py", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""
    assert path.read_text() == src


@pytest.mark.parametrize(
    "args, codes",
    [
        (["--select=WB307"], ["WB307"]),
        (["--select=WB3"], ["WB307"]),
        (["--select=invalid-console-setting"], ["WB307"]),
        (["--ignore=log-without-step"], ["WB307"]),
        (["--ignore=WB1,WB3"], []),
        (["--select=WB", "--ignore=WB307"], ["WB101"]),
    ],
)
def test_select_and_ignore_by_code_prefix_or_name(tmp_path, args, codes):
    write(tmp_path, "train.py", SMALL)
    proc = wandb_fix("--check", *args, ".", cwd=tmp_path)
    assert [r[3] for r in parse_report(proc.stdout)] == codes


def test_unknown_selector_is_an_error(tmp_path):
    write(tmp_path, "train.py", SMALL)
    proc = wandb_fix("--check", "--select=WB999", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown rule selector" in proc.stderr


def test_pyproject_config(tmp_path):
    write(
        tmp_path,
        "pyproject.toml",
        '[tool.flake8-wandb]\nignore = ["WB307"]\nstep-names = ["tick"]\nexclude = ["legacy"]\n',
    )
    write(tmp_path, "src/train.py", SMALL.replace("global_step", "tick"))
    write(tmp_path, "legacy/old.py", SMALL)
    proc = wandb_fix("--check", ".", cwd=tmp_path / "src")  # the config is found above cwd
    assert "WB307" not in proc.stdout
    proc = wandb_fix("--check", ".", cwd=tmp_path)
    rows = parse_report(proc.stdout)
    assert rows == [("train.py", 8, 5, "WB101")] and "pass step=tick" in proc.stdout


def test_bad_config_key_is_an_error(tmp_path):
    write(tmp_path, "pyproject.toml", "[tool.flake8-wandb]\nselct = ['WB1']\n")
    write(tmp_path, "train.py", SMALL)
    proc = wandb_fix("--check", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "selct" in proc.stderr


def test_exclude_and_gitignore(tmp_path):
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    write(tmp_path, ".gitignore", "generated/\n")
    write(tmp_path, "train.py", SMALL)
    write(tmp_path, "generated/copy.py", SMALL)
    write(tmp_path, "vendor/lib.py", SMALL)
    write(tmp_path, ".venv/lib/site.py", SMALL)
    proc = wandb_fix("--check", "--exclude=vendor", ".", cwd=tmp_path)
    assert {r[0] for r in parse_report(proc.stdout)} == {"train.py"}
    proc = wandb_fix("--check", "--no-gitignore", ".", cwd=tmp_path)
    assert {r[0] for r in parse_report(proc.stdout)} == {"train.py", "copy.py", "lib.py"}


@pytest.mark.slow  # worker pools
def test_parallel_gives_the_same_result(tmp_path):
    for i in range(12):
        write(tmp_path, f"pkg/train_{i}.py", SMALL)
    serial = wandb_fix("--check", "-j1", ".", cwd=tmp_path)
    parallel = wandb_fix("--check", "-j2", ".", cwd=tmp_path)
    assert serial.stdout == parallel.stdout and serial.returncode == parallel.returncode == 1
    proc = wandb_fix("--apply", "--unsafe-fixes", "-j2", ".", cwd=tmp_path)
    assert proc.returncode == 0
    assert all(p.read_text() == SMALL_ALL for p in (tmp_path / "pkg").glob("*.py"))


# -- formats ---------------------------------------------------------------------------------------


def test_json_format(tmp_path):
    write(tmp_path, "train.py", SMALL)
    rows = json.loads(wandb_fix("--check", "--format=json", ".", cwd=tmp_path).stdout)
    assert [(r["code"], r["line"], r["column"]) for r in rows] == [
        ("WB307", 5, 31),
        ("WB101", 8, 5),
    ]
    fixes = [(r["fix"]["safety"], r["fix"]["applicable"], r["fix"]["requires"]) for r in rows]
    assert fixes == [("safe", True, []), ("unsafe", False, [])]
    # ``applicability`` is the field; ``safety`` stays for readers written before it
    assert [r["fix"]["applicability"] for r in rows] == [r["fix"]["safety"] for r in rows]
    # what each fix does, as ruff's fix titles say it
    assert "wrap" in rows[0]["fix"]["title"] and "step=" in rows[1]["fix"]["title"]


def test_github_format(tmp_path):
    write(tmp_path, "train.py", SMALL)
    lines = wandb_fix("--check", "--format=github", ".", cwd=tmp_path).stdout.splitlines()
    assert lines[0].startswith("::error file=train.py,line=5,col=31,endLine=5,endColumn=")
    assert "title=WB307 invalid-console-setting::WB307 " in lines[0]


def test_sarif_format(tmp_path):
    write(tmp_path, "train.py", SMALL)
    doc = json.loads(wandb_fix("--check", "--format=sarif", ".", cwd=tmp_path).stdout)
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {r.code for r in ALL_RULES}
    result = run["results"][0]
    assert result["ruleId"] == "WB307"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert result["properties"]["applicability"] == "safe"
    wb307 = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "WB307")
    assert wb307["properties"]["applicability"] == wb307["properties"]["fix"] == "safe"


# -- guarantees ------------------------------------------------------------------------------------


def _fix_example(tmp_path, text=EXAMPLE, name="train.py", **write_kw) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(**write_kw) if isinstance(text, str) else text)
    proc = wandb_fix("--apply", "--unsafe-fixes", name, cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    return path


def test_fixed_example_compiles_is_stable_and_clean_under_flake8(tmp_path):
    path = _fix_example(tmp_path)
    fixed = path.read_text()
    compile(fixed, "train.py", "exec")
    again = wandb_fix("--apply", "--unsafe-fixes", "train.py", cwd=tmp_path)
    assert (
        again.returncode == 1 and "fixed 0 findings; 3 left" in again.stderr
    )  # WB101, WB102, WB501: no fix
    assert path.read_text() == fixed  # applying again changes nothing
    rc, out, _ = run_flake8(["train.py"], "--select=WB", cwd=tmp_path)
    # what is left is what has no fix: WB101, because the run's last log passes its own step
    # (``samples_seen / args.batch_size``), not global_step, so the step must be chosen by hand
    # (the fix is judged for the whole run); WB102 (log every step) needs a human to pick N;
    # WB501's print sits in an ``if`` away from the log call, and console capture is on
    assert {row[3] for row in parse_report(out)} == {"WB101", "WB102", "WB501"}


def test_text_outside_the_fixes_is_unchanged(tmp_path):
    path = _fix_example(tmp_path)
    before = EXAMPLE.splitlines(keepends=True)
    after = path.read_text().splitlines(keepends=True)
    import difflib

    removed = [ln for ln in difflib.ndiff(before, after) if ln.startswith("- ")]
    added = [ln for ln in difflib.ndiff(before, after) if ln.startswith("+ ")]
    # only the five lines with a fixable finding change, and one import line is added (WB101 has
    # no fix here: the run's last log passes its own step, see the test above)
    assert len(removed) == 5 and len(added) == 6
    assert "+ from wandb_runtime import wandb_mode\n" in added


def test_crlf_bom_and_pep263_encodings_survive(tmp_path):
    crlf = _fix_example(tmp_path, EXAMPLE.replace("\n", "\r\n"), "crlf.py")
    data = crlf.read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n") and b"wandb_mode(" in data
    bom = _fix_example(tmp_path, "\ufeff" + EXAMPLE, "bom.py")
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf") and b"wandb_mode(" in bom.read_bytes()
    latin = "# -*- coding: latin-1 -*-\n# caf\xe9 cr\xe8me\n" + EXAMPLE
    path = _fix_example(tmp_path, latin, "latin.py", encoding="latin-1")
    text = path.read_bytes().decode("latin-1")
    assert "caf\xe9 cr\xe8me" in text and "wandb_mode(" in text


def test_file_mode_survives(tmp_path):
    path = tmp_path / "train.py"
    path.write_text(EXAMPLE)
    path.chmod(0o751)
    _fix_example(tmp_path, EXAMPLE)
    path.chmod(0o751)
    path.write_text(SMALL)
    wandb_fix("--apply", "train.py", cwd=tmp_path)
    assert path.read_text() == SMALL_SAFE
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert [p.name for p in tmp_path.iterdir()] == ["train.py"]  # no temp file left behind


def test_a_file_changed_on_disk_is_not_overwritten(tmp_path):
    path = write(tmp_path, "train.py", SMALL)
    path.write_text(SMALL + "# edited by the user meanwhile\n")
    with pytest.raises(ChangedOnDisk):
        write_atomic(path, SMALL_ALL.encode(), expected_old=SMALL.encode())
    assert path.read_text() == SMALL + "# edited by the user meanwhile\n"
    assert [p.name for p in tmp_path.iterdir()] == ["train.py"]


def test_bad_files_are_reported_and_left_alone_while_others_are_fixed(tmp_path):
    broken = write(tmp_path, "broken.py", "import wandb\nwandb.log({'x': 1}\n")
    (tmp_path / "latin.py").write_bytes(b"import wandb\n# caf\xe9\n")  # not UTF-8, no cookie
    (tmp_path / "nul.py").write_bytes(b"import wandb\x00\n")
    good = write(tmp_path, "good.py", SMALL)
    proc = wandb_fix("--apply", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert "broken.py: error: cannot parse at line 2" in proc.stderr
    assert "latin.py: error: cannot decode" in proc.stderr
    assert "nul.py: error:" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert broken.read_text() == "import wandb\nwandb.log({'x': 1}\n"
    assert good.read_text() == SMALL_SAFE


def test_a_fix_that_would_not_compile_is_reverted():
    class BadFix(Rule):
        code, name, messages = "WB998", "bad-fix", (Always,)

        def visit_Call(self, node):
            if getattr(node.func, "attr", "") == "log":
                self.report(
                    node,
                    Always(),
                    fix=Fix(
                        (
                            Edit(
                                (node.lineno, node.col_offset),
                                (node.lineno, node.col_offset),
                                "def ",
                            ),
                        ),
                        applicability=SAFE,
                    ),
                )

    result = fix_source(Engine([BadFix, *ALL_RULES]), SMALL, unsafe=True)
    assert [f.code for f, _ in result.reverted] == ["WB998"]
    compile(result.source, "x", "exec")
    assert result.source == SMALL_ALL  # the other fixes still went in


@pytest.mark.slow  # 400 files, a worker pool, a kill
def test_an_interrupted_run_leaves_every_file_old_or_new(tmp_path):
    sources = tmp_path / "src"
    n = 400
    for i in range(n):
        write(sources, f"m{i:03d}.py", SMALL + "x = 1\n" * 300)
    expected_new = SMALL_SAFE + "x = 1\n" * 300
    old = SMALL + "x = 1\n" * 300
    proc = subprocess.Popen(
        [WANDB_FIX, "--apply", "-j2", "."],
        cwd=sources,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until some, but not all, files are fixed
        done = sum(1 for p in sources.glob("*.py") if p.read_text() == expected_new)
        if done >= 5:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    contents = [p.read_text() for p in sorted(sources.glob("*.py"))]
    assert len(contents) == n
    assert all(c in (old, expected_new) for c in contents)
    assert 0 < sum(c == expected_new for c in contents) < n


# -- end to end ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_fixed_example_runs_and_logs_correctly(tmp_path):
    from wandb_file import find_run_file, read_run

    script = _fix_example(tmp_path)
    env = {**os.environ, "WANDB_DIR": str(tmp_path / "runs")}
    (tmp_path / "runs").mkdir()
    # the mode now comes from WANDB_MODE: "disabled" wins over the script's "offline" default
    proc = subprocess.run(
        [sys.executable, str(script), "--epochs", "1", "--log-dir", str(tmp_path / "runs")],
        env={**env, "WANDB_MODE": "disabled"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert not list((tmp_path / "runs").rglob("*.wandb"))
    proc = subprocess.run(
        [
            sys.executable,
            str(script),
            "--epochs",
            "1",
            "--batch-size",
            "64",
            "--log-dir",
            str(tmp_path / "runs"),
        ],
        env={**env, "WANDB_MODE": "offline"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    rec = read_run(find_run_file(tmp_path / "runs"))
    train_rows = [r for r in rec.history if "train/loss" in r]
    assert [r["_step"] for r in train_rows] == list(range(16))  # explicit steps, none dropped
    final = [r for r in rec.history if "final/samples_per_sec" in r]
    assert [r["_step"] for r in final] == [16]  # the int(...) step of WB105's fix
    assert all(r["system/gpu_mem_GB"] == 0 for r in train_rows)  # reserved memory: 0 on CPU
    assert "model/params" not in rec.config
    assert 0 < rec.config["model/params_M"] < 1  # 1153 parameters, in millions
    assert "step 0 loss" in rec.output and "step 10 loss" in rec.output  # echo reached the Logs


# -- pre-commit ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """This working tree as a hook repository: pre-commit installs hooks from a git repo, so copy
    the files git would see (tracked or not, minus ignored ones) into a fresh one and commit."""
    if not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout of flake8-wandb")
    listing = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in filter(None, listing):
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "hooks"], cwd=repo, check=True)
    return repo


def _pre_commit(cwd, home, *args):
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PRE_COMMIT_HOME": str(home), "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        timeout=600,
    )


@pytest.mark.slow
def test_pre_commit_hooks(tmp_path, hook_repo):
    repo = tmp_path / "project"
    repo.mkdir()
    home = tmp_path / "pre-commit-home"
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    # a commit that stages no Python file: the hooks are skipped, nothing crashes
    write(repo, "README.md", "hello\n")
    subprocess.run(["git", "add", "README.md"], cwd=repo, check=True)
    for hook in ("flake8-wandb", "wandb-fix"):
        proc = _pre_commit(repo, home, "try-repo", str(hook_repo), hook)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "(no files to check)Skipped" in proc.stdout
    # a training script: flake8-wandb fails with findings, wandb-fix fixes what is safe
    write(repo, "train.py", SMALL)
    subprocess.run(["git", "add", "train.py"], cwd=repo, check=True)
    proc = _pre_commit(repo, home, "try-repo", str(hook_repo), "flake8-wandb")
    assert proc.returncode == 1 and "WB307" in proc.stdout and "WB101" in proc.stdout
    proc = _pre_commit(repo, home, "try-repo", str(hook_repo), "wandb-fix")
    assert proc.returncode == 1 and "files were modified by this hook" in proc.stdout
    assert (repo / "train.py").read_text() == SMALL_SAFE


# -- secrets ---------------------------------------------------------------------------------------

KEY = "0123456789abcdef0123456789abcdef01234567"


def _leaks(text: str) -> bool:
    """Any 8 consecutive characters of the key."""
    return any(KEY[i : i + 8] in text for i in range(len(KEY) - 7))


def test_the_api_key_is_never_printed(tmp_path):
    src = (
        "import os\n\nimport wandb\n\n"
        f'os.environ["WANDB_API_KEY"] = "{KEY}"\n'
        f'wandb.login(key="{KEY}")\n'
        f'WANDB_KEY = "{KEY}"\n'
    )
    write(tmp_path, "train.py", src)
    outputs = []
    rc, out, err = run_flake8(["train.py"], "--select=WB", cwd=tmp_path)
    assert out.count("WB302") == 3 and "rotate it" in out
    outputs += [out, err]
    for args in (
        [],
        ["--unsafe-fixes"],
        ["--check"],
        ["--format=json"],
        ["--format=github"],
        ["--format=sarif"],
    ):
        proc = wandb_fix(*args, "train.py", cwd=tmp_path)
        assert "WB302" in proc.stdout
        outputs += [proc.stdout, proc.stderr]
    assert "<redacted>" in outputs[4]  # the dry-run diff with --unsafe-fixes masks the removed key
    assert not any(_leaks(o) for o in outputs)
    proc = wandb_fix("--apply", "--unsafe-fixes", "train.py", cwd=tmp_path)
    assert not _leaks(proc.stdout + proc.stderr)
    fixed = (tmp_path / "train.py").read_text()
    assert fixed.count(KEY) == 1  # only the name assignment, which has no fix, keeps it
    assert "wandb.login()" in fixed and "WANDB_API_KEY" not in fixed


# -- adopting a rule -------------------------------------------------------------------------------


def test_add_noqa_silences_every_finding_once(tmp_path):
    src = (
        "import wandb\r\n"
        "\r\n"
        "run = wandb.init(project='p', config={})\r\n"
        "run.log({'a': 1})  # a comment\r\n"
        "run.log({'b': 2})  # noqa: E501\r\n"
        "run.log({'c': '''multi\r\nline'''})\r\n"
        "run.log(\r\n    {'d': 4},\r\n)\r\n"
    )
    path = tmp_path / "train.py"
    path.write_bytes(src.encode())
    proc = wandb_fix("--add-noqa", "train.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "added # noqa for 4 findings" in proc.stderr
    fixed = path.read_bytes().decode()
    assert "run.log({'a': 1})  # a comment  # noqa: WB101\r\n" in fixed
    assert "run.log({'b': 2})  # noqa: E501,WB101\r\n" in fixed
    assert "line'''})  # noqa: WB101\r\n" in fixed  # not inside the string: on the last line
    assert "run.log(  # noqa: WB101\r\n" in fixed
    compile(fixed, "train.py", "exec")
    assert wandb_fix("--check", "train.py", cwd=tmp_path).returncode == 0
    rc, out, _ = run_flake8(["train.py"], "--select=WB", cwd=tmp_path)
    assert (rc, out) == (0, "")  # flake8 reads the same comments
    wandb_fix("--add-noqa", "train.py", cwd=tmp_path)
    assert path.read_bytes().decode() == fixed  # a second run changes nothing


def test_code_that_parses_but_does_not_compile_is_still_fixed():
    src = SMALL + "await run.sync()  # an exported notebook cell\n"
    result = fix_source(Engine(ALL_RULES), src, unsafe=True)
    assert result.reverted == [] and "step=global_step" in result.source
