"""Code that ran on an older wandb, on one GPU, and breaks or misleads after an upgrade or on
several GPUs: removed wandb APIs, a config that never reaches the run, one run per process, and
an analysis computed on a 500-row sample.

    flake8 --select=WB --extend-select=WB309 examples/upgrade_and_scale.py
"""

import argparse
import os

import torch.distributed as dist
import wandb


def train(args):
    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    run = wandb.init(  # every process makes its own run
        project="flake8-wandb-example",
        config=vars(args),
        settings=wandb.Settings(start_method="thread"),  # removed in wandb 0.29
    )
    wandb.config = {"local_rank": local_rank}  # rebinds the attribute: never recorded
    for step in range(100):
        run.log({"train/loss": 1.0 / (step + 1)}, step=step, sync=False)
    print(f"run at {run.get_url()}")
    run.finish(quiet=True)


def best_loss(path):
    run = wandb.Api().run(path)
    history = run.history(keys=["train/loss"])  # a sample of at most 500 rows
    return history["train/loss"].min()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=1e-3)
    train(parser.parse_args())
