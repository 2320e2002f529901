# .log on things that are not wandb
import logging
import math

import mlflow
import numpy as np
import torch
import wandb
from accelerate import Accelerator

logger = logging.getLogger(__name__)
accelerator = Accelerator(log_with="wandb")


class Timers:
    def log(self, names, normalizer=1.0):
        return names


def train(loss, timers, global_step):
    timers = Timers()
    timers.log(["fwd", "bwd"])
    logger.log(logging.INFO, "loss %.3f", loss)
    accelerator.log({"train/loss": loss}, step=global_step)
    mlflow.log_metric("loss", loss)
    return math.log(loss) + np.log(loss) + torch.log(torch.tensor(loss)).item()


run = wandb.init(project="demo", config={})
run = Timers()  # a name bound to different things: not resolved, not reported
run.log({"x": 1})
