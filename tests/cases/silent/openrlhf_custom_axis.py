# OpenRLHF: a custom x-axis; logs are step-less on purpose
import wandb


class WandbLogger:
    def __init__(self, args):
        self._wandb = wandb
        self._wandb.init(project=args.project, config=args.__dict__)
        self._wandb.define_metric("train/global_step")
        self._wandb.define_metric("train/*", step_metric="train/global_step", step_sync=True)

    def log_train(self, global_step, logs_dict):
        logs = {"train/%s" % k: v for k, v in {**logs_dict, "global_step": global_step}.items()}
        self._wandb.log(logs)
