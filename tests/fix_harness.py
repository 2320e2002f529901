"""Runs rule examples (original or fixed) as programs against real wandb and CPU torch.

    python fix_harness.py jobs.json results.json

Used by ``test_fix_execution.py``, in a subprocess whose environment holds the run folder. Each
job is a program's text; it is executed as ``__main__`` in its own folder, then every function and
class it defines is driven with arguments named as training code names them (``run``, ``step``,
``model``, ``loader``, ``cfg``, ``args``...): that is the tiny executable form of an example,
kept here and not in the docs. The result of each job is its exit status, the ``.wandb`` files
of the runs it made, and the ``WANDB_MODE`` it left in the environment.

What the program may import is what a user has: torch and wandb (and omegaconf/hydra where the
example imports them), never flake8_wandb, flake8 or libcst, and ``wandb_runtime`` only where the
fix says it needs the wandb-runtime package: a meta-path finder refuses the others.
"""

from __future__ import annotations

import argparse
import ast
import importlib.abc
import inspect
import json
import os
import sys
import traceback
from pathlib import Path

BLOCKED = ("flake8_wandb", "flake8", "libcst")
RUNTIME = "wandb_runtime"
REPEAT = 3  # each function is driven three times: steps 0, 1, 2
CONFIG = {"lr": 0.1, "width": 8, "name": "w${width}", "batch_size": 32}
CONFIG_YAML = "lr: 0.1\nwidth: 8\nname: w${width}\nbatch_size: 32\n"


class Blocker(importlib.abc.MetaPathFinder):
    """Makes the linter's own packages (and the shim, unless allowed) unimportable."""

    allow_runtime = False

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".")[0]
        if top in BLOCKED or (top == RUNTIME and not self.allow_runtime):
            raise ModuleNotFoundError(
                f"No module named {fullname!r} (not installed for this program)", name=fullname
            )
        return None


BLOCKER = Blocker()


def _unload(top: str) -> None:
    for name in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
        del sys.modules[name]


class _Model:
    """A model as the examples use one: callable, with parameters and a few helper methods."""

    def __init__(self):
        import torch

        torch.manual_seed(0)
        self.net = torch.nn.Linear(4, 1)

    def __call__(self, batch=None):
        import torch

        x = torch.ones(2, 4) if batch is None else batch
        loss = self.net(x).pow(2).mean()
        loss.backward()
        return loss

    def parameters(self):
        return self.net.parameters()

    def clip(self):
        import torch

        return float(torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0))

    def score(self, data):
        return 0.25

    def num_parameters(self):
        return sum(p.numel() for p in self.net.parameters())


class Driver:
    def __init__(self, source: str) -> None:
        self.source = source
        self.own_run = None
        self.model = None

    def model_(self):
        if self.model is None:
            self.model = _Model()
        return self.model

    def run_(self):
        import wandb

        if wandb.run is not None:
            return wandb.run
        self.own_run = wandb.init(project="harness", config={})
        return self.own_run

    def arg(self, p: inspect.Parameter, k: int):
        name = p.name.lower()
        ann = getattr(p.annotation, "__name__", str(p.annotation))
        if name in ("run", "wandb_run", "wb_run") or ann == "Run":
            return self.run_()
        if name in ("step", "global_step", "iteration", "it", "iter_num", "epoch", "seed", "rank"):
            return k
        if name == "samples_seen":
            return 64 * (k + 1)
        if name == "batch_size":
            return 32
        if name == "model":
            return self.model_()
        if name in ("loader", "batches", "data_loader") or name.endswith("_loader"):
            import torch

            return [torch.full((2, 4), float(i + 1)) for i in range(3)]
        if name in ("cfg", "config", "conf"):
            if "DictConfig" in ann:
                from omegaconf import OmegaConf

                return OmegaConf.create(CONFIG)
            return dict(CONFIG)
        if name == "args":
            return argparse.Namespace(lr=0.1, batch_size=32)
        if name == "metrics":
            return {"metric": float(k)}
        if name in ("acc", "loss", "lr", "val_loss", "val_acc", "value"):
            return 0.5 / (k + 1)
        return None

    def call(self, fn, k: int):
        sig = inspect.signature(fn)
        kwargs = {}
        for p in sig.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.default is not p.empty:
                continue
            kwargs[p.name] = self.arg(p, k)
        return fn(**kwargs)

    def drive(self, g: dict) -> None:
        """Call every top-level function (hydra mains once, with no argument) and every public
        method of every top-level class, REPEAT times."""
        tree = ast.parse(self.source)
        makes_runs = "init(" in self.source
        for node in tree.body:
            obj = g.get(getattr(node, "name", None))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and callable(obj):
                if getattr(obj, "__module__", None) != "__main__" and not hasattr(
                    obj, "__wrapped__"
                ):
                    continue  # imported under the same name, not defined here
                if not makes_runs:
                    self.run_()
                if hasattr(obj, "__wrapped__") and "hydra" in self.source:
                    obj()  # @hydra.main: hydra builds the config from conf/train.yaml
                    continue
                for k in range(REPEAT):
                    self.call(obj, k)
            elif isinstance(node, ast.ClassDef) and isinstance(obj, type):
                if not makes_runs:
                    self.run_()
                instance = self.call(obj, 0)
                methods = [
                    n.name
                    for n in node.body
                    if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")
                ]
                for k in range(REPEAT):
                    for m in methods:
                        self.call(getattr(instance, m), k)


