"""Sets up the run and its x-axes: train/* is plotted against train/global_step."""
import wandb


def setup(args):
    run = wandb.init(project="p", config=vars(args))
    run.define_metric("train/*", step_metric="train/global_step")
    return run
