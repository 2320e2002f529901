"""A rank-aware script: a stand-in run on the other ranks, wandb optional at import."""
import os

import torch

try:
    import wandb
except ImportError:
    wandb = None


class DummyWandb:
    def log(self, *args, **kwargs):
        pass


def gpu_mem_gb():
    return torch.cuda.max_memory_allocated() / 2**30


def setup(rank, cfg):
    if rank == 0 and wandb is not None:
        run = wandb.init(project="demo", config=cfg, mode="offline")  # under a rank check: not reported
    else:
        run = DummyWandb()
    return run


def train(rank, cfg, loader, model):
    run = DummyWandb() if rank != 0 else wandb.init(project="demo", config=cfg)
    n_params = sum(p.numel() for p in model.parameters())
    run.config.update({"n_params": n_params})  # WB401
    for epoch in range(cfg["epochs"]):
        for i, batch in enumerate(loader):
            loss = model(batch)
            if i % 50 == 0:
                run.log({"loss": loss, "gpu_mem_GB": gpu_mem_gb()}, step=i)  # WB106  # WB201
    run.log({"done": 1})  # WB101


def log_eval(run, metrics, step):
    run.log(metrics, step=step)
    run.log("evaluation finished")


def report(run, acc):
    run.log({"val/acc": acc})  # WB101


os.environ["WANDB_MODE"] = "offline"  # WB301