def run_job(job: dict, run_root: Path) -> dict:
    import wandb

    folder = Path(job["dir"])
    (folder / "conf").mkdir(parents=True, exist_ok=True)
    (folder / "conf" / "train.yaml").write_text(CONFIG_YAML)
    (folder / "train.yaml").write_text(CONFIG_YAML)
    path = folder / "program.py"
    path.write_text(job["source"], encoding="utf-8")
    source = job["source"]
    touches_env = "WANDB_" in source
    env_before = dict(os.environ)
    cwd = os.getcwd()
    argv = sys.argv
    BLOCKER.allow_runtime = bool(job.get("allow_runtime"))
    if not BLOCKER.allow_runtime:
        _unload(RUNTIME)
    if touches_env:
        wandb.teardown()  # wandb reads WANDB_* once per process: let this program's settings count
    before = set(run_root.rglob("run-*.wandb"))
    status = "ok"
    error = ""
    os.chdir(folder)
    sys.argv = [str(path)]
    g = {"__name__": "__main__", "__file__": str(path), "model": None}
    driver = Driver(source)
    g["model"] = driver.model_() if "model" in source else None
    try:
        try:
            exec(compile(source, str(path), "exec"), g)
            if job.get("drive", True):  # a whole program (``main()`` at the end) runs as it is
                driver.drive(g)
        finally:
            while wandb.run is not None:
                wandb.run.finish()
    except SystemExit as exc:
        status = f"SystemExit({exc.code})"
    except BaseException as exc:  # the program's own failure is its exit status
        status = type(exc).__name__
        error = f"{status}: {exc}"
        print(f"[{job['id']}] {status}: {exc}", file=sys.stderr)
        traceback.print_exc(limit=3)
    finally:
        os.chdir(cwd)
        sys.argv = argv
    mode_left = os.environ.get("WANDB_MODE")
    os.environ.clear()
    os.environ.update(env_before)
    if touches_env:
        wandb.teardown()
    after = set(run_root.rglob("run-*.wandb"))
    runs = sorted(after - before, key=lambda p: p.stat().st_mtime)
    return {
        "id": job["id"],
        "status": status,
        "error": error,
        "runs": [str(p) for p in runs],
        "wandb_mode_left": mode_left,
    }


def main(argv) -> int:
    jobs = json.loads(Path(argv[0]).read_text())
    sys.meta_path.insert(0, BLOCKER)
    for name in BLOCKED:
        _unload(name)
    import wandb  # noqa: F401  (once, before any program: the first import costs a second)

    run_root = Path(os.environ["WANDB_DIR"])
    results = [run_job(job, run_root) for job in jobs]
    Path(argv[1]).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
