"""Imports its sibling with ``from . import``: the sibling's x-axis globs count here."""
import wandb

from . import axes


def evaluate(model, loaders):
    axes.setup_axes()
    for epoch, loader in enumerate(loaders):
        wandb.log({"val/acc": model(loader), "val/epoch": epoch})
    wandb.log({"test/acc": model(loaders[-1])})  # WB101
