"""The project's loggers: one holds wandb, one prints."""


class WandbLogger:
    def __init__(self, args):
        import wandb

        self._wandb = wandb
        self._wandb.init(project="p", config=vars(args))

    def log(self, metrics, step=None):
        self._wandb.log(metrics, step=step)


class ConsoleLogger:
    def log(self, metrics, step=None):
        print(step, metrics)
