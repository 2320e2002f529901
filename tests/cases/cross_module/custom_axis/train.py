import wandb

from lib.setup_wandb import setup


def train(args, loader):
    setup(args)
    for i, batch in enumerate(loader):
        if i % 10 == 0:
            wandb.log({"train/loss": 1.0, "train/global_step": i})
    wandb.log({"eval/acc": 1.0})  # WB101
