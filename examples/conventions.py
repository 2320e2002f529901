"""A seed sweep that breaks the W&B guide's conventions (the opt-in rules),
and a script that makes one run per GPU under torchrun.

    flake8 --extend-select=WB103,WB104,WB309,WB502,WB6 examples/conventions.py
"""

import os

import wandb
from tqdm import tqdm


def sweep(seeds, steps):
    for seed in seeds:
        run = wandb.init(
            project="flake8-wandb-example",
            name="seed-sweep",
            config={"seed": seed},
            settings=wandb.Settings(console="redirect"),
        )
        for step in tqdm(range(steps)):
            loss = 1.0 / (step + 1 + seed)
            if step % 10 == 0:
                run.log({"batch/loss": loss, "lr": 1e-3}, step=step)
        run.summary["best_loss"] = loss


def train_on_each_gpu():
    rank = int(os.environ["LOCAL_RANK"])  # torchrun: one process per GPU
    with wandb.init(project="flake8-wandb-example", config={"gpu": rank}):
        pass


if __name__ == "__main__":
    train_on_each_gpu()
