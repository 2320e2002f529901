"""The evaluation's x-axis: val/* is plotted against val/epoch."""
import wandb


def setup_axes():
    wandb.define_metric("val/*", step_metric="val/epoch")
