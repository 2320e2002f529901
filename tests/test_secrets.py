"""Secrets in every form W&B keys take (issue 18): the secrets finder, WB302 in both front ends,
the fix that removes a key wherever it travelled, and no key in anything wandb-fix prints.

Each repro of ../shared/repros/hostile/turn3/ about secrets is a test here
(secret_leak_via_variable_and_getenv_default.sh, flake8_show_source_prints_key.sh;
runtime_redact_gaps.py is in test_runtime_guarantees.py; the older secret_*.py repros are in
test_hostile.py and swept again below). Needs neither torch nor wandb.
"""

from __future__ import annotations

import json
import py_compile
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_wandb import redact
from flake8_wandb.analysis import secrets
from flake8_wandb.rules import ALL_RULES
from helpers import engine_findings, run_flake8, write
from wandb_runtime import facts

WANDB_FIX = str(Path(sys.executable).parent / "wandb-fix")
ROOT = Path(__file__).resolve().parent.parent

LEGACY = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
V1 = (
    "wandb_v1_"
    + "Xq7Lm2Np9Rt4Vw1Yz6Bc3Df8Gh"
    + "_"
    + "K5j0Ms2Qu7Wx4Za9Ce1Gi6Ko3Sq8Uw5Ya0Ec2Ig7Mk4Oq9Us1W"
)
ONPREM = "local-" + "9f8e7d6c5b4a39281706f5e4d3c2b1a0aabbccdd"
assert len(V1) == 86 and all(facts.is_api_key(k) for k in (LEGACY, V1, ONPREM))


def split(key: str) -> str:
    """The key as two adjacent literals: no key-shaped run in the source text."""
    half = len(key) // 2
    return f'"{key[:half]}" "{key[half:]}"'


#: key shape -> (the key, how it is written in source)
SHAPES = {
    "legacy": (LEGACY, f'"{LEGACY}"'),
    "legacy_split": (LEGACY, split(LEGACY)),
    "legacy_fstring": (LEGACY, f'f"{LEGACY[:10]}" "{LEGACY[10:]}"'),
    "v1": (V1, f'"{V1}"'),
    "v1_split": (V1, split(V1)),
    "onprem": (ONPREM, f'"{ONPREM}"'),
    "onprem_plus": (ONPREM, f'"{ONPREM[:20]}" + "{ONPREM[20:]}"'),
}

#: every path a key takes; {K} is the key's literal
PATHS = {
    "var": "import wandb\n\nAPI_TOKEN = {K}\nwandb.login(key=API_TOKEN)\n",
    "getenv_default": (
        "import os\n\nimport wandb\n\n"
        'wandb.login(key=os.environ.get("WANDB_API_KEY", {K}))\n'
        'run = wandb.init(project="p", config={{}}, reinit=True)\n'
    ),
    "getenv_alone": 'import os\n\nkey = os.getenv("WANDB_API_KEY", {K})\nimport wandb\n',
    "star_kwargs": 'import wandb\n\nwandb.login(**{{"key": {K}}})\n',
    "ior": 'import os\n\nimport wandb\n\nos.environ |= {{"WANDB_API_KEY": {K}}}\nwandb.login()\n',
    "update_dict": (
        "import os\n\nimport wandb\n\n"
        'os.environ.update(dict(WANDB_API_KEY={K}, WANDB_PROJECT="p"))\nwandb.login()\n'
    ),
    "setdefault_in_if": (
        "import os\n\nimport wandb\n\nif os.environ.get('CI'):\n"
        '    os.environ.setdefault("WANDB_API_KEY", {K})\nwandb.login()\n'
    ),
    "argparse": (
        "import argparse\n\nimport wandb\n\nparser = argparse.ArgumentParser()\n"
        'parser.add_argument("--wandb-api-key", default={K})\nargs = parser.parse_args()\n'
        'run = wandb.init(project="p", config=vars(args))\n'
    ),
    "config": (
        "import wandb\n\n"
        'run = wandb.init(project="p", config={{"lr": 1, "opt": {{"wandb_key": {K}, "m": 2}}}})\n'
    ),
    "settings_module": 'PROJECT = "demo"\nWANDB_KEY = {K}\n',
    "api": "import wandb\n\napi = wandb.Api(api_key={K}, timeout=30)\n",
    "call_keyword": "import wandb\n\ntrain(lr=1, wandb_key={K})\n",
    "param_default": "import wandb\n\n\ndef main(lr=1, wb_token={K}):\n    return lr\n",
    "noqa": 'import wandb\n\nwandb.login(key={K})  # noqa: WB302\nrun = wandb.init(project="p", config={{}}, reinit=True)\n',
}
#: no fix: code may read the name / the finding is silenced
UNFIXED = {"settings_module", "noqa", "call_keyword", "param_default"}


