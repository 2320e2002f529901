import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

# Nothing wandb writes may land outside a temp dir, and nothing may reach the network.
_WANDB_HOME = Path(tempfile.mkdtemp(prefix="flake8-wandb-tests-"))
for var, sub in (
    ("WANDB_DIR", "runs"),
    ("WANDB_CACHE_DIR", "cache"),
    ("WANDB_CONFIG_DIR", "config"),
    ("WANDB_DATA_DIR", "data"),
    ("WANDB_ARTIFACT_DIR", "artifacts"),
):
    (_WANDB_HOME / sub).mkdir(parents=True, exist_ok=True)
    os.environ[var] = str(_WANDB_HOME / sub)
os.environ["WANDB_MODE"] = "offline"  # noqa: WB301  the tests must never reach the network
os.environ["WANDB_SILENT"] = "true"
os.environ.pop("WANDB_API_KEY", None)


@pytest.fixture
def wandb_dir(tmp_path, monkeypatch):
    """A fresh run folder; wandb's process-wide state is torn down afterwards (it snapshots
    WANDB_* variables once per process). Skips where wandb is not installed (other Pythons)."""
    wandb = pytest.importorskip("wandb")

    run_dir = tmp_path / "wandb-runs"
    run_dir.mkdir()
    monkeypatch.setenv("WANDB_DIR", str(run_dir))
    wandb.teardown()
    yield run_dir
    if wandb.run is not None:
        wandb.run.finish()
    wandb.teardown()
