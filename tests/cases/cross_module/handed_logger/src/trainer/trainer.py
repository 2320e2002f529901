"""A trainer that never names the tracker: its logger is handed in by ``train.py``."""

import pytorch_lightning as pl


class Trainer:
    def __init__(self, logger=None):
        self.logger = logger
        self.step = 0

    def fit(self, model, loader, optimizer):
        for epoch in range(3):
            for batch in loader:
                output = model.training_step(batch)
                output["loss"].backward()
                optimizer.step()
                self.step += 1
                self.__log_metrics(output)  # WB102
            self.__log_metrics(model.validation_end())

    def __process(self, logs):
        return {k: float(v) for k, v in logs.items()} | {"step": self.step}

    def __log_metrics(self, outputs):
        if self.logger is not None and "log" in outputs:
            metrics = self.__process(outputs["log"])
            self.logger.log_metrics(metrics)


class LitModule(pl.LightningModule):
    """A Lightning module that never names its tracker: its logger may be any."""

    def fit(self, loader, optimizer):
        for epoch in range(3):
            for batch in loader:
                optimizer.step()
                self.logger.experiment.log({"loss": 1.0})
                self.logger.log_metrics({"loss": 1.0})