def notebook(key: str) -> str:
    cells = [
        (["%env WANDB_API_KEY=" + key + "\n", "import wandb\n", "wandb.login()"], []),
        (
            ["import os\n", "print(os.environ['WANDB_API_KEY'])"],
            [{"name": "stdout", "output_type": "stream", "text": [key + "\n"]}],
        ),
        (["run = wandb.init(project='p', config={}, reinit=True)"], []),
    ]
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"language_info": {"name": "python"}},
            "cells": [
                {
                    "cell_type": "code",
                    "id": f"c{i}",
                    "metadata": {},
                    "execution_count": i,
                    "source": src,
                    "outputs": out,
                }  # fmt: skip
                for i, (src, out) in enumerate(cells, 1)
            ],
        },
        indent=1,
    )


def wandb_fix(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([WANDB_FIX, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def pieces(key: str) -> list[str]:
    """Every 10 consecutive characters of the key's secret part (not its ``wandb_v1_`` or
    ``local-`` prefix, which are no secret)."""
    secret = key.split("-", 1)[1] if key.startswith("local-") else key.removeprefix("wandb_v1_")
    return [secret[i : i + 10] for i in range(len(secret) - 9)]


def leaked(text: str) -> list[str]:
    return [k for k in (LEGACY, V1, ONPREM) if any(p in text for p in pieces(k))]


def sweep_tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for shape, (key, literal) in SHAPES.items():
        for name, template in PATHS.items():
            write(root, f"{shape}__{name}.py", template.format(K=literal))
        write(root, f"{shape}__nb.ipynb", notebook(key))
    return root


MODES = (
    [], ["--unsafe-fixes"], ["--check"], ["--format=json"], ["--format=json", "--unsafe-fixes"],
    ["--format=github"], ["--format=sarif"], ["--color=always", "--unsafe-fixes"],
    ["-j2", "--unsafe-fixes"],
)  # fmt: skip


def test_every_key_shape_on_every_path_is_reported_and_never_printed(tmp_path):
    root = sweep_tree(tmp_path)
    before = {p: p.read_text() for p in root.iterdir()}
    outputs = {}
    for args in MODES:
        proc = wandb_fix(*args, "--no-gitignore", ".", cwd=root)
        outputs[" ".join(args) or "diff"] = proc.stdout + proc.stderr
    rc, out, err = run_flake8(["."], "--select=WB", cwd=root)
    outputs["flake8"] = out + err
    assert {mode: leaked(text) for mode, text in outputs.items() if leaked(text)} == {}
    # flake8's persistent cache holds what flake8 printed: never a key either
    cache = root / ".flake8-wandb-cache"
    kept = [f.read_text() for f in cache.rglob("*.json")]
    assert kept and not [leaked(text) for text in kept if leaked(text)]
    shutil.rmtree(cache)
    assert {p: p.read_text() for p in root.iterdir()} == before  # nothing else was written
    assert "<redacted>" in outputs["--unsafe-fixes"]
    reported = {}
    for line in outputs["--check"].splitlines():
        if " WB302 " in line:
            file = line.split(":")[0]
            reported[file] = reported.get(file, 0) + 1
    expected = {f"{s}__{p}.py": 1 for s in SHAPES for p in PATHS if p != "noqa"}
    expected.update({f"{s}__nb.ipynb": 2 for s in SHAPES})  # the %env line and the output
    assert reported == expected
    flake8_reported = {line.split(":")[0].lstrip("./") for line in out.splitlines()}
    assert flake8_reported >= {f"{s}__{p}.py" for s in SHAPES for p in PATHS if p != "noqa"}
    # writing modes print nothing of a key either, and --apply leaves no key behind
    for args in (["--add-noqa"], ["--apply", "--unsafe-fixes"]):
        copy = tmp_path / args[0].strip("-")
        shutil.copytree(root, copy)
        proc = wandb_fix(*args, "--no-gitignore", ".", cwd=copy)
        assert leaked(proc.stdout + proc.stderr) == []
        if args[0] == "--apply":
            assert proc.returncode in (0, 1), proc.stderr  # 1: the unfixable findings remain
            for path in copy.glob("*.py"):
                py_compile.compile(str(path), doraise=True)
                if path.stem.split("__")[1] not in UNFIXED:
                    assert leaked(path.read_text()) == [], path.name


def test_the_fix_removes_the_key_wherever_it_travelled(tmp_path):
    cases = {
        "var": "import wandb\n\nwandb.login()\n",
        "getenv_default": (
            "import os\n\nimport wandb\n\n"
            'wandb.login(key=os.environ.get("WANDB_API_KEY"))\n'
            'run = wandb.init(project="p", config={}, reinit="finish_previous")\n'
        ),
        "star_kwargs": "import wandb\n\nwandb.login()\n",
        "ior": "import wandb\n\nwandb.login()\n",
        "update_dict": (
            "import os\n\nimport wandb\n\n"
            'os.environ.update(dict(WANDB_PROJECT="p"))\nwandb.login()\n'
        ),
        "setdefault_in_if": (
            "import os\n\nimport wandb\n\nif os.environ.get('CI'):\n    pass\nwandb.login()\n"
        ),
        "argparse": (
            "import argparse\n\nimport wandb\n\nparser = argparse.ArgumentParser()\n"
            'parser.add_argument("--wandb-api-key")\nargs = parser.parse_args()\n'
            'run = wandb.init(project="p", config=vars(args))\n'
        ),
        "config": 'import wandb\n\nrun = wandb.init(project="p", config={"lr": 1, "opt": {"m": 2}})\n',
        "api": "import wandb\n\napi = wandb.Api(timeout=30)\n",
    }
    for name, expected in cases.items():
        path = write(tmp_path, f"t_{name}.py", PATHS[name].format(K=SHAPES["v1_split"][1]))
        proc = wandb_fix("--apply", "--unsafe-fixes", path.name, cwd=tmp_path)
        assert proc.returncode == 0, (name, proc.stdout + proc.stderr)
        assert path.read_text() == expected, name
    rc, out, err = run_flake8(["."], "--select=F,E3,WB", cwd=tmp_path)
    assert (rc, out, err) == (0, "", "")  # no unused import, no run of blank lines, nothing left


def test_the_message_says_to_rotate_the_key():
    findings = engine_findings(PATHS["var"].format(K=f'"{V1}"'))
    assert [f.code for f in findings] == ["WB302"]
    assert "rotate" in findings[0].message and "API_TOKEN" in findings[0].message
    assert V1 not in findings[0].message


@pytest.mark.parametrize(
    "source",
    [
        f'GIT_SHA = "{LEGACY}"\nimport wandb\n',
        f'import wandb\nrun = wandb.init(config={{"commit": "{LEGACY}", "git_sha": "{LEGACY}"}})\n',
        f'import wandb\nmodel = load("m", revision="{LEGACY}")\nwandb.init(config={{}})\n',
        f'import argparse, wandb\np = argparse.ArgumentParser()\np.add_argument("--revision", default="{LEGACY}")\n',
        f'import wandb\nwandb_run_id = "{LEGACY}"\nsha = "{LEGACY}"\nwandb.init(id="3kd92x1a", config={{}})\n',
        f'import wandb\nWANDB_KEY_HASH = "{LEGACY}"\n',
        f'import wandb\nrun = wandb.init(config={{"ckpt_sha256": "{LEGACY}" + "{LEGACY[:24]}"}})\n',
        'import os\nimport wandb\nkey = os.environ.get("WANDB_API_KEY", "none")\nwandb.login(key=key)\n',
        'import wandb\nwandb.login(key=os.environ.get("WANDB_API_KEY", ""))\n',
        f'import wandb\nrun = wandb.init(config={{"data_hash": "{LEGACY}", "lr": 1}})\n',
    ],
)
def test_hashes_and_non_keys_stay_silent(source):
    assert [f for f in engine_findings(source) if f.code == "WB302"] == []


def test_redaction_and_notebooks_use_the_finder_not_the_rule():
    for module in ("redact.py", "notebook.py"):
        text = (ROOT / "flake8_wandb" / module).read_text()
        assert "hardcoded_api_key" not in text and "HardcodedApiKey" not in text


def test_key_spans_cover_keys_no_rule_reports():
    """A ``wandb_v1_`` key anywhere, split or escaped, is masked even where nothing reports it."""
    src = f'import wandb\nx = {split(V1)}\ny = "\\x{ord(V1[0]):02x}{V1[1:]}"\n'
    masked = "".join(redact.masked_lines(src, redact.key_spans(src)))
    assert leaked(masked) == [] and masked.count("<redacted>") == 2


def test_mask_text_masks_every_key_shape_but_not_paths():
    text = f"a {LEGACY} b {V1} c {ONPREM} d tests/test-a_long_module_name_with_words_in_it_0.py"
    assert redact.mask_text(text) == (
        "a <redacted> b <redacted> c <redacted> d tests/test-a_long_module_name_with_words_in_it_0.py"
    )


# -- repro turn3/secret_leak_via_variable_and_getenv_default.sh ------------------------------------

K1, K2 = "a1b2c3d4e5f60718293a", "4b5c6d7e8f9012345678"
REPRO = {
    "var.py": f'import wandb\nAPI_KEY = "{K1}" "{K2}"\nwandb.login(key=API_KEY)\n'
    'run = wandb.init(project="p", config={{}}, reinit=True)\n',
    "getenv.py": "import os\nimport wandb\n"
    f'wandb.login(key=os.environ.get("WANDB_API_KEY", "{K1}" "{K2}"))\n'
    'run = wandb.init(project="p", config={}, reinit=True)\n',
    "kwargs.py": f'import wandb\nwandb.login(**{{"key": "{K1}" "{K2}"}})\n'
    'run = wandb.init(project="p", config={}, reinit=True)\n',
    "ior.py": f'import os\nimport wandb\nos.environ |= {{"WANDB_API_KEY": "{K1}" "{K2}"}}\n'
    'run = wandb.init(project="p", config={}, reinit=True)\n',
    "dict.py": f'import os\nimport wandb\nos.environ.update(dict(WANDB_API_KEY="{K1}" "{K2}"))\n',
}


def test_repro_keys_that_travel_are_reported_and_masked(tmp_path):
    for name, src in REPRO.items():
        write(tmp_path, name, src)
    for name in REPRO:
        check = wandb_fix("--check", name, cwd=tmp_path)
        assert check.stdout.count(" WB302 ") == 1, name
        for args in ([], ["--unsafe-fixes"]):
            proc = wandb_fix(*args, name, cwd=tmp_path)
            assert K1 not in proc.stdout + proc.stderr and K2 not in proc.stdout + proc.stderr


# -- repro turn3/flake8_show_source_prints_key.sh --------------------------------------------------


def test_show_source_is_documented_and_off_by_default(tmp_path):
    """flake8 prints source lines itself under --show-source; a plugin cannot mask them. The page
    and the README say so and show the configuration that keeps it off; without it, and with
    it turned off explicitly, flake8 prints no key."""
    write(tmp_path, "k.py", f'import wandb\nwandb.login(key="{LEGACY}")\n')
    rc, out, err = run_flake8(["k.py"], "--select=WB", cwd=tmp_path)
    assert rc == 1 and "WB302" in out and LEGACY not in out + err
    write(tmp_path, "setup.cfg", "[flake8]\nshow-source = false\n")
    rc, out, err = run_flake8(["k.py"], "--select=WB", cwd=tmp_path)
    assert rc == 1 and LEGACY not in out + err
    page = (ROOT / "docs" / "rules" / "WB302.md").read_text()
    readme = (ROOT / "README.md").read_text()
    for text in (page, readme):
        assert "--show-source" in text and "show-source = false" in text


def test_every_key_format_is_a_fact_of_one_place():
    rule = next(r for r in ALL_RULES if r.code == "WB302")
    assert rule.messages == (secrets.KeyHardcoded,)  # the finder's
    source = (ROOT / "flake8_wandb" / "analysis" / "secrets.py").read_text()
    assert "[0-9a-f]{40}" not in source and "wandb_v1_[" not in source


def test_a_function_left_empty_keeps_pass_and_loses_the_unused_import(tmp_path):
    """Seen in real code: a setup function that only sets the key (here a placeholder)."""
    path = write(
        tmp_path,
        "setup_wandb.py",
        "import os\n\n\ndef setup_wandb():\n"
        '    os.environ["WANDB_API_KEY"] = "Insert_API_Key_here"\n\n\n'
        'if __name__ == "__main__":\n    setup_wandb()\n',
    )
    proc = wandb_fix("--apply", "--unsafe-fixes", path.name, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == (
        'def setup_wandb():\n    pass\n\n\nif __name__ == "__main__":\n    setup_wandb()\n'
    )
    rc, out, err = run_flake8([path.name], "--select=F,E3,WB", cwd=tmp_path)
    assert (rc, out, err) == (0, "", "")


def test_a_notebook_output_with_a_git_sha_is_no_key(tmp_path):
    nb = json.loads(notebook(LEGACY))
    nb["cells"][0]["source"] = ["import wandb\n", "wandb.login()"]  # no %env line
    nb["cells"][1]["outputs"][0]["text"] = [f"commit {LEGACY}\n", f"HEAD is now at {LEGACY}\n"]
    write(tmp_path, "git.ipynb", json.dumps(nb))
    proc = wandb_fix("--check", "git.ipynb", cwd=tmp_path)
    assert " WB302 " not in proc.stdout
    nb["cells"][1]["outputs"][0]["text"] = [f"key: {V1}\n"]
    write(tmp_path, "git.ipynb", json.dumps(nb))
    proc = wandb_fix("--check", "git.ipynb", cwd=tmp_path)
    assert proc.stdout.count(" WB302 ") == 1 and "cell 2" in proc.stdout
    assert leaked(proc.stdout + proc.stderr) == []


def test_environment_writes_are_read_in_their_own_scope_and_bound_names_go_too(tmp_path):
    path = write(
        tmp_path,
        "local.py",
        "import wandb\n\n\ndef setup():\n    import os as o\n\n"
        f'    key = "{LEGACY}"\n'
        '    o.environ.update({"WANDB_API_KEY": key, "WANDB_PROJECT": "p"})\n'
        f'    o.environ["WANDB_API_KEY"] = "{LEGACY}"\n'
        "    wandb.login()\n",
    )
    proc = wandb_fix("--apply", "--unsafe-fixes", path.name, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == (
        "import wandb\n\n\ndef setup():\n    import os as o\n\n"
        '    o.environ.update({"WANDB_PROJECT": "p"})\n    wandb.login()\n'
    )


def test_the_engine_walk_gathers_what_the_finders_own_walk_does():
    """WB302 feeds the finder the nodes the engine's walk visits (no second walk of the module);
    redaction and notebooks let the finder walk itself. Both must find the same keys, with the
    same fixes, on every key shape and path."""
    import ast

    from flake8_wandb.analysis import secrets
    from flake8_wandb.engine import Context, Engine, Settings
    from flake8_wandb.rules.hardcoded_api_key import HardcodedApiKey

    engine = Engine([HardcodedApiKey])
    for shape, (_key, literal) in SHAPES.items():
        for path, template in PATHS.items():
            source = template.replace("{K}", literal).replace("{{", "{").replace("}}", "}")
            tree = ast.parse(source)
            own = secrets.find(Context(tree, source, Settings()))
            findings, errors = engine.check(tree, source)
            assert not errors
            got = sorted((f.line, f.col) for f in findings)
            want = sorted(
                (secrets.start_of(s.node)[0], secrets.start_of(s.node)[1]) for s in own.sites
            )
            if path != "noqa":
                assert got == want, (shape, path)
