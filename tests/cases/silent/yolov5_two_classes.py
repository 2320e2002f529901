# yolov5: self.wandb is a buffering wrapper in one class and a real run in another
import wandb


class WandbBuffer:
    def __init__(self):
        self.rows = []

    def log(self, row):
        self.rows.append(row)


class Loggers:
    def __init__(self):
        self.wandb = WandbBuffer()

    def on_fit_epoch_end(self, vals):
        self.wandb.log(dict(zip(["a", "b"], vals)))


class WandbLogger:
    def __init__(self, opt):
        self.wandb = wandb.init(project=opt.project, config=vars(opt)) if wandb else None
        self.current_epoch = 0

    def end_epoch(self):
        self.wandb.log({"epoch": self.current_epoch}, step=self.current_epoch)
