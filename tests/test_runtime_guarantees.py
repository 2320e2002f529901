"""wandb_runtime never raises into a training job and never alters it (issue 12 item 10): the
repros of ../shared/repros/hostile/runtime_repros.py and runtime_norun_config.py, each a test.

torch-free and, but for the test marked below, wandb-free: these run on every supported Python.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Mapping
from pathlib import Path

import pytest

import wandb_runtime as wr


def run_python(code: str, *flags: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *flags, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@pytest.mark.parametrize(
    "key", ["tokenizer", "max_new_tokens", "num_keypoints", "keyframe_interval", "monkey_patch",
            "key", "sort_key", "pad_token", "eos_token", "tokens_per_batch", "password_min_len"]
)  # fmt: skip
def test_redact_keeps_hyperparameters_whose_names_merely_contain_a_secret_word(key):
    value = 7 if key == "password_min_len" else "gpt2"
    assert wr.redact({key: value, "lr": 0.1}) == {key: value, "lr": 0.1}


@pytest.mark.parametrize(
    "key", ["api_key", "WANDB_API_KEY", "hf_token", "token", "auth_token", "secret", "client_secret",
            "db_password", "clientSecret", "apiKey", "aws_secret_access_key", "passwd", "credentials"]
)  # fmt: skip
def test_redact_replaces_secrets_named_by_whole_words(key):
    assert wr.redact({"nested": {key: "s3cr3t-value"}}) == {"nested": {key: "<redacted>"}}


def test_redact_keeps_numbers_and_flags_under_secret_names():
    config = {"eos_token_id": 2, "use_auth_token": True, "token": None}
    assert wr.redact(config) == config


def test_warnings_turned_into_errors_do_not_raise():
    """python -W error / pytest's filterwarnings = error: the warning becomes a stderr line."""
    proc = run_python(
        """
        import os
        os.environ["WANDB_MODE"] = "ofline"
        import wandb_runtime as R

        class Run:
            def log(self, metrics, step=None):
                pass

        run = Run()
        R.log({}, 5, run=run)
        R.log({}, 3, run=run)            # backwards step: warned
        R.log({}, 2.5, run=run)          # not an int: warned
        print(R.wandb_mode("offline"))   # invalid WANDB_MODE: warned
        print("survived")
        """,
        "-W",
        "error",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["offline", "survived"]
    assert "step 3 is lower than the last step 5" in proc.stderr
    assert "'ofline' is not one of" in proc.stderr


def test_the_warning_category_can_be_silenced():
    class Run:
        def log(self, metrics, step=None):
            pass

    run = Run()
    wr.log({}, 5, run=run)
    with pytest.warns(wr.WandbRuntimeWarning, match="lower than the last step"):
        wr.log({}, 4, run=run)
    assert issubclass(wr.WandbRuntimeWarning, RuntimeWarning)


def test_without_wandb_the_stand_in_keeps_the_config():
    proc = run_python(
        """
        import dataclasses, sys, threading, warnings
        sys.modules["wandb"] = None   # makes "import wandb" fail
        warnings.simplefilter("ignore")
        import wandb_runtime as R

        run = R.init("p", config={"lr": 0.1, "api_key": "s3cr3t", "opt": {"beta": 0.9}})
        print(run.config["lr"], run.config.lr, run.config["api_key"], run.config.opt["beta"])
        run.config.update({"epochs": 3}, allow_val_change=True)
        run.config.batch = 8
        run.summary["final/loss"] = 0.5
        print(run.config["epochs"], run.config["batch"], run.summary["final/loss"], run.name)

        @dataclasses.dataclass
        class Cfg:
            lr: float = 0.2
            lock: object = dataclasses.field(default_factory=threading.Lock)

        print(R.init("p", config=Cfg(), name="n").config["lr"])
        print(R.init("p", config="config.yaml").config)   # a path without wandb: nothing to read
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["0.1 0.1 <redacted> 0.9", "3 8 0.5 None", "0.2", "{}"]


@dataclasses.dataclass
class LockedConfig:
    lr: float = 0.1
    layers: int = 3
    lock: object = dataclasses.field(default_factory=threading.Lock)


def test_a_dataclass_that_asdict_cannot_copy_is_read_one_level_deep():
    lock = LockedConfig()
    assert wr._to_dict(lock) == {"lr": 0.1, "layers": 3, "lock": lock.lock}


@pytest.mark.filterwarnings("ignore::wandb_runtime.WandbRuntimeWarning")
def test_no_helper_raises_on_hostile_arguments():
    class Hostile:
        def __getattr__(self, name):
            raise RuntimeError("boom")

        def __str__(self):
            raise RuntimeError("boom")

        __format__ = __repr__ = __str__  # type: ignore[assignment]

    h = Hostile()
    assert wr.gpu_memory_stats(h) in ({}, wr.gpu_memory_stats(h))
    assert wr.param_count_m(h) == 0.0
    assert isinstance(wr.run_name("exp", version=h), str)
    wr.log(h, step=h, run=h)
    wr.log({"x": 1}, step=1, run=h)
    assert wr.redact(h) is h
    assert wr.wandb_mode(default="offline") in ("offline", os.environ.get("WANDB_MODE"))


def test_init_reads_a_yaml_config_path_as_wandb_does(wandb_dir, tmp_path, monkeypatch):
    """wandb.init(config="config.yaml") loads the file: the shim did so too (it raised)."""
    from pathlib import Path

    from wandb_file import read_run

    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text("lr:\n  value: 0.1\napi_key:\n  value: s3cr3t-key\n")
    run = wr.init("t", config="config.yaml", dir=str(wandb_dir))
    path = Path(run.settings.sync_file)
    run.finish()
    rec = read_run(path)
    assert rec.config["lr"] == 0.1
    assert rec.config["api_key"] == "<redacted>"
    assert b"s3cr3t-key" not in rec.raw


# -- redact() never uploads a secret (issue 18 item 4; repro turn3/runtime_redact_gaps.py) --------

LEGACY = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
V1 = "wandb_v1_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n" + "_" + "x" * 24 + "Y9" * 12 + "z"
ONPREM = "local-" + "0f1e2d3c4b5a69788796a5b4c3d2e1f0aabbccdd"
ANY_KEY = [LEGACY, V1, ONPREM]


def test_key_formats_are_what_facts_md_says():
    from wandb_runtime import facts

    assert len(V1) == 86 and all(facts.is_api_key(k) for k in ANY_KEY)
    assert not facts.is_api_key("0123456789abcdef")  # too short
    assert not facts.is_api_key(LEGACY.upper())  # legacy keys are lower-case


@pytest.mark.parametrize(
    "name", ["WANDB_KEY", "wandb_key", "openai_key", "api_keys", "hf_tokens", "api_key2",
             "WANDB_API_KEY", "wb_token", "wandbApiKey"]
)  # fmt: skip
def test_redact_masks_every_name_the_linter_treats_as_a_key(name):
    assert wr.redact({name: "anything", "nested": {name: ["a", "b"]}}) == {
        name: "<redacted>",
        "nested": {name: "<redacted>"},
    }


@pytest.mark.parametrize("key", ANY_KEY)
def test_redact_masks_values_shaped_like_a_key_under_any_name(key):
    config = {"x": key, "deep": {"list": [1, key, (key,)]}, "lr": 0.1}
    assert wr.redact(config) == {
        "x": "<redacted>",
        "deep": {"list": [1, "<redacted>", ("<redacted>",)]},
        "lr": 0.1,
    }


def test_redact_keeps_a_git_sha_under_a_hash_name():
    config = {"git_sha": LEGACY, "revision": LEGACY, "run_id": "3kd92x1a"}
    assert wr.redact(config) == config


class _Unreadable(Mapping):
    def __getitem__(self, k):
        raise KeyError(k)

    def __len__(self):
        return 1

    def __iter__(self):
        raise RuntimeError("not loaded")


def test_a_nested_mapping_that_raises_is_masked_and_the_rest_still_redacted():
    out = wr.redact({"WANDB_API_KEY": LEGACY, "hf_token": "hf_abc", "data": _Unreadable(), "lr": 1})
    assert out == {"WANDB_API_KEY": "<redacted>", "hf_token": "<redacted>", "data": "<redacted>",
                   "lr": 1}  # fmt: skip


def test_a_top_level_that_cannot_be_read_sends_nothing():
    with pytest.warns(wr.WandbRuntimeWarning):
        assert wr.redact(_Unreadable()) == {}


def test_cycles_keep_no_original_anywhere():
    d = {"api_key": LEGACY, "lr": 0.1}
    d["self"] = d
    d["list"] = [d]
    out = wr.redact(d)
    assert out == {"api_key": "<redacted>", "lr": 0.1, "self": "<redacted>",
                   "list": ["<redacted>"]}  # fmt: skip


def test_deep_configs_are_cut_not_leaked():
    d: dict = {"api_key": LEGACY}
    for _ in range(5000):
        d = {"inner": d}
    out = wr.redact(d)
    assert LEGACY not in repr(out)


def test_the_audit_repro_sends_no_secret():
    """The audit's repro, run as it is: every line must show the masks."""
    # a verbatim copy of ../shared/repros/hostile/turn3/runtime_redact_gaps.py
    repro = str(Path(__file__).parent / "cases" / "repros" / "runtime_redact_gaps.py")
    proc = subprocess.run([sys.executable, repro], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert LEGACY not in proc.stdout and "hf_abc" not in proc.stdout
    assert "3. deepest copy's api_key: <redacted>" in proc.stdout


def test_init_sends_no_secret_to_wandb():
    proc = run_python(
        f"""
        import sys, types
        from collections.abc import Mapping
        sent = {{}}
        fake = types.ModuleType("wandb")
        fake.init = lambda **kw: sent.update(kw)
        fake.run = None
        sys.modules["wandb"] = fake
        import wandb_runtime as R
        class Lazy(Mapping):
            def __getitem__(self, k): raise KeyError(k)
            def __len__(self): return 1
            def __iter__(self): raise RuntimeError("not loaded")
        d = {{"WANDB_KEY": "x1", "openai_key": "x2", "v": {V1!r}, "o": {ONPREM!r}, "data": Lazy()}}
        d["me"] = d
        R.init("p", config=d)
        print(repr(sent["config"]))
        """
    )
    assert proc.returncode == 0, proc.stderr
    for secret in ("x1", "x2", V1, ONPREM, LEGACY):
        assert secret not in proc.stdout
    assert "Lazy" not in proc.stdout and proc.stdout.count("<redacted>") >= 6


def test_redact_keeps_long_names_that_merely_look_like_an_on_prem_key():
    config = {"run": "baseline-with_a_long_description_of_the_run_settings_v2", "lr": 0.1}
    assert wr.redact(config) == config
