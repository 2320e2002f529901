"""The training script: it makes the project's wandb logger and hands it to modules that never
name wandb (``src`` and ``src/trainer`` are namespace packages: no ``__init__.py``)."""

from src import engine
from src.logger import WandBLogger
from src.trainer.trainer import Trainer


def main(model, data, optimizer, model_cfg, data_cfg):
    wandb_logger = WandBLogger("abbreviations")
    wandb_logger.init(config={"lr": 1e-3})
    for cfg in (model_cfg, data_cfg):  # a handful of items, not batches
        wandb_logger.log(cfg, step=0)
    engine.train(data, 3, model, optimizer, logger=wandb_logger)
    Trainer(logger=wandb_logger).fit(model, data, optimizer)
