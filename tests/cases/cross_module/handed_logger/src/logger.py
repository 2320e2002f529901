import wandb


class WandBLogger:
    def __init__(self, project_name):
        self.project_name = project_name

    def init(self, config):
        wandb.init(project=self.project_name, config=config)

    def log(self, data, step):
        wandb.log(data=data, step=step)

    def log_metrics(self, metrics):
        wandb.log(metrics, step=metrics["step"])
