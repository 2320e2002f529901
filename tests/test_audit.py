"""wandb-fix's reliability audit (issue 18, outside secrets): each test is one repro of
../shared/repros/hostile/turn3/, on real files. Neither torch nor wandb is needed."""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_wandb import engine, fix, fixer, pipeline
from flake8_wandb.rules import ALL_RULES
from helpers import parse_report, run_flake8, write

WANDB_FIX = str(Path(sys.executable).parent / "wandb-fix")
OFFLINE = 'import wandb\nrun = wandb.init(project="p", config={}, reinit=True)\n'
FIXED = 'reinit="finish_previous"'  # WB306's safe fix


def wandb_fix(*args, cwd=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([WANDB_FIX, *args], capture_output=True, text=True, cwd=cwd, **kw)


# -- a signal during the analysis of a file (sigterm_during_analysis_swallowed.py) ------------------


def _signal_during(monkeypatch, where: str, sig: int) -> None:
    """Send ``sig`` to this process the first time the analysis reaches ``where``: the engine
    itself (under process()'s ``except Exception``) or one rule (under the engine's)."""
    sent = []

    def kill() -> None:
        if not sent:
            sent.append(sig)
            os.kill(os.getpid(), sig)

    if where == "engine":
        check = engine.Engine.check

        def checking(self, tree, source, path=None):
            kill()
            return check(self, tree, source, path)

        monkeypatch.setattr(engine.Engine, "check", checking)
    else:
        rule = next(r for r in ALL_RULES if r.code == "WB306")  # the rule whose fix is written
        monkeypatch.setattr(rule, "end_module", lambda self: kill())


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("where", ["engine", "rule"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_the_analysis_of_a_file_stops_the_run(
    tmp_path, monkeypatch, capsys, where, sig
):
    for name in ("a.py", "b.py", "c.py"):
        write(tmp_path, name, OFFLINE)
    monkeypatch.chdir(tmp_path)
    _signal_during(monkeypatch, where, sig)
    rc = fix.main(["--apply", "."])
    err = capsys.readouterr().err
    assert rc == (143 if sig == signal.SIGTERM else 130), err
    assert "internal error" not in err and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "wandb-fix: interrupted; each file is either unchanged or completely fixed"
    )
    assert [p.read_text() for p in sorted(tmp_path.glob("*.py"))] == [OFFLINE] * 3


# -- select/ignore ties, decided as flake8 decides (ignore_tie_keeps_rules.sh) --------------------

SELECTION_SOURCE = """\
import wandb

for seed in range(3):
    run = wandb.init(project="demo", name="baseline", config={"seed": seed}, reinit=True)
    run.log({"batch/loss": 0.1, "loss": 0.2})
    run.summary["best"] = 1.0
"""
TIES = [
    ["--ignore=WB"],
    ["--extend-ignore=WB"],
    ["--select=WB101", "--ignore=WB101"],
    ["--select=WB", "--ignore=WB"],
    ["--extend-select=WB6", "--extend-ignore=WB6"],
    ["--extend-select=WB604", "--ignore=WB6"],
    ["--select=WB6", "--ignore=WB60"],
    ["--select=WB1", "--ignore=WB"],
    ["--select=WB3", "--extend-ignore=WB306"],
    ["--ignore=WB1"],
]


def _codes(stdout: str) -> set[str]:
    return {row[3] for row in parse_report(stdout) if row[3].startswith("WB")}


@pytest.mark.parametrize("args", TIES, ids=" ".join)
def test_select_and_ignore_decide_as_in_flake8(tmp_path, args):
    write(tmp_path, "train.py", SELECTION_SOURCE)
    _, out, err = run_flake8(["train.py"], *args, cwd=tmp_path)
    assert err == ""
    proc = wandb_fix("--check", *args, "train.py", cwd=tmp_path)
    assert _codes(proc.stdout) == _codes(out)


def test_a_config_that_ignores_the_plugin_stops_wandb_fix_too(tmp_path):
    path = write(tmp_path, "train.py", SELECTION_SOURCE)
    write(tmp_path, ".flake8", "[flake8]\nignore = WB\n")
    write(tmp_path, "pyproject.toml", '[tool.flake8-wandb]\nignore = ["WB"]\n')
    assert _codes(run_flake8(["train.py"], cwd=tmp_path)[1]) == set()
    proc = wandb_fix("--apply", "--unsafe-fixes", "train.py", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert path.read_text() == SELECTION_SOURCE


# -- --add-noqa never edits a string literal (add_noqa_edits_string_literal.sh) -------------------

NOQA_IN_STRINGS = """\
import wandb

run = wandb.init(project="p", config={})
for step in range(3):
    run.log({"loss": 0.1, "note": "lint with # noqa: E501"})
x = \"\"\"docs
# noqa: E501\"\"\"; wandb.log({"y": 1})
for step in range(3):
    run.log({"note": "a # sign"})  # noqa: E501
"""


def test_add_noqa_writes_a_comment_and_never_edits_a_string(tmp_path):
    path = write(tmp_path, "a.py", NOQA_IN_STRINGS)
    proc = wandb_fix("--add-noqa", "a.py", cwd=tmp_path)
    lines = path.read_text().splitlines()
    assert lines[4] == '    run.log({"loss": 0.1, "note": "lint with # noqa: E501"})  # noqa: WB101'
    assert lines[6] == '# noqa: E501"""; wandb.log({"y": 1})  # noqa: WB101'
    assert lines[8] == '    run.log({"note": "a # sign"})  # noqa: E501,WB101'
    # flake8 reads the first "# noqa" of a line, the one in the string: those two stay reported
    _, out, _ = run_flake8(["a.py"], "--select=WB", cwd=tmp_path)
    assert [row[1] for row in parse_report(out)] == [5, 7]
    assert proc.returncode == 2
    assert "WB101 at line 5: a '# noqa' inside a string on that line comes first" in proc.stderr
    assert "WB101 at line 7: a '# noqa' inside a string" in proc.stderr
    assert "WB101 at line 9" not in proc.stderr


# -- --apply writes only the fixed bytes, in the file's encoding (reencode_changes_bytes_outside_fix.py)

FIX_LINE = b'run = wandb.init(project="p", config={}, reinit=True)\n'
NOT_ROUND_TRIP = {
    # cp932: the NEC row-13 character 0x8790 (U+2252) encodes back as 0x81E0
    "cp932.py": b"# -*- coding: cp932 -*-\nimport wandb\n# \x87\x90 approx\n" + FIX_LINE,
    # utf-7: "+AGE-" encodes back as "a"
    "utf7.py": b'# coding: utf-7\nimport wandb\ns = "+AGE-"\n' + FIX_LINE,
    # unicode_escape: every newline encodes back as the two characters \n
    "uesc.py": b"# coding: unicode_escape\nimport wandb\n\n" + FIX_LINE + b'print("caf\xe9")\n',
}
ROUND_TRIP = {
    "latin1.py": b"# coding: latin-1\nimport wandb\n# caf\xe9\n" + FIX_LINE + b"# \xe9t\xe9\n",
    "cp932ok.py": b"# -*- coding: cp932 -*-\nimport wandb\n# \x82\xa0\n" + FIX_LINE,
    "bom.py": b"\xef\xbb\xbfimport wandb\r\n# \xc3\xa9\r\n" + FIX_LINE.replace(b"\n", b"\r\n"),
    "bomfirst.py": b"\xef\xbb\xbf" + FIX_LINE + b"import wandb\n",
}


def test_apply_changes_only_the_fixed_bytes_and_refuses_a_codec_that_does_not_round_trip(
    tmp_path,
):
    for name, data in {**NOT_ROUND_TRIP, **ROUND_TRIP}.items():
        compile(data, name, "exec")  # Python reads each file
        (tmp_path / name).write_bytes(data)
    proc = wandb_fix("--apply", *NOT_ROUND_TRIP, *ROUND_TRIP, cwd=tmp_path)
    for name, data in NOT_ROUND_TRIP.items():
        assert (tmp_path / name).read_bytes() == data
        assert f"{name}: error: cannot be rewritten byte for byte: its encoding" in proc.stderr
        assert f"{name}:4:42: WB306" in proc.stdout  # reported as it stands
    for name, data in ROUND_TRIP.items():
        assert (tmp_path / name).read_bytes() == data.replace(
            b"reinit=True", b"reinit=" + FIXED[7:].encode()
        )
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].startswith("wandb-fix: fixed 4 findings; 3 left")
    noqa = wandb_fix("--add-noqa", "--extend-select=WB306", *NOT_ROUND_TRIP, cwd=tmp_path)
    assert noqa.returncode == 2 and noqa.stderr.count("cannot be rewritten byte for byte") == 3
    assert all((tmp_path / name).read_bytes() == data for name, data in NOT_ROUND_TRIP.items())
    assert noqa.stdout.count(":4:42: WB306") == 3


# -- no fix that can only break the file; the summary counts what applies (reverted_fixes_exit2.sh)

PARENTHESIZED = """\
import wandb
run = wandb.init(project="p", config={})
for step in range(3):
    wandb.log(({"loss": 1.0}))
    wandb.log(({"acc": 1.0}) ,)
    wandb.log(
        (  # a comment )
            {"lr": 1.0}
        )  # ) another
    )
    wandb.log((({"\u00e9": 1.0})), commit=True)
"""


def test_wb101_adds_the_step_after_the_parentheses_around_the_values(tmp_path):
    path = write(tmp_path, "r.py", PARENTHESIZED)
    dry = wandb_fix("--unsafe-fixes", "r.py", cwd=tmp_path)
    assert dry.stderr.splitlines()[-1].startswith(
        "wandb-fix: 4 findings, 4 fixable with --apply, in 1 file of 1 checked; target: "
    )
    proc = wandb_fix("--apply", "--unsafe-fixes", "r.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == (
        PARENTHESIZED.replace("1.0}))\n", "1.0}), step=step)\n", 1)
        .replace("1.0}) ,)", "1.0}), step=step ,)")
        .replace("        )  # ) another", "        ), step=step  # ) another")
        .replace("commit=True)", "commit=True, step=step)")
    )


def test_a_reverted_fix_is_neither_offered_nor_counted(tmp_path, monkeypatch, capsys):
    from flake8_wandb.rules import run_settings

    monkeypatch.setattr(run_settings, "REINIT_FOR", {True: 'x" +', False: 'y" +'})  # breaks
    write(tmp_path, "t.py", OFFLINE + "for step in range(3):\n    run.log({'a': 1})\n")
    monkeypatch.chdir(tmp_path)
    pipeline._ENGINES.clear()
    assert fix.main(["--unsafe-fixes", "t.py"]) == 2
    out, err = capsys.readouterr()
    assert "WB306 reinit=True" in out and "[*]" in out.split("WB101")[1]
    assert "(same behaviour)\n" in out  # WB306: no fix mark
    assert err.splitlines()[-1].startswith(
        "wandb-fix: 2 findings, 1 fixable with --apply, in 1 file of 1 checked, 1 error; target: "
    )
    assert fix.main(["--apply", "--unsafe-fixes", "t.py"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith(
        "wandb-fix: fixed 1 finding; 1 left, in 1 file of 1 checked, 1 error; target: "
    )


# -- the dry-run diff applies with git apply (diff_bom_file_not_applicable.sh) --------------------

GIT_FILES = {
    "bom.py": b'\xef\xbb\xbfimport wandb\nrun = wandb.init(project="p", config={}, reinit=True)\n',
    "bomcrlf.py": b"\xef\xbb\xbf"
    + b'import wandb\r\nrun = wandb.init(project="p", reinit=True)\r\n',
    "cr.py": b'import wandb\rrun = wandb.init(project="p", config={}, reinit=True)\rx = 1\r',
    "crnoeol.py": b'import wandb\rrun = wandb.init(project="p", config={}, reinit=True)',
    "mixed.py": b'import wandb\r\ns = "a\\rb"\rrun = wandb.init(project="p", reinit=True)\n',
}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_dry_run_diff_applies_with_git_for_bom_and_cr_files(tmp_path):
    subprocess.run(["git", "init", "-q", "."], cwd=tmp_path, check=True)
    for name, data in GIT_FILES.items():
        compile(data, name, "exec")
        (tmp_path / name).write_bytes(data)
        diff = subprocess.run([WANDB_FIX, "-q", name], cwd=tmp_path, capture_output=True).stdout
        (tmp_path / f"{name}.diff").write_bytes(diff)
        proc = subprocess.run(["git", "apply", f"{name}.diff"], cwd=tmp_path, capture_output=True)
        assert proc.returncode == 0, (name, proc.stderr)
        assert (tmp_path / name).read_bytes() == data.replace(b"reinit=True", FIXED.encode())


# -- --apply keeps ACLs and extended attributes (apply_drops_acl_and_xattrs.py) -------------------


def _acl(*entries: tuple[int, int, int]) -> bytes:
    """A POSIX ACL as its xattr holds it (version 2, then tag, permissions, id per entry)."""
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries)


ANY = 0xFFFFFFFF
#: owner rw, user 65534 (nobody) rw, group r, mask rw, other r  ==  setfacl -m u:nobody:rw
TEAMMATE_ACL = _acl((1, 6, ANY), (2, 6, 65534), (4, 4, ANY), (0x10, 6, ANY), (0x20, 4, ANY))


def _xattrs_or_skip(path: Path) -> None:
    if not hasattr(os, "setxattr"):
        pytest.skip("no extended attributes on this platform")
    try:
        os.setxattr(path, "user.probe", b"1")
        os.removexattr(path, "user.probe")
    except OSError:
        pytest.skip("the file system has no user extended attributes")


def _attrs(path: Path) -> dict[str, bytes]:
    return {n: os.getxattr(path, n) for n in sorted(os.listxattr(path))}


def test_apply_keeps_acls_and_extended_attributes(tmp_path):
    path = write(tmp_path, "train.py", OFFLINE)
    _xattrs_or_skip(path)
    os.setxattr(path, "user.origin", b"keep me")
    try:
        os.setxattr(path, "system.posix_acl_access", TEAMMATE_ACL)
    except OSError:
        pytest.skip("the file system has no POSIX ACLs")
    before, mode = _attrs(path), path.stat().st_mode
    proc = wandb_fix("--apply", "train.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert FIXED in path.read_text()
    assert (_attrs(path), path.stat().st_mode) == (before, mode)


def test_apply_adds_no_acl_a_folder_default_would_give_the_temp_file(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    path = write(folder, "train.py", OFFLINE)
    _xattrs_or_skip(path)
    default = _acl((1, 7, ANY), (2, 7, 65534), (4, 5, ANY), (0x10, 7, ANY), (0x20, 5, ANY))
    try:
        os.setxattr(folder, "system.posix_acl_default", default)
    except OSError:
        pytest.skip("the file system has no POSIX ACLs")
    assert _attrs(path) == {}  # written before the default ACL
    proc = wandb_fix("--apply", "train.py", cwd=folder)
    assert proc.returncode == 0, proc.stderr
    assert FIXED in path.read_text() and _attrs(path) == {}


# -- output never crashes on an encoding (unicode_stdout_traceback.sh) ----------------------------

UNICODE = (
    'import wandb\n# \u65e5\u672c\u8a9e\nrun = wandb.init(project="p", config={}, reinit=True)\n'
    'for step in range(3):\n    wandb.log({"loss": 1})\n'
)


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
@pytest.mark.parametrize("mode", [[], ["--apply"], ["--check", "--format=json"]])
def test_output_that_the_terminal_cannot_encode_is_escaped(tmp_path, encoding, mode):
    path = write(tmp_path, "mod\u00e8le.py", UNICODE)
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    proc = subprocess.run([WANDB_FIX, *mode, path.name], cwd=tmp_path, env=env, capture_output=True)
    out, err = proc.stdout.decode(encoding), proc.stderr.decode(encoding)
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("wandb-fix: ")  # the summary
    assert "WB101" in out
    if mode == ["--apply"]:
        assert FIXED in path.read_text(encoding="utf-8")


# -- messages quote source text with repr (wb104_message_terminal_injection.sh) -------------------

FORGERY = (
    'import wandb\nrun = wandb.init(project="p", config={})\nfor step in range(3):\n'
    '    run.log({"loss\\nwandb-fix: 0 findings, 1 file checked\\x1b[8m": 1}, step=step)\n'
    '    run.summary["a\\u202eb\\x1b[2J"] = 1\n'
    '    run.log({"x": 1}, step=float("""1\n\x1b[2J"""))\n'
)


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_no_message_carries_raw_source_text(tmp_path, fmt):
    write(tmp_path, "b.py", FORGERY)
    proc = wandb_fix(
        "--check", "--extend-select=WB104,WB6", f"--format={fmt}", "b.py", cwd=tmp_path
    )
    assert proc.returncode == 1, proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr and "\u202e" not in proc.stdout
    lines = proc.stdout.splitlines()
    assert all(line.startswith(("b.py:", "::error file=b.py,")) for line in lines), lines
    codes = {line.split("WB")[1][:3] for line in lines}
    assert {"104", "603", "105"} <= codes
    assert r"'loss\nwandb-fix: 0 findings, 1 file checked\x1b[8m'" in proc.stdout
    assert r"use 'final/a\u202eb\x1b[2J'" in proc.stdout


def test_no_flake8_message_carries_raw_source_text(tmp_path):
    write(tmp_path, "b.py", FORGERY + 'import os\nos.environ["WANDB_MODE"] = ("off"\n"\x1b[8m")\n')
    _, out, err = run_flake8(["b.py"], "--extend-select=WB104,WB6", "--select=WB", cwd=tmp_path)
    assert "\x1b" not in out + err and "\u202e" not in out
    assert all(line.startswith("b.py:") for line in out.splitlines()), out
    assert {"WB104", "WB603", "WB105", "WB301"} <= {row[3] for row in parse_report(out)}


# -- the shim's step memory is per run, not per id (runtime_log_step_id_reuse.py) ----------------


class _Run:
    def __init__(self) -> None:
        self.rows: list[int] = []

    def log(self, metrics, step=None):
        self.rows.append(step)


class _SlottedRun(_Run):  # no weak references, no hash
    __slots__ = ("rows",)

    def __eq__(self, other):
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


@pytest.mark.parametrize("cls", [_Run, _SlottedRun])
def test_runtime_log_remembers_the_step_per_run_not_per_id(cls):
    import warnings

    import wandb_runtime

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ids = set()
        for _ in range(3):
            run = cls()
            ids.add(id(run))
            for step in range(50):
                wandb_runtime.log({"loss": 1.0}, step=step, run=run)
            assert run.rows == list(range(50))
            del run
        assert caught == []
        run = cls()  # a new run (most often at a freed one's id) that really goes backwards
        wandb_runtime.log({"loss": 1.0}, step=5, run=run)
        wandb_runtime.log({"loss": 1.0}, step=2, run=run)
    assert [str(w.message) for w in caught] == [
        "wandb_runtime: step 2 is lower than the last step 5: wandb drops data logged at a lower step "
        "(warned once per run)"
    ]


# -- --check holds one file at a time (memory_retains_all_files.sh; figures in the CHANGELOG) ----


@pytest.mark.parametrize("mode", ["check", "diff", "apply"])
def test_no_result_keeps_the_bytes_of_its_file(tmp_path, mode):
    files = [write(tmp_path, f"f{i}.py", OFFLINE + "x = 1\n" * 100) for i in range(3)]
    files.append(write(tmp_path, "clean.py", "import wandb\n"))
    options = pipeline.Options(mode=mode)
    if mode != "apply":  # what a worker sends back to the parent
        assert all(pipeline.process(p, options).old_data == b"" for p in files)
    results = pipeline.run(files, options, roots=[tmp_path])
    assert [(r.old_data, r.new_data) for r in results] == [(b"", None)] * 4
    assert (FIXED in files[0].read_text()) == (mode == "apply")


# -- a fix is valid on every Python the project declares (pep701_safe_fix_breaks_py311.sh) -------

IN_FSTRINGS = """\
import logging
import wandb
logging.info(f"run: {wandb.init(project='p', config={}, reinit=True).url}")
logging.info(f'run: {wandb.init(project="p", config={}, reinit=True).url}')
logging.info(f\"\"\"run: {wandb.init(project='p', config={}, reinit=True).url}\"\"\")
"""


def test_wb306_uses_the_quote_an_fstring_leaves_free(tmp_path):
    path = write(tmp_path, "t.py", IN_FSTRINGS)
    proc = wandb_fix("--apply", "t.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    fixed = path.read_text()
    assert fixed == IN_FSTRINGS.replace(
        'config={}, reinit=True).url}")', "config={}, reinit='finish_previous').url}\")"
    ).replace("reinit=True).url}')", 'reinit="finish_previous").url}\')').replace(
        'reinit=True).url}""")', 'reinit=\'finish_previous\').url}""")'
    )
    assert fixer.old_fstrings(fixed)


def test_a_rewrite_that_only_python_3_12_reads_is_not_valid():
    valid = fixer.validity('x = f"{d[0]}"\n')
    assert not valid('x = f"{d["a"]}"\n')  # PEP 701: a SyntaxError on 3.10 and 3.11
    assert valid("x = f\"{d['a']}\"\n")
    # a file that already needs 3.12 is held to what it already needs
    assert fixer.validity('x = f"{d["a"]}"\n')('x = f"{d["b"]}"\n') == (sys.version_info >= (3, 12))


PRE_PEP701 = {
    'f"{x}"': True,
    "f\"{d['a']}\"": True,
    'f"{d["a"]}"': False,
    "f'{d['a']}'": False,
    'f"""{d["a"]}"""': True,
    'f"""{d["""a"""]}"""': False,
    'f"{x!r:>10}"': True,
    "f\"{'\\n'.join(x)}\"": False,
    "f\"{f'{y}'}\"": True,
    'f"{f"{y}"}"': False,
    'f"{x  # c\n}"': False,
    'f"a\\n{x}"': True,
}


@pytest.mark.skipif(sys.version_info < (3, 12), reason="earlier Pythons refuse these themselves")
@pytest.mark.parametrize("source, valid", PRE_PEP701.items())
def test_fstrings_are_checked_against_the_grammar_before_pep701(source, valid):
    assert fixer.old_fstrings(f"x = {source}\n") is valid


# -- odds and ends (low_misc.sh) --------------------------------------------------------------------


def test_a_file_too_complex_for_the_parser_is_not_an_internal_error(tmp_path):
    write(tmp_path, "deep.py", "import wandb\nf = " + "lambda: " * 3000 + "wandb.log({})\n")
    proc = wandb_fix("--check", "deep.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert "internal error" not in proc.stderr and "please report" not in proc.stderr
    assert "deep.py: error: too complex or too large for Python's parser" in proc.stderr


@pytest.mark.parametrize(
    "config, error",
    [
        ("select = []", "select: expected codes, prefixes or names, got an empty value"),
        ('extend-ignore = [" "]', "extend-ignore: expected codes"),
        (
            'wandb-target-version = "0.31.0"\ntarget-wandb-version = "0.1.0"',
            "wandb-target-version and target-wandb-version both given; keep one",
        ),
        ('wandb-step-names = ["await", "None"]', "expected Python names, got 'await', 'None'"),
    ],
)
def test_config_values_that_would_be_silently_ignored_are_errors(tmp_path, config, error):
    write(tmp_path, "t.py", 'import wandb\nwandb.log({"a": 1})\n')
    write(tmp_path, "pyproject.toml", f"[tool.flake8-wandb]\n{config}\n")
    proc = wandb_fix("--check", "t.py", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert error in proc.stderr


def test_add_noqa_on_a_cr_only_file(tmp_path):
    src = 'import wandb\rwandb.log({"a": 1})\rx = """a\rb"""; wandb.log({"b": 1})\r'
    path = tmp_path / "cr.py"
    path.write_bytes(src.encode())
    proc = wandb_fix("--add-noqa", "cr.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert path.read_bytes().decode() == src.replace(")\r", ")  # noqa: WB101\r")
    assert run_flake8(["cr.py"], "--select=WB", cwd=tmp_path)[:2] == (0, "")


def test_an_inserted_import_takes_no_form_feed_from_the_anchor_line(tmp_path):
    # a form feed resets Python's indentation count; copying it would indent nothing but confuse
    path = tmp_path / "ff.py"
    path.write_bytes(b'\x0cimport wandb\nrun = wandb.init(project="p", config={}, name="exp")\n')
    proc = wandb_fix(
        "--apply", "--unsafe-fixes", "--extend-select=WB604", "-q", "ff.py", cwd=tmp_path
    )
    assert proc.returncode in (0, 1), proc.stderr
    lines = path.read_bytes().split(b"\n")
    assert lines[0] == b"\x0cimport wandb"
    assert lines[1].startswith(b"from wandb_runtime import"), lines
    compile(path.read_bytes(), "ff.py", "exec")


def test_a_line_added_to_a_crlf_notebook_cell_ends_in_crlf(tmp_path):
    import json

    src = (
        "import wandb\r\nfor seed in range(3):\r\n"
        "    run = wandb.init(project='p', config={})\r\n    run.log({'a': 1}, step=seed)"
    )
    cell = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": []}
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{**cell, "source": src}]}
    path = tmp_path / "crlf.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    proc = wandb_fix(
        "--apply", "--unsafe-fixes", "--extend-select=WB602", "-q", "crlf.ipynb", cwd=tmp_path
    )
    assert proc.returncode in (0, 1), proc.stderr
    fixed = json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"]
    assert fixed != src and fixed.startswith(src)
    assert fixed.count("\n") == fixed.count("\r\n"), repr(fixed)
    assert not fixed.endswith("\n")
