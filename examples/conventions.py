"""A seed sweep that breaks the W&B guide's conventions (the opt-in rules).

    flake8 --extend-select=WB103,WB104,WB502,WB6 examples/conventions.py
"""

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
