"""wandb_runtime against the real thing: wandb 0.31 offline runs read back from their .wandb
files, and real torch (CPU)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

import wandb_runtime as wr
from wandb_file import read_run

HERE = Path(__file__).parent


def run_python(code: str, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


# -- import ----------------------------------------------------------------------------------------


def test_import_is_cheap_and_imports_neither_wandb_nor_torch():
    """Cheap by construction: importing the shim loads nothing but the standard library (its cost,
    about 8 ms, is measured with ``python -X importtime -c "import wandb_runtime"``, not asserted:
    a loaded CI machine doubles it)."""
    proc = run_python(
        """
        import sys
        before = set(sys.modules)
        import wandb_runtime
        new = sorted(set(sys.modules) - before)
        stdlib = sys.stdlib_module_names
        print([m for m in new if m.split(".")[0] not in stdlib and not m.startswith("wandb_runtime")
               and not m.startswith("__editable__")])
        print([m for m in ('wandb', 'torch', 'numpy') if m in sys.modules])
        """
    )
    assert proc.stdout.split("\n")[:2] == ["[]", "[]"], proc.stdout + proc.stderr


# -- torch -----------------------------------------------------------------------------------------


def test_param_count_m_on_real_modules():
    model = nn.Sequential(nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10))
    total = 100 * 50 + 50 + 50 * 10 + 10
    assert wr.param_count_m(model) == pytest.approx(total / 1e6)
    for p in model[0].parameters():
        p.requires_grad_(False)
    assert wr.param_count_m(model, trainable_only=True) == pytest.approx((50 * 10 + 10) / 1e6)
    shared = nn.Linear(4, 4)
    tied = nn.Sequential(shared, shared)  # tied weights count once, as torch counts them
    assert wr.param_count_m(tied) == pytest.approx(20 / 1e6)


def test_param_count_m_degrades():
    class HFLike:
        def num_parameters(self, only_trainable=False):
            return 7_000_000 if not only_trainable else 1_000_000

    assert wr.param_count_m(HFLike()) == 7.0
    assert wr.param_count_m(HFLike(), trainable_only=True) == 1.0
    assert wr.param_count_m(object()) == 0.0


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the behaviour without CUDA")
def test_gpu_memory_stats_is_empty_without_cuda():
    assert wr.gpu_memory_stats() == {}
    assert wr.gpu_memory_stats(device=0) == {}


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU (bench/gpu_check.py runs on one)"
)
def test_gpu_memory_stats_on_cuda():
    x = torch.empty(256 * 1024 * 1024, dtype=torch.uint8, device="cuda")
    stats = wr.gpu_memory_stats()
    assert stats["system/gpu_mem_used_GB"] == pytest.approx(torch.cuda.memory_reserved() / 1e9)
    assert stats["system/gpu_mem_allocated_GB"] >= x.numel() / 1e9
    assert stats["system/gpu_mem_device_used_GB"] >= stats["system/gpu_mem_used_GB"]


def test_helpers_without_torch_and_without_wandb():
    """Every helper works, or does nothing, when neither package can be imported."""
    proc = run_python(
        """
        import sys
        sys.modules["torch"] = None   # makes "import torch" fail
        sys.modules["wandb"] = None
        import warnings
        warnings.simplefilter("ignore")
        import wandb_runtime as wr
        print(wr.gpu_memory_stats())
        wr.log({"loss": 1.0}, step=1)
        wr.echo("still printed")
        run = wr.init("demo", config={"lr": 0.1})
        run.log({"x": 1}, step=0); run.finish()
        with run:
            pass
        print(type(run).__name__, wr.wandb_mode("offline"))
        """,
        env={"WANDB_MODE": ""},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["{}", "still printed", "_NoRun offline"]


# -- settings --------------------------------------------------------------------------------------


def test_wandb_mode(monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    assert wr.wandb_mode() == "online"
    assert wr.wandb_mode("offline") == "offline"
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert wr.wandb_mode("offline") == "disabled"
    monkeypatch.setenv("WANDB_MODE", "ofline")
    with pytest.warns(RuntimeWarning, match="not one of"):
        assert wr.wandb_mode("offline") == "offline"


def test_run_name(monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    assert wr.run_name("resnet", version=3) == "v3-resnet_4242"
    assert wr.run_name("resnet") == "resnet_4242"
    monkeypatch.delenv("SLURM_JOB_ID")
    assert re.fullmatch(r"resnet-\d{4}", wr.run_name("resnet"))
    assert re.fullmatch(r"v2-resnet-\d{4}", wr.run_name("resnet", version=2))


def test_log_without_a_run_is_a_no_op(wandb_dir, capfd):
    """No run: nothing is logged, started, written, printed, warned or raised."""
    import wandb

    assert wandb.run is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # recorded, not raised: log() swallows exceptions
        assert wr.log({"loss": 1.0}, step=3) is None
        assert wr.log({"loss": 1.0}, step=1) is None  # a lower step: nothing to warn about
        assert wr.log({"loss": 1.0}, step=2.5) is None  # not an int: no run to lose it for
    assert [str(w.message) for w in caught] == []
    assert wandb.run is None  # no run was started for it
    assert list(wandb_dir.iterdir()) == []  # nothing written
    assert capfd.readouterr() == ("", "")  # nothing printed


# -- real offline runs -----------------------------------------------------------------------------


def test_log_records_rows_at_their_steps_and_warns_once_on_backwards_steps(wandb_dir):
    import wandb

    run = wandb.init(project="t", dir=wandb_dir, config={})
    wr.log({"loss": 3.0}, step=1)
    wr.log({"loss": 2.0}, step=2, run=run)
    wr.log({"loss": 1.5}, step=5.0)  # an integral float is converted (wandb raises on floats)
    with pytest.warns(RuntimeWarning, match="wandb drops data"):
        wr.log({"loss": 9.0}, step=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second backwards step: no second warning
        wr.log({"loss": 9.0}, step=3)
    with pytest.warns(RuntimeWarning, match="not an int"):
        wr.log({"loss": 9.0}, step=6.5)
    wr.log({"loss": 1.0}, step=7)
    run.summary["final/best_loss"] = 1.0
    path = Path(run.settings.sync_file)
    run.finish()
    rec = read_run(path)
    rows = [(r["_step"], r["loss"]) for r in rec.history]
    assert rows == [(1, 3.0), (2, 2.0), (5, 1.5), (7, 1.0)]  # wandb dropped steps 4 and 3
    assert rec.summary["final/best_loss"] == 1.0
    assert rec.summary["loss"] == 1.0 and rec.summary["_step"] == 7  # the last row kept


def test_init_resolves_redacts_and_derives_config(wandb_dir, monkeypatch):
    from omegaconf import OmegaConf

    monkeypatch.setenv("WANDB_MODE", "offline")
    cfg = OmegaConf.create(
        {
            "model": {"width": 64, "depth": 2, "name": "mlp-${model.width}"},
            "optim": {"lr": 0.001, "warmup": "${model.depth}"},
            "wandb_api_key": "0123456789abcdef0123456789abcdef01234567",
            "secrets": {"hf_token": "hf_SUPERSECRETTOKENVALUE", "db_password": "hunter2-xyz"},
        }
    )
    model = nn.Linear(10, 10)
    run = wr.init("t", config=cfg, model=model, dir=str(wandb_dir), mode="online")
    assert run.settings.mode == "offline"  # WANDB_MODE beats the code's default
    path = Path(run.settings.sync_file)
    run.finish()
    rec = read_run(path)
    assert rec.config["model"] == {"width": 64, "depth": 2, "name": "mlp-64"}
    assert rec.config["optim"] == {"lr": 0.001, "warmup": 2}
    assert rec.config["wandb_api_key"] == "<redacted>"
    assert rec.config["secrets"] == {"hf_token": "<redacted>", "db_password": "<redacted>"}
    assert rec.config["model/total_params_M"] == pytest.approx(110 / 1e6)
    for secret in (b"0123456789abcdef0123456789abcdef01234567", b"SUPERSECRET", b"hunter2"):
        assert secret not in rec.raw


@dataclasses.dataclass
class TrainConfig:
    lr: float = 0.1
    layers: int = 3


@pytest.mark.parametrize(
    "config, expected",
    [
        (
            argparse.Namespace(lr=0.01, batch_size=8, auth_token="abc"),
            {"lr": 0.01, "batch_size": 8, "auth_token": "<redacted>"},
        ),
        (TrainConfig(), {"lr": 0.1, "layers": 3}),
        (
            {"lr": 0.5, "nested": {"secret_key": "x"}},
            {"lr": 0.5, "nested": {"secret_key": "<redacted>"}},
        ),
    ],
    ids=["argparse", "dataclass", "dict"],
)
def test_init_config_kinds(wandb_dir, config, expected):
    run = wr.init("t", config=config, dir=str(wandb_dir))
    path = Path(run.settings.sync_file)
    run.finish()
    rec = read_run(path)
    assert {k: v for k, v in rec.config.items() if not k.startswith("_")} == expected


def test_init_replaces_a_console_value_wandb_rejects(wandb_dir):
    with pytest.warns(RuntimeWarning, match="wrap_pty"):
        run = wr.init("t", config={}, dir=str(wandb_dir), settings={"console": "wrap_pty"})
    assert run.settings.console in ("wrap", "wrap_raw", "wrap_emu", "auto")
    run.finish()


def test_init_under_wandb_mode_disabled(wandb_dir, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "disabled")
    run = wr.init("t", config={"a": 1}, dir=str(wandb_dir))
    wr.log({"x": 1}, step=0, run=run)
    wr.echo("disabled run")
    run.finish()
    assert not list(wandb_dir.rglob("*.wandb"))


ECHO_SCRIPT = """
import sys, json
import wandb, wandb_runtime as wr
console = sys.argv[1]
run = wandb.init(project="t", dir=sys.argv[2], config={}, settings=wandb.Settings(console=console))
wr.echo("ECHO-LINE", 42, "loss", 0.5)
print("PLAIN-PRINT")
print(json.dumps({"sync_file": run.settings.sync_file}))
run.finish()
"""


@pytest.mark.slow  # a real wandb run in a subprocess, twice
@pytest.mark.parametrize("console", ["wrap", "off"])
def test_echo_reaches_the_logs_tab_exactly_once(tmp_path, console):
    """In a subprocess: wandb patches sys.stdout, which pytest's capture would hide."""
    (tmp_path / "runs").mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", ECHO_SCRIPT, console, str(tmp_path / "runs")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "WANDB_DIR": str(tmp_path / "runs")},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("ECHO-LINE 42 loss 0.5") == 1  # printed once on the terminal
    sync_file = json.loads(proc.stdout.strip().splitlines()[-1])["sync_file"]
    rec = read_run(Path(sync_file))
    assert rec.output.count("ECHO-LINE 42 loss 0.5") == 1
    # the control: a plain print reaches the Logs tab only when wandb captures the console
    assert rec.output.count("PLAIN-PRINT") == (1 if console == "wrap" else 0)
