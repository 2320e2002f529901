"""Imports that cannot be resolved stay unknown: never assumed to be wandb."""
import wandb
from missing_package.loggers import WandbLogger, log_helper, model_info


def train(args, model, loader):
    wandb.init(project="p", config={})
    logger = WandbLogger(args)
    for batch in loader:
        logger.log({"loss": model(batch)})
        log_helper({"loss": model(batch)})
    wandb.log(model_info(model), step=0)
