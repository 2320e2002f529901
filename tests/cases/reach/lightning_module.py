"""Lightning: the WandbLogger's experiment is a run, but Lightning owns the step."""
import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import WandbLogger


class LitModel(pl.LightningModule):
    def training_step(self, batch, batch_idx):
        loss = self(batch)
        self.log("train/loss", loss)
        self.logger.experiment.log({"samples": 1})
        return loss

    def on_train_start(self):
        n_params = sum(p.numel() for p in self.parameters())
        self.logger.experiment.config.update({"params": n_params})  # WB401


def main():
    logger = WandbLogger(project="demo", offline=True)  # WB301
    logger.experiment.log({"examples": 1})
    trainer = pl.Trainer(logger=logger, max_epochs=torch.cuda.device_count())
    trainer.fit(LitModel())
