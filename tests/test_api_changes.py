"""The removed-API table (``wandb_runtime/api_changes.py``, read by WB308) against real wandb.

Every entry's ``example`` is run against the installed wandb 0.31, offline, and must do what the
entry says (raise its exception, or do nothing); its ``replacement_example`` must run cleanly.
A slow test installs the releases on both sides of each ``since`` in throwaway venvs and checks
that the call still worked just before it and stopped working at it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from flake8_wandb import versions
from flake8_wandb.engine import Settings
from helpers import engine_findings
from wandb_runtime.api_changes import REMOVED_APIS

pytest.importorskip("wandb")

#: the release before each ``since`` in the table (the wheels the slow test installs)
PREVIOUS = {(0, 20, 0): "0.19.11", (0, 21, 0): "0.20.1", (0, 29, 0): "0.28.2"}

#: runs each entry's example (and replacement) on the wandb of the interpreter that runs it;
#: prints one JSON object: id -> [what the example did, what the replacement did]
PROBE = textwrap.dedent(
    """
    import json, os, sys
    import wandb

    def attempt(code, run):
        try:
            exec(code, {"wandb": wandb, "run": run})
        except BaseException as exc:  # noqa: B902  the class is the fact under test
            return type(exc).__name__
        return "ok"

    out = {}
    for entry in json.load(sys.stdin):
        results = []
        for code in (entry["example"], entry["replacement_example"]):
            if wandb.run is not None:
                wandb.finish()
            run = wandb.init(project="facts") if "run." in code else None
            results.append(attempt(code, run))
            for var in ("WANDB__REQUIRE_LEGACY_SERVICE", "WANDB_X_REQUIRE_LEGACY_SERVICE"):
                os.environ.pop(var, None)
        out[entry["id"]] = results
    if wandb.run is not None:
        wandb.finish()
    print("PROBE " + json.dumps(out))
    """
)


def probe(python: str, entries, tmp_path) -> dict[str, list[str]]:
    env = dict(os.environ)
    for var, sub in (
        ("WANDB_DIR", "runs"),
        ("WANDB_CACHE_DIR", "cache"),
        ("WANDB_CONFIG_DIR", "cfg"),
    ):
        (tmp_path / sub).mkdir(exist_ok=True)
        env[var] = str(tmp_path / sub)
    env.update(WANDB_MODE="offline", WANDB_SILENT="true")  # noqa: WB301  never the network
    env.pop("WANDB_API_KEY", None)
    payload = json.dumps([e._asdict() for e in entries])
    proc = subprocess.run(
        [python, "-c", PROBE],
        input=payload,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("PROBE ")), None)
    assert line is not None, proc.stdout + proc.stderr
    return json.loads(line[len("PROBE ") :])


def expected(effect: str) -> str:
    return "ok" if effect == "no-op" else effect


def test_every_entry_holds_on_the_installed_wandb(tmp_path):
    import wandb

    installed = versions.parse_version(wandb.__version__)
    got = probe(sys.executable, REMOVED_APIS, tmp_path)
    for api in REMOVED_APIS:
        assert installed >= api.since, api.id  # the table describes the wandb we test on
        assert got[api.id] == [expected(api.effect), "ok"], api.id


def test_require_service_only_warns(wandb_dir, capsys):
    """The one no-op entry: ``wandb.require("service")`` returns and changes nothing."""
    import wandb

    before = {k: v for k, v in os.environ.items() if k.startswith("WANDB")}
    assert wandb.require("service") is None  # noqa: WB308  the test checks that it does nothing
    assert {k: v for k, v in os.environ.items() if k.startswith("WANDB")} == before


def test_the_table_is_well_formed():
    ids = [api.id for api in REMOVED_APIS]
    assert len(ids) == len(set(ids))
    for api in REMOVED_APIS:
        assert api.what == "call" or api.what.partition(":")[0] in ("keyword", "argument")
        assert api.fix in (None, "drop-keyword", "drop-statement") or api.fix.startswith(
            "attribute:"
        )
        assert api.since in PREVIOUS, f"{api.id}: add the release before {api.since} to PREVIOUS"
        assert api.deprecated is None or api.deprecated < api.since


@pytest.mark.parametrize("api", REMOVED_APIS, ids=lambda a: a.id)
def test_wb308_follows_the_target_version(api):
    """Reported from ``since`` on, never before it; the message names both versions."""
    source = "import wandb\n\nrun = wandb.init(project='p', config={})\n" + api.example + "\n"
    since = ".".join(map(str, api.since))
    before = PREVIOUS[api.since]

    def wb308(version: str):
        facts = versions.resolve(version)
        return [
            f for f in engine_findings(source, settings=Settings(wandb=facts)) if f.code == "WB308"
        ]

    assert wb308(before) == []
    found = wb308(since)
    assert len(found) == 1 and f"since wandb {since} (target wandb {since})" in found[0].message


@pytest.mark.slow
@pytest.mark.parametrize(
    "release", sorted({*PREVIOUS.values(), *(".".join(map(str, s)) for s in PREVIOUS)})
)
def test_the_table_against_older_releases(release, tmp_path):
    """Each entry worked on the release before its ``since`` and does what the table says on
    ``since`` itself (wheels from the package index, one venv per release)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--only-binary=:all:", f"wandb=={release}"],
        capture_output=True,
        text=True,
    )
    if pip.returncode != 0:
        pytest.skip(f"wandb {release} cannot be installed here: {pip.stderr[-300:]}")
    version = versions.parse_version(release)
    entries = [a for a in REMOVED_APIS if PREVIOUS[a.since] == release or a.since == version]
    got = probe(python, entries, tmp_path)
    for api in entries:
        if version >= api.since:
            assert got[api.id][0] == expected(api.effect), (release, api.id)
        else:
            assert got[api.id][0] == "ok", (release, api.id)


def test_wb308_asks_an_attribute_callee_by_its_own_name():
    """The engine hands WB308 only calls of an attribute named like a removed API's callee
    (``Rule.attribute_names``): a plain-name alias is still resolved, another attribute never."""
    source = textwrap.dedent(
        """\
        import wandb
        from wandb import finish as done

        run = wandb.init(project="p", config={})
        done(quiet=True)
        run.finish(quiet=True)
        run.close(quiet=True)
        """
    )
    lines = [f.line for f in engine_findings(source) if f.code == "WB308"]
    assert lines == [5, 6]
