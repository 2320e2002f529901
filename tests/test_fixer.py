"""The fixer's own promises: fixes never call a name the module uses, imports go where wandb is
imported (a libcst transform of the statement it joins: no byte outside the fix changes), libcst
is loaded only when a fix is built, one bad fix never knocks
out the others, both front ends read ``# noqa`` as flake8 does, and ``--add-noqa`` and
``--apply`` hold code to the same validity check. The hostile-input repros are in
``tests/cases/hostile_fixes/`` byte for byte."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flake8_wandb.engine import DISPLAY_ONLY, SAFE, UNSAFE, Edit, Engine, Fix, Rule, split_lines
from flake8_wandb.fixer import MAX_ROUNDS, fix_source, lint
from flake8_wandb.rules import ALL_RULES
from helpers import Always, parse_report, run_flake8

HERE = Path(__file__).resolve().parent
REPROS = HERE / "cases" / "hostile_fixes"
WANDB_FIX = str(Path(sys.executable).parent / "wandb-fix")
ENGINE = Engine(ALL_RULES)


def wandb_fix(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([WANDB_FIX, *args], capture_output=True, text=True, cwd=cwd, env=env)


def repro(name: str) -> str:
    return (REPROS / name).read_bytes().decode("utf-8")


def copy_repro(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes((REPROS / name).read_bytes())
    return path


# -- a fix never calls a name the module already binds (issue 12 item 2) -----------------------------


@pytest.mark.slow  # runs the fixed program with wandb
def test_wandb_mode_is_imported_under_an_alias_when_the_module_uses_the_name(tmp_path):
    path = copy_repro(tmp_path, "shadow_wandb_mode.py")
    proc = wandb_fix("--apply", "shadow_wandb_mode.py", cwd=tmp_path)
    assert (
        path.read_bytes() == (REPROS / "shadow_wandb_mode.py").read_bytes()
    )  # unsafe: not applied
    assert proc.returncode == 1
    wandb_fix("--apply", "--unsafe-fixes", "shadow_wandb_mode.py", cwd=tmp_path)
    fixed = path.read_text()
    assert "from wandb_runtime import wandb_mode as runtime_wandb_mode\n" in fixed
    assert 'mode=runtime_wandb_mode("offline")' in fixed and 'wandb_mode = "offline"' in fixed
    pytest.importorskip("wandb")  # the fixed program runs (the other Pythons have no wandb)
    env = {**os.environ, "WANDB_MODE": "disabled"}
    run = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "offline"  # the user's own name still holds


def test_run_name_is_aliased_over_a_local_string():
    result = fix_source(
        Engine([r for r in ALL_RULES if r.code == "WB604"]),
        repro("shadow_run_name.py"),
        unsafe=True,
    )
    assert "from wandb_runtime import run_name as wandb_run_name\n" in result.source
    assert 'name=wandb_run_name("baseline")' in result.source
    assert 'run_name = f"{args.exp}-{args.seed}"' in result.source


@pytest.mark.parametrize("name", ["shadow_echo.py", "shadow_module_echo.py"])
def test_echo_never_replaces_print_where_console_capture_is_on(name):
    """Capture on (wandb's default): the print reaches the Logs tab already, and the printed
    value is not surely a number to add to the log dict: reported, no fix."""
    result = fix_source(ENGINE, repro(name), unsafe=True)
    wb501 = [f for f in result.initial if f.code == "WB501"]
    assert wb501 and all(f.fix is None for f in wb501)
    assert "wandb_runtime" not in result.source


def test_echo_is_aliased_over_the_users_own_echo():
    src = repro("shadow_module_echo.py").replace(
        "def train(model):\n",
        "def train(model):\n    wandb.init(settings=wandb.Settings(console='off'))\n",
    )
    result = fix_source(Engine([r for r in ALL_RULES if r.code == "WB501"]), src, unsafe=True)
    assert "from wandb_runtime import echo as wandb_echo\n" in result.source
    assert "    wandb_echo(loss)\n" in result.source and "def echo(*args):" in result.source


def test_a_star_import_leaves_only_the_alias():
    src = "from utils import *\nimport wandb\n\nrun = wandb.init(mode='offline', config={})\n"
    result = fix_source(ENGINE, src, unsafe=True)
    assert "from wandb_runtime import wandb_mode as runtime_wandb_mode\n" in result.source


# -- imports go where wandb is imported ------------------------------------------------------------------

LAZY_LIBRARY = """\
def log_metrics(metrics, step=None):
    import wandb

    run = wandb.init(project="lib", mode="offline", config={})
    run.log(metrics, step=step)


def other():
    return 1
"""

OPTIONAL_WANDB = """\
try:
    import wandb
except ImportError:
    wandb = None


def setup():
    return wandb.init(project="p", mode="offline", config={})
"""


def test_the_import_goes_inside_the_function_that_imports_wandb():
    result = fix_source(ENGINE, LAZY_LIBRARY, unsafe=True)
    assert result.source.startswith(
        "def log_metrics(metrics, step=None):\n    import wandb\n"
        "    from wandb_runtime import wandb_mode\n"
    )
    tree = ast.parse(result.source)
    assert not any(
        isinstance(s, (ast.Import, ast.ImportFrom)) for s in tree.body
    )  # none at the top


def test_the_import_goes_after_the_try_that_imports_wandb():
    """Inside ``try: import wandb / except ImportError: wandb = None`` a missing wandb-runtime
    would set ``wandb = None`` and switch tracking off silently (issue 17): after the try, its
    own failure is an ImportError at start."""
    result = fix_source(ENGINE, OPTIONAL_WANDB, unsafe=True)
    assert result.source.startswith(
        "try:\n    import wandb\nexcept ImportError:\n    wandb = None\n"
        "from wandb_runtime import wandb_mode\n"
    )


@pytest.mark.parametrize(
    "handler",
    ["except ImportError", "except (ImportError, OSError)", "except Exception as exc", "except"],
)
def test_no_import_goes_where_a_handler_swallows_its_failure(handler):
    src = (
        "def main():\n"
        "    try:\n"
        "        import wandb\n"
        "        import torch\n"
        f"    {handler}:\n"
        "        return None\n"
        '    run = wandb.init(project="p", mode="offline", name="baseline", config={})\n'
        '    print(f"loss {0.5}")\n'
        "    return run\n"
    )
    result = fix_source(ENGINE, src, unsafe=True)
    assert {f.code for f in result.applied} >= {"WB301", "WB604"}
    tree = ast.parse(result.source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            inside = [n for s in node.body for n in ast.walk(s)]
            assert not any(
                isinstance(n, ast.ImportFrom) and n.module == "wandb_runtime" for n in inside
            ), result.source
    assert "        return None\n    from wandb_runtime import " in result.source


def test_an_import_in_a_try_for_other_errors_stays_beside_wandb():
    src = (
        "try:\n    import wandb\nexcept KeyError:\n    raise\n"
        'run = wandb.init(project="p", mode="offline", config={})\n'
    )
    result = fix_source(ENGINE, src, unsafe=True)
    assert result.source.startswith(
        "try:\n    import wandb\n    from wandb_runtime import wandb_mode\nexcept KeyError:\n"
    )


def test_a_module_without_a_wandb_import_at_the_top_gets_none_at_the_top():
    src = """\
import os


def train(run: "wandb.Run", loss):
    import wandb  # noqa: F401
    os.environ["X"] = "1"
    wandb.init(project="p", name="baseline", config={})
"""
    result = fix_source(Engine([r for r in ALL_RULES if r.code == "WB604"]), src, unsafe=True)
    assert (
        "    import wandb  # noqa: F401\n    from wandb_runtime import run_name\n" in result.source
    )
    assert result.source.startswith("import os\n\n\ndef train")


def test_omegaconf_merges_into_the_modules_omegaconf_import():
    src = """\
import hydra
import wandb
from omegaconf import DictConfig


@hydra.main(config_path="conf", config_name="train", version_base=None)
def main(cfg: DictConfig):
    wandb.init(project="demo", config=cfg)
"""
    result = fix_source(ENGINE, src)  # the safe fix: wandb raises TypeError on a DictConfig
    assert "from omegaconf import DictConfig, OmegaConf\n" in result.source
    assert "config=OmegaConf.to_container(cfg, resolve=True)" in result.source


def test_imports_never_parse_a_module_of_a_thousand_statements(tmp_path):
    """libcst's recursion limit reverted every import-needing fix here (exit 2) when libcst
    parsed the whole module; a transform parses only the statement it changes."""
    path = copy_repro(tmp_path, "libcst_recursion_docstring_1000_stmts.py")
    proc = wandb_fix("--apply", "--unsafe-fixes", path.name, cwd=tmp_path)
    # 1, not 2: every fix applied, and no project declares the wandb-runtime it now needs
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "fixed 1 finding; 0 left" in proc.stderr
    assert "RecursionError" not in proc.stderr
    fixed = path.read_text()
    assert fixed.startswith(
        '"""doc"""\nimport wandb\nfrom wandb_runtime import wandb_mode\nx0 = 0\n'
    )
    assert 'mode=wandb_mode("offline")' in fixed


def _loads_libcst(step: str) -> str:
    code = (
        "import sys; from flake8_wandb.fixer import fix_source, lint;"
        "from flake8_wandb.engine import Engine;"
        "from flake8_wandb.rules import ALL_RULES;"
        "src = open(sys.argv[1]).read();" + step + ";"
        "print('libcst' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(REPROS / "shadow_wandb_mode.py")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_libcst_is_loaded_only_to_build_a_fix():
    """Finding (with the fixes described) costs no libcst import; applying a fix runs its
    transforms with libcst."""
    findings = "fs, _ = lint(Engine(ALL_RULES), src); assert any(f.fix for f in fs)"
    assert _loads_libcst(findings) == "False"
    applying = "r = fix_source(Engine(ALL_RULES), src, unsafe=True); assert r.applied"
    assert _loads_libcst(applying) == "True"


def test_every_fix_change_is_a_libcst_transform():
    """No rule builds a plain text edit: each change of each fix on the rules' examples is a
    libcst transform of a node, except the deletion of whole lines (a statement removed with
    its lines: there is no code to generate, and the form feeds of its indentation stay)."""
    from flake8_wandb.engine import Transform
    from flake8_wandb.rules import ALL_RULES as RULES

    text_edits = []
    for rule in RULES:
        for example in rule.invalid_examples():
            for f in lint(Engine(RULES), example.code)[0]:
                for change in f.fix.edits if f.fix else ():
                    whole_lines = change.start[1] == change.end[1] == 0 and not (
                        change.text.strip("\f")
                    )
                    if not isinstance(change, Transform) and not whole_lines:
                        text_edits.append((f.code, change))
    assert not text_edits


# -- bytes outside a fix (issue 12 item 13) -------------------------------------------------------------


@pytest.mark.parametrize(
    "name, args, expected",
    [
        (
            "formfeed_lost.py",
            (),
            b"import wandb\nfrom wandb_runtime import wandb_mode\n\x0c\nrun = wandb.init(mode=wandb_mode('offline'))\n"
            b"\x0cwandb.log({'a': 1})\n",
        ),
        (
            "cr_only_trailing_newline_lost.py",
            (),
            b'import wandb\rfrom wandb_runtime import wandb_mode\rrun = wandb.init(mode=wandb_mode("offline"))\r'
            b'wandb.log({"loss": 1})\r',
        ),
        (
            "crlf_no_final_newline_wb602.py",
            ("--extend-select=WB602",),
            b'import wandb\r\nfor i in range(3):\r\n    run = wandb.init(project="p", config={})\r\n'
            b'    run.log({"a": 1}, step=i)\r\n    run.finish()',
        ),
    ],
)
def test_bytes_outside_the_fix_stay(tmp_path, name, args, expected):
    path = copy_repro(tmp_path, name)
    wandb_fix("--apply", "--unsafe-fixes", *args, name, cwd=tmp_path)
    assert path.read_bytes() == expected


SNIPPETS = [e.code for rule in ALL_RULES for e in rule.invalid_examples()]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=4),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    form_feed=st.booleans(),
    final_newline=st.booleans(),
)
def test_line_endings_form_feeds_and_final_newlines_survive_every_fix(
    parts, newline, form_feed, final_newline
):
    """The class of the only failures the fuzzing found: LF, CRLF and CR-only files, a leading
    form feed, no final newline. Every line a fix does not touch stays byte for byte."""
    source = "\n".join(parts)
    if form_feed:
        source = "\x0c" + source
    if not final_newline:
        source = source.rstrip("\n")
    source = source.replace("\n", newline)
    ast.parse(source)
    result = fix_source(ENGINE, source, unsafe=True)
    out = result.source
    compile(out, "fuzz", "exec")
    assert fix_source(ENGINE, out, unsafe=True).source == out
    assert out.startswith("\x0c") == form_feed
    assert "\n" not in out.replace(newline, "") and "\r" not in out.replace(
        newline, ""
    )  # one style
    # a line that changed held a fixed finding (the first round's findings, on the original)
    touched = set()
    for f in result.initial:
        if f.fix is not None:
            for e in f.fix.edits:
                touched.update(range(e.start[0], e.end[0] + 1))
            touched.update(range(f.line, f.end_line + 1))
    before, after = split_lines(source), split_lines(out)
    if len(before) not in touched:  # (a fix may delete the last statement, and its line)
        assert out.endswith(newline) == source.endswith(newline)
    # the lines no fix touched (an import line may take a name merged in by a later round)
    # are all there, in order, byte for byte
    kept = [
        line
        for i, line in enumerate(before, 1)
        if i not in touched and not line.startswith("from ")
    ]
    rest = iter(after)
    assert all(any(line == other for other in rest) for line in kept)


# -- one bad fix does not knock out the others (issue 10 item 4) -----------------------------------------


class BadImportFix(Rule):
    """A broken fix that also needs an import: it must be reverted alone."""

    code, name, messages = "WB997", "bad-import-fix", (Always,)

    def visit_Call(self, node):
        if getattr(node.func, "attr", "") == "init":
            pos = (node.lineno, node.col_offset)
            imp = (1, 0)
            self.report(
                node,
                Always(),
                fix=Fix(
                    (Edit(pos, pos, "def "), Edit(imp, imp, "from wandb_runtime import echo\n")),
                    applicability=UNSAFE,
                    title="bad (needs the wandb-runtime package)",
                    requires=("wandb-runtime",),
                ),
            )


class BadLastFix(Rule):
    code, name, messages = "WB998", "bad-last-fix", (Always,)

    def visit_Call(self, node):
        if getattr(node.func, "attr", "") == "finish":
            pos = (node.lineno, node.col_offset)
            self.report(
                node, Always(), fix=Fix((Edit(pos, pos, "def "),), applicability=SAFE, title="bad")
            )


class NeverDone(Rule):
    code, name, messages = "WB996", "never-done", (Always,)

    def visit_Call(self, node):
        if getattr(node.func, "attr", "") == "finish":
            end = (node.end_lineno, node.end_col_offset)
            self.report(
                node,
                Always(),
                fix=Fix((Edit(end, end, " or None"),), applicability=SAFE, title="churn"),
            )


#: twenty logs in one loop over the run-wide step (twenty loops each counting from 0 would be
#: twenty phases of one run: WB101's whole-run judgment gives them no fix)
MANY = (
    "import wandb\n\n"
    "run = wandb.init(project='p', mode='offline', config={})\n"
    "for global_step in range(3):\n"
    + "".join(f"    run.log({{'x{i}': 1}})\n" for i in range(20))
    + "run.finish()\n"
)


def test_a_bad_fix_that_needs_an_import_does_not_knock_out_the_others():
    result = fix_source(Engine([BadImportFix, *ALL_RULES]), MANY, unsafe=True)
    assert [(f.code, why) for f, why in result.reverted] == [
        ("WB997", "the fixed code would not compile")
    ]
    assert "from wandb_runtime import wandb_mode\n" in result.source  # WB301's import went in
    assert result.source.count("step=global_step") == 20
    compile(result.source, "x", "exec")


def test_a_bad_fix_after_good_ones_does_not_stall_the_rounds():
    result = fix_source(Engine([BadLastFix, *ALL_RULES]), MANY, unsafe=True)
    assert [f.code for f, _ in result.reverted] == ["WB998"]
    assert result.source.count("step=global_step") == 20  # every good fix, in few rounds
    assert "WB998" in {f.code for f in result.remaining}
    assert result.unconverged == []


def test_rules_that_do_not_converge_are_named(tmp_path):
    result = fix_source(Engine([NeverDone, *ALL_RULES]), MANY, unsafe=True)
    assert result.unconverged == ["WB996"]
    assert any("did not converge" in e and "WB996" in e for e in result.errors)
    assert result.source.count(" or None") == MAX_ROUNDS
    compile(result.source, "x", "exec")


def test_compiling_user_code_prints_no_warning(tmp_path):
    src = 'import re\nimport wandb\n\nx = re.compile("\\d+")\nok = x is 1\nwandb.init(mode="offline", config={})\n'
    (tmp_path / "warn.py").write_text(src)
    env = {**os.environ, "PYTHONWARNINGS": "always"}
    for args in (("--check",), ("--apply", "--unsafe-fixes"), ()):
        proc = wandb_fix(*args, "warn.py", cwd=tmp_path, env=env)
        assert "Warning" not in proc.stderr, proc.stderr


# -- # noqa, as flake8 reads it (issue 12 item 16) ---------------------------------------------------------


@pytest.mark.parametrize("name", ["noqa_parity_flake8.py", "file_level_flake8_noqa_ignored.py"])
def test_both_front_ends_read_noqa_as_flake8_does(tmp_path, name):
    copy_repro(tmp_path, name)
    _, out, err = run_flake8([name], "--select=WB", cwd=tmp_path)
    flake8_rows = {(line, code) for _, line, _, code in parse_report(out)}
    proc = wandb_fix("--check", name, cwd=tmp_path)
    ours = {(line, code) for _, line, _, code in parse_report(proc.stdout)}
    assert ours == flake8_rows
    if name.startswith("file_level"):
        assert ours == set() and proc.returncode == 0
    else:
        assert (11, "WB101") in ours  # a noqa on the closing line of a multi-line call: not read


def test_a_noqa_on_the_line_that_closes_a_multi_line_string_counts():
    src = 'import wandb\nx = """\n"""; wandb.log({"b": 2})  # noqa: WB101\nwandb.log({"c": 3})\n'
    findings, _ = lint(ENGINE, src)
    assert [(f.line, f.code) for f in findings if f.code == "WB101"] == [(4, "WB101")]


# -- --add-noqa and --apply share one validity check (issue 12 item 17) ----------------------------------


def test_add_noqa_accepts_code_that_only_parses(tmp_path):
    path = copy_repro(tmp_path, "add_noqa_toplevel_await.py")
    proc = wandb_fix("--add-noqa", path.name, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = path.read_text()
    ast.parse(text)
    assert "wandb.log({'a': 1})  # noqa: WB101\n" in text
    assert wandb_fix("--check", path.name, cwd=tmp_path).returncode == 0
    # the same file is fixed by --apply: one standard for both
    path.write_bytes((REPROS / "add_noqa_toplevel_await.py").read_bytes())
    proc = wandb_fix("--apply", "--unsafe-fixes", path.name, cwd=tmp_path)
    assert proc.returncode in (0, 1) and "error" not in proc.stderr


def test_add_noqa_puts_the_comment_where_flake8_reads_it(tmp_path):
    src = "import wandb\n\nwandb.log(\n    {'d': 4},\n)\nx = '''a\nb'''; wandb.log({'e': 5})\n"
    (tmp_path / "t.py").write_text(src)
    assert wandb_fix("--add-noqa", "t.py", cwd=tmp_path).returncode == 0
    text = (tmp_path / "t.py").read_text()
    assert "wandb.log(  # noqa: WB101\n" in text and "wandb.log({'e': 5})  # noqa: WB101\n" in text
    rc, out, _ = run_flake8(["t.py"], "--select=WB", cwd=tmp_path)
    assert (rc, out) == (0, "")


# -- safety labels and preconditions ----------------------------------------------------------------------


def test_a_plain_apply_never_adds_a_dependency():
    """The safe fixes (a plain ``--apply``, the pre-commit hook) never import wandb_runtime."""
    for rule in ALL_RULES:
        for example in rule.invalid_examples():
            result = fix_source(ENGINE, example.code, unsafe=False)
            assert "wandb_runtime" not in result.source.replace(example.code, ""), rule.code
            assert all(f.fix.applicability is SAFE for f in result.applied)
            assert all(not f.fix.requires for f in result.applied)


def test_a_fix_that_adds_a_dependency_cannot_be_declared_safe():
    with pytest.raises(ValueError):
        Fix(
            (),
            applicability=SAFE,
            title="x (needs the wandb-runtime package)",
            requires=("wandb-runtime",),
        )
    with pytest.raises(ValueError):
        Fix((), applicability=UNSAFE, title="says nothing", requires=("wandb-runtime",))


def test_resolve_true_is_unsafe_and_an_explicit_resolve_is_left_alone(tmp_path):
    path = copy_repro(tmp_path, "safe_fix_wb304.py")
    proc = wandb_fix("--apply", path.name, cwd=tmp_path)
    assert path.read_bytes() == (REPROS / "safe_fix_wb304.py").read_bytes() and proc.returncode == 1
    src = repro("safe_fix_wb304.py").replace(
        "to_container(cfg)", "to_container(cfg, resolve=False)"
    )
    assert [f for f in lint(ENGINE, src)[0] if f.code == "WB304"] == []


def test_no_dictconfig_fix_once_the_name_holds_a_dict():
    src = """\
import wandb
from omegaconf import DictConfig, OmegaConf


def main(cfg: DictConfig):
    cfg = OmegaConf.to_container(cfg, resolve=True)
    wandb.init(project="p", config=cfg)
    wandb.init(project="q")
"""
    findings, _ = lint(ENGINE, src)
    assert not [f for f in findings if f.code == "WB304"]
    assert all(f.fix is None for f in findings if f.code == "WB303")


def test_renaming_a_key_that_is_read_back_gets_no_fix(tmp_path):
    path = copy_repro(tmp_path, "safe_fix_wb401.py")
    findings, _ = lint(ENGINE, path.read_text())
    wb401 = [f for f in findings if f.code == "WB401"]
    assert wb401 and all(f.fix is None for f in wb401)


def test_no_mode_fix_inside_a_function_that_forces_the_mode():
    src = """\
import os

import wandb


def force_offline():
    os.environ["WANDB_MODE"] = "offline"


def setup_offline_mode():
    return wandb.init(project="p", mode="offline", config={})


def main():
    return wandb.init(project="p", mode="offline", config={})
"""
    findings, _ = lint(ENGINE, src)
    wb301 = [(f.line, f.fix is not None) for f in findings if f.code == "WB301"]
    assert wb301 == [(7, False), (11, False), (15, True)]


class SuggestGuard(Rule):
    """A display-only fix: a suggestion that needs a person."""

    code, name, messages = "WB995", "suggest-guard", (Always,)
    applicability = (DISPLAY_ONLY,)

    def visit_Call(self, node):
        if (
            getattr(node.func, "attr", "") == "finish"
            and "#" not in self.ctx.lines[node.lineno - 1]
        ):
            end = (node.end_lineno, node.end_col_offset)
            fix = Fix((Edit(end, end, "  # check me"),), applicability=DISPLAY_ONLY, title="x")
            self.report(node, Always(), fix=fix)


def test_a_display_only_fix_is_shown_never_applied(tmp_path, monkeypatch):
    src = "import wandb\n\nrun = wandb.init(project='p', config={})\nrun.finish()\n"
    engine = Engine([SuggestGuard])
    assert fix_source(engine, src, unsafe=True).source == src  # --apply --unsafe-fixes
    shown = fix_source(engine, src, unsafe=False, display=True).source
    assert shown == src.replace("run.finish()", "run.finish()  # check me")

    from flake8_wandb import pipeline as fix
    from flake8_wandb import report

    monkeypatch.setattr(fix, "_engine", lambda options: engine)
    path = tmp_path / "train.py"
    path.write_text(src)
    for mode in ("diff", "apply", "check"):
        result = fix.process(path, fix.Options(mode=mode, unsafe=True))
        fix.commit(result, fix.Options(mode=mode, unsafe=True), [tmp_path])
        assert path.read_text() == src, mode
        assert ("+run.finish()  # check me" in (result.diff or "")) == (mode == "diff"), mode
        assert result.unsafe_more == 0 and not result.fixed, mode
        (row,) = result.rows
        assert (row.applicability, row.applicable) == (DISPLAY_ONLY, False)
        assert report.text(result.rows).endswith(
            "[display-only fix: shown by --diff, never applied]"
        )
        assert json.loads(report.as_json(result.rows))[0]["fix"]["applicability"] == "display-only"
