"""wandb-fix against hostile input (issue 12): keys that must never be printed, bad configs,
odd files and file systems, signals. Each test is one repro of ../shared/repros/hostile/, run
with the installed console script as a subprocess on real files."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flake8_wandb.pipeline import Options, commit, process
from helpers import run_flake8, write

WANDB_FIX = str(Path(sys.executable).parent / "wandb-fix")
KEY = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX file system features")
ROOT_ONLY = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")


def wandb_fix(*args, cwd=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([WANDB_FIX, *args], capture_output=True, text=True, cwd=cwd, **kw)


def leaks(text: str) -> bool:
    """Any 6 consecutive characters of the key."""
    return any(KEY[i : i + 6] in text for i in range(len(KEY) - 5))


# -- 1. the key is never printed -------------------------------------------------------------------

LEAKS = {
    "concat_default_mode": (
        "import wandb\n\n"
        'wandb.login(key="a1b2c3d4e5f60718293a" "4b5c6d7e8f9012345678")\n'
        'run = wandb.init(project="p", config={}, reinit=True)\n'
    ),
    "concat": 'import wandb\nwandb.login(key="a1b2c3d4e5f60718293a" "4b5c6d7e8f9012345678")\n',
    "concat_multiline": (
        "import wandb\nwandb.login(\n"
        '    key="a1b2c3d4e5f60718293a"\n    "4b5c6d7e8f9012345678",\n    relogin=True,\n)\n'
    ),
    "env_concat": (
        'import os\nos.environ["WANDB_API_KEY"] = ("a1b2c3d4e5f60718293a"\n'
        '    "4b5c6d7e8f9012345678")\n'
    ),
    "escape": 'import wandb\nwandb.login(key="\\x611b2c3d4e5f60718293a4b5c6d7e8f9012345678")\n',
    "noqa_context": (
        "import os\nimport wandb\n"
        f'os.environ["WANDB_API_KEY"] = "{KEY}"  # noqa: WB302\n'
        'run = wandb.init(project="p", config={}, reinit=True)\n'
    ),
    "noqa_same_line": (
        "import wandb\n"
        'run = wandb.init(project="p", config={}, reinit=True, '
        f'settings=wandb.Settings(api_key="{KEY}"))  # noqa: WB302\n'
    ),
    "environ_update_dict": f'import os\nos.environ.update({{"WANDB_API_KEY": "{KEY}"}})\n',
    "fstring": f'import wandb\nwandb.login(key=f"{KEY}")\n',
    "bytes": f'import os\nos.environ.setdefault("WANDB_API_KEY", b"{KEY}")\n',
    "plus": f'import wandb\nwandb.login(key="{KEY[:20]}" + "{KEY[20:]}")\n',
    "api_positional": f'import wandb\napi = wandb.Api(None, 30, "{KEY}")\n',
    "settings_module": f'# settings.py\nPROJECT = "demo"\nWANDB_KEY = "{KEY}"\n',
    "syntax_error": f'import wandb\nwandb.login(key="{KEY}"\n',
}
MODES = (
    [], ["--unsafe-fixes"], ["--check"], ["--format=json"], ["--format=github"], ["--format=sarif"],
    ["--color=always", "--unsafe-fixes"], ["-j2", "--unsafe-fixes"],
)  # fmt: skip


@pytest.mark.slow  # eleven subprocesses, every mode
def test_the_key_is_never_printed(tmp_path):
    for name, src in LEAKS.items():
        write(tmp_path, f"{name}.py", src)
    outputs = {}
    for args in MODES:
        proc = wandb_fix(*args, "--no-gitignore", ".", cwd=tmp_path)
        outputs[" ".join(args)] = proc.stdout + proc.stderr
    rc, out, err = run_flake8(["."], "--select=WB", cwd=tmp_path)
    outputs["flake8"] = out + err
    assert [mode for mode, text in outputs.items() if leaks(text)] == []
    assert "<redacted>" in outputs["--unsafe-fixes"]
    reported = {
        line.split(":")[0][:-3] for line in outputs["--check"].splitlines() if "WB302" in line
    }
    assert reported == set(LEAKS) - {"noqa_context", "noqa_same_line", "syntax_error"}
    assert all(name in outputs[""] for name in ("noqa_context", "noqa_same_line"))  # their diffs
    assert {name: (tmp_path / f"{name}.py").read_text() for name in LEAKS} == LEAKS
    for args in (["--add-noqa"], ["--apply", "--unsafe-fixes"]):
        proc = wandb_fix(*args, "--no-gitignore", ".", cwd=tmp_path)
        assert not leaks(proc.stdout + proc.stderr)


def test_the_unsafe_dry_run_diff_shows_where_the_key_was(tmp_path):
    write(tmp_path, "train.py", LEAKS["concat_multiline"])
    proc = wandb_fix("--unsafe-fixes", "train.py", cwd=tmp_path)
    assert "-    key=<redacted>\n-    <redacted>,\n" in proc.stdout


def test_a_noqa_line_with_a_key_is_masked_as_context(tmp_path):
    write(tmp_path, "train.py", LEAKS["noqa_context"])
    proc = wandb_fix("train.py", cwd=tmp_path)
    assert ' os.environ["WANDB_API_KEY"] = <redacted>  # noqa: WB302\n' in proc.stdout


def test_the_fix_leaves_the_file_as_clean_as_before(tmp_path):
    src = (
        '"""Train."""\n'
        "import os\n"
        "\n"
        "import wandb\n"
        "\n"
        f'os.environ["WANDB_API_KEY"] = "{KEY}"\n'
        "\n"
        f'os.environ.update(WANDB_API_KEY="{KEY}")\n'
        "\n"
        "run = wandb.init(project='p', config={})\n"
        f"wandb.login(key='{KEY}', relogin=True)\n"
    )
    path = write(tmp_path, "train.py", src)
    proc = wandb_fix("--apply", "--unsafe-fixes", "train.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == (
        '"""Train."""\n'
        "\n"
        "import wandb\n"
        "\n"
        "run = wandb.init(project='p', config={})\n"
        "wandb.login(relogin=True)\n"
    )
    rc, out, _ = run_flake8(["train.py"], "--select=F,E3,WB", cwd=tmp_path)
    assert (rc, out) == (0, "")


def test_an_import_still_used_by_a_silenced_line_stays(tmp_path):
    src = (
        "import os\n\n"
        f'os.environ["WANDB_API_KEY"] = "{KEY}"\n'
        f'os.environ.setdefault("WANDB_API_KEY", "{KEY}")  # noqa: WB302\n'
    )
    path = write(tmp_path, "train.py", src)
    wandb_fix("--apply", "--unsafe-fixes", "train.py", cwd=tmp_path)
    assert (
        path.read_text()
        == f'import os\n\nos.environ.setdefault("WANDB_API_KEY", "{KEY}")  # noqa: WB302\n'
    )


# -- 6. configuration values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "table, key",
    [
        ("[tool.flake8-wandb]\nstep-names = 5\n", "step-names"),
        ("[tool.flake8-wandb]\nselect = 5\n", "select"),
        ("[tool.flake8-wandb]\nexclude = 5\n", "exclude"),
        ("tool = 5\n", "[tool]"),
        ("[tool]\nflake8-wandb = 5\n", "[tool.flake8-wandb]"),
        ('[tool.flake8-wandb]\nunsafe-fixes = "false"\n', "unsafe-fixes"),
        ('[tool.flake8-wandb]\nstep-names = ["step", "global-step"]\n', "step-names"),
        ("[tool.flake8-wandb]\nignore = [1]\n", "ignore"),
        ('[tool.flake8-wandb\nselect = ["WB"]\n', "invalid TOML"),
    ],
)
def test_a_bad_config_value_is_one_line_and_exit_2(tmp_path, table, key):
    (tmp_path / "pyproject.toml").write_text(table)
    path = write(
        tmp_path, "train.py", "import wandb\nrun = wandb.init(config={}, mode='offline')\n"
    )
    proc = wandb_fix("--apply", "--unsafe-fixes", "train.py", cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert str(tmp_path / "pyproject.toml") in lines[0] and key in lines[0]
    assert "mode='offline'" in path.read_text()


@pytest.mark.parametrize("args", [["--select="], ["--step-names=1x,step"], ["--step-names= ,"]])
def test_bad_command_line_values_are_errors(tmp_path, args):
    write(tmp_path, "train.py", "import wandb\n")
    proc = wandb_fix(*args, "--check", "train.py", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr


def test_a_broken_pyproject_of_another_project_above_is_passed_over(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.other\n")
    proj = tmp_path / "proj"
    write(proj, "pyproject.toml", '[project]\nname = "x"\n')
    write(proj, "t.py", "import wandb\nwandb.log({'a': 1})\n")
    proc = wandb_fix("--check", "t.py", cwd=proj)
    assert proc.returncode == 1 and "WB101" in proc.stdout
    assert f"{tmp_path / 'pyproject.toml'}: invalid TOML, passed over" in proc.stderr


def test_the_nearest_table_is_used_past_a_broken_unrelated_file(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.flake8-wandb]\nignore = ["WB101"]\n')
    (tmp_path / "mid").mkdir()
    (tmp_path / "mid" / "pyproject.toml").write_text("not = [toml\n")
    write(tmp_path / "mid", "t.py", "import wandb\nwandb.log({'a': 1})\n")
    proc = wandb_fix("--check", "t.py", cwd=tmp_path / "mid")
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- 8, 11. rejected combinations, undecodable files -----------------------------------------------


def test_apply_with_diff_is_rejected(tmp_path):
    src = 'import wandb\nrun = wandb.init(project="p", config={}, reinit=True)\n'
    path = write(tmp_path, "t.py", src)
    proc = wandb_fix("--apply", "--diff", "t.py", cwd=tmp_path)
    assert proc.returncode == 2 and "not allowed with argument --apply" in proc.stderr
    assert path.read_text() == src


def test_a_file_python_cannot_decode_is_an_error(tmp_path):
    (tmp_path / "t.py").write_bytes(
        b"# -*- coding: utf-16 -*-\nimport wandb\nrun = wandb.init(mode='offline')\n"
    )
    proc = wandb_fix("--check", "t.py", cwd=tmp_path)
    assert proc.returncode == 2 and "t.py: error: the encoding utf-16" in proc.stderr


# -- issue 10 item 4: diffs, warnings, summary -----------------------------------------------------


def test_the_diff_of_a_file_without_final_newline_applies_with_git(tmp_path):
    src = 'import wandb\nrun = wandb.init(project="p", config={}, reinit=True)'
    path = write(tmp_path, "t.py", src)
    subprocess.run(["git", "init", "-q", "."], cwd=tmp_path, check=True)
    proc = wandb_fix("t.py", cwd=tmp_path)
    assert "\\ No newline at end of file" in proc.stdout
    (tmp_path / "fix.patch").write_text(proc.stdout)
    subprocess.run(["git", "apply", "fix.patch"], cwd=tmp_path, check=True)
    fixed = path.read_text()
    assert 'reinit="finish_previous")' in fixed and not fixed.endswith("\n")


def test_syntax_warnings_of_user_code_are_not_printed(tmp_path):
    src = 'import wandb\nrun = wandb.init(project="p", config={}, reinit=True)\nPATTERN = "\\d+"\n'
    write(tmp_path, "t.py", src)
    for args in ([], ["--apply"], ["-j2", ".", "t.py"]):
        proc = wandb_fix(
            *args, "t.py", cwd=tmp_path, env={**os.environ, "PYTHONWARNINGS": "default"}
        )
        assert "Warning" not in proc.stderr, proc.stderr


def test_the_summary_counts_files_with_findings(tmp_path):
    write(tmp_path, "a.py", "import wandb\nwandb.log({'a': 1})\n")
    write(tmp_path, "b.py", "import wandb\n")
    write(tmp_path, "c.py", "x = 1\n")
    proc = wandb_fix("--check", ".", cwd=tmp_path)
    assert "1 finding, in 1 file of 3 checked" in proc.stderr


# -- 7, 18. what is walked, skipped and said -------------------------------------------------------

LOG = "import wandb\nwandb.log({'a': 1})\n"


def _checked(proc: subprocess.CompletedProcess) -> set:
    return {line.split(":")[0] for line in proc.stdout.splitlines() if "WB101" in line}


def test_source_folders_named_wandb_build_or_dist_are_checked(tmp_path):
    write(tmp_path, "proj/integrations/wandb/logger.py", LOG)
    write(tmp_path, "proj/integrations/wandb/debug.py", "DEBUG = False\n")
    write(tmp_path, "proj/utils/dist/helpers.py", LOG)
    write(tmp_path, "proj/build/model_builder.py", LOG)
    write(tmp_path, "proj/train.py", LOG)
    # wandb's own run folder and setuptools' build output are skipped, and said so
    write(tmp_path, "proj/wandb/run-20240101_000000-abc/files/code/train.py", LOG)
    write(tmp_path, "proj/wandb/debug.log", "")
    write(tmp_path, "build/lib/proj/train.py", LOG)
    proc = wandb_fix("--check", ".", cwd=tmp_path)
    assert _checked(proc) == {
        "proj/integrations/wandb/logger.py", "proj/utils/dist/helpers.py",
        "proj/build/model_builder.py", "proj/train.py",
    }  # fmt: skip
    assert "proj/wandb: warning: a wandb run folder" in proc.stderr
    assert "build: warning: setuptools build output" in proc.stderr


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=a@b", "-c", "user.name=n", "-c", "protocol.file.allow=always", *args],
        cwd=cwd, check=True, capture_output=True,
    )  # fmt: skip


def test_submodules_and_nested_repositories_are_checked(tmp_path):
    sub0 = tmp_path / "sub0"
    write(sub0, "s.py", LOG)
    _git(sub0, "init", "-q", ".")
    _git(sub0, "add", ".")
    _git(sub0, "commit", "-qm", "s")
    main = tmp_path / "main"
    write(main, "top.py", LOG)
    write(main, "nested/inner.py", LOG)
    write(main, "nested/ignored.py", LOG)
    write(main, "nested/.gitignore", "ignored.py\n")
    _git(main, "init", "-q", ".")
    _git(main / "nested", "init", "-q", ".")
    _git(main, "submodule", "add", "-q", str(sub0), "sub")
    proc = wandb_fix("--check", ".", cwd=main)
    assert _checked(proc) == {"top.py", "nested/inner.py", "sub/s.py"}


@POSIX
def test_a_fifo_is_skipped_and_reported(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    write(tmp_path, "ok.py", LOG)
    proc = wandb_fix("--check", ".", cwd=tmp_path, timeout=300)
    assert proc.returncode == 1 and _checked(proc) == {"ok.py"}
    assert "pipe.py: warning: a FIFO; skipped" in proc.stderr
    proc = wandb_fix("--check", "pipe.py", cwd=tmp_path, timeout=300)
    assert "pipe.py: warning: a FIFO; skipped" in proc.stderr


@POSIX
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any folder")
def test_an_unreadable_folder_is_reported(tmp_path):
    write(tmp_path, "locked/t.py", LOG)
    (tmp_path / "locked").chmod(0)
    try:
        proc = wandb_fix("--check", ".", cwd=tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert "locked: warning: cannot read the folder" in proc.stderr


# -- 12, 15, 19. what --apply writes ---------------------------------------------------------------

FIXED = 'reinit="finish_previous"'  # WB306's safe fix

OFFLINE = 'import wandb\nrun = wandb.init(project="p", config={}, reinit=True)\n'


@POSIX
def test_a_read_only_file_is_skipped_and_said_so(tmp_path):
    path = write(tmp_path, "t.py", OFFLINE)
    path.chmod(0o444)
    proc = wandb_fix("--apply", "t.py", cwd=tmp_path)
    assert path.read_text() == OFFLINE and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert "t.py: warning: read-only file; not written" in proc.stderr
    assert (
        "t.py:2:" in proc.stdout
        and "WB306" in proc.stdout
        and "fixed 0 findings; 1 left" in proc.stderr
    )
    assert proc.returncode == 1


@POSIX
def test_a_symlink_is_written_through_inside_the_tree_and_skipped_outside(tmp_path):
    write(tmp_path, "tree/target.py", OFFLINE)
    (tmp_path / "tree" / "link.py").symlink_to("target.py")
    outside = write(tmp_path, "outside/far.py", OFFLINE)
    (tmp_path / "tree" / "far_link.py").symlink_to(outside)
    proc = wandb_fix("--apply", "link.py", "far_link.py", cwd=tmp_path / "tree")
    assert (tmp_path / "tree" / "link.py").is_symlink()
    assert FIXED in (tmp_path / "tree" / "target.py").read_text()
    assert (tmp_path / "tree" / "far_link.py").is_symlink() and outside.read_text() == OFFLINE
    assert "far_link.py: warning: a symlink to a file outside" in proc.stderr
    # walking the folder, the target and its link are one file, fixed once
    write(tmp_path, "tree/target.py", OFFLINE)
    proc = wandb_fix("--apply", ".", cwd=tmp_path / "tree")
    assert "fixed 1 finding;" in proc.stderr and (tmp_path / "tree" / "link.py").is_symlink()


@POSIX
def test_a_hard_linked_file_is_not_split(tmp_path):
    path = write(tmp_path, "a.py", OFFLINE)
    os.link(path, tmp_path / "b.py")
    proc = wandb_fix("--apply", "a.py", cwd=tmp_path)
    assert "hard links" in proc.stderr and path.read_text() == OFFLINE
    assert os.stat(path).st_ino == os.stat(tmp_path / "b.py").st_ino


@ROOT_ONLY
def test_the_owner_is_kept(tmp_path):
    import pwd

    nobody = pwd.getpwnam("nobody")
    path = write(tmp_path, "a.py", OFFLINE)
    os.chown(path, nobody.pw_uid, nobody.pw_gid)
    path.chmod(0o4755)
    proc = wandb_fix("--apply", "a.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    st = os.stat(path)
    assert FIXED in path.read_text()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (
        nobody.pw_uid,
        nobody.pw_gid,
        0o4755,
    )


def test_a_failed_write_is_reported_against_the_file_on_disk(tmp_path):
    src = 'import wandb\nrun = wandb.init(reinit=True, config={})\nwandb.log({"loss": 1})\n'
    name = "t" * 240 + ".py"  # the temp file name next to it is too long for the file system
    path = write(tmp_path, name, src)
    proc = wandb_fix("--apply", name, cwd=tmp_path)
    assert proc.returncode == 2 and "cannot write" in proc.stderr
    assert path.read_text() == src
    assert "fixed 0 findings; 2 left" in proc.stderr
    assert f"{name}:2:" in proc.stdout and f"{name}:3:1: WB101" in proc.stdout


def test_a_file_changed_or_deleted_mid_run_is_reported_as_it_is_on_disk(tmp_path):
    path = write(tmp_path, "t.py", OFFLINE)
    options = Options(mode="apply")
    result = process(path, options)
    assert result.new_data is not None and result.fixed == 1
    path.write_text("import wandb\n\n" + OFFLINE.split("\n", 1)[1] + "wandb.log({'a': 1})\n")
    commit(result, options, [tmp_path])
    assert "changed on disk" in result.errors[0]
    assert result.fixed == 0 and sorted((r.finding.code, r.finding.line) for r in result.rows) == [
        ("WB101", 4), ("WB306", 3),
    ]  # fmt: skip
    result = process(path, options)
    path.unlink()
    commit(result, options, [tmp_path])
    assert result.errors == ["deleted while it was being fixed; not written"] and result.rows == []


# -- 4. signals ------------------------------------------------------------------------------------

SMALL = OFFLINE + "x = 1\n" * 400


def _tree(root: Path, n: int) -> Path:
    for i in range(n):
        write(root, f"f{i:03d}.py", SMALL)
    return root


def _changed(root: Path) -> int:
    return sum(1 for p in root.glob("*.py") if p.read_text() != SMALL)


def _children(pid: int) -> list:
    proc = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(x) for x in proc.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _start_and_wait_for_writes(root: Path, *args: str) -> subprocess.Popen:
    proc = subprocess.Popen([WANDB_FIX, "--apply", "-j2", *args, "."], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while _changed(root) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    return proc


needs_proc = pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("pgrep") is None,
                                reason="reads /proc and pgrep")  # fmt: skip


@pytest.mark.slow
@needs_proc
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_stopped_run_stops_writing_and_its_workers_end(tmp_path, sig):
    root = _tree(tmp_path / "t", 160)
    proc = _start_and_wait_for_writes(root)
    workers = _children(proc.pid)
    assert workers
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=300)
    at_kill = _changed(root)
    assert 0 < at_kill < 160
    deadline = time.monotonic() + 300  # only a hang fails here (the workers end at once)
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers)
    time.sleep(2)
    assert _changed(root) == at_kill
    if sig != signal.SIGKILL:  # a SIGKILL mid-write may leave a temp file (the original is whole)
        assert not [p for p in root.iterdir() if p.name.endswith(".wandb-fix.tmp")]
        assert "Traceback" not in err
        assert err.strip().splitlines()[-1] == (
            "wandb-fix: interrupted; each file is either unchanged or completely fixed"
        )
        assert proc.returncode == (130 if sig == signal.SIGINT else 143)


def test_a_temp_file_left_by_a_killed_run_is_removed_by_the_next_write(tmp_path):
    path = write(tmp_path, "t.py", OFFLINE)
    stale = write(tmp_path, ".t.py.abc123.wandb-fix.tmp", "half a file")
    fresh = write(tmp_path, ".t.py.def456.wandb-fix.tmp", "another run, writing now")
    other = write(tmp_path, ".u.py.abc123.wandb-fix.tmp", "left by a killed run too")
    old = time.time() - 3600
    for p in (stale, other):
        os.utime(p, (old, old))
    wandb_fix("--apply", "t.py", cwd=tmp_path)
    assert FIXED in path.read_text()
    assert not stale.exists() and not other.exists() and fresh.exists()


@pytest.mark.slow
@POSIX
def test_sigterm_during_a_write_leaves_no_temp_file(tmp_path):
    big = "import wandb\nrun = wandb.init(reinit=True)\nDATA = '" + "a" * 30_000_000 + "'\n"
    (tmp_path / "big.py").write_text(big)
    proc = subprocess.Popen([WANDB_FIX, "--apply", "-q", "big.py"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    sent = False
    while proc.poll() is None:
        if any(n.endswith(".wandb-fix.tmp") for n in os.listdir(tmp_path)):
            proc.send_signal(signal.SIGTERM)
            sent = True
            break
        time.sleep(0.0005)
    _, err = proc.communicate(timeout=300)
    assert sent, "the temp file was never seen"
    assert sorted(os.listdir(tmp_path)) == ["big.py"]
    assert (tmp_path / "big.py").read_text() in (
        big,
        big.replace("reinit=True", 'reinit="finish_previous"'),
    )
