# Lightning: self.log is Lightning's, and the wandb logger owns the step
import lightning.pytorch as pl
import wandb
from lightning.pytorch.loggers import WandbLogger


class Model(pl.LightningModule):
    def training_step(self, batch, batch_idx):
        loss = self.compute(batch)
        self.log("train/loss", loss, prog_bar=True)
        self.log_dict({"train/acc": 0.5})
        return loss


logger = WandbLogger(project="demo")
logger.log_metrics({"x": 1})
logger.experiment.log({"y": 2})  # the run behind the logger: not resolvable statically
wandb.define_metric("val/*", step_metric="trainer/global_step")
