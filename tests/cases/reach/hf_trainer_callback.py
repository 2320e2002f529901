"""Hugging Face: the trainer owns wandb's step; adding one makes wandb drop the data."""
import wandb
from transformers import Trainer, TrainerCallback


class ExtraLogs(TrainerCallback):
    def on_log(self, args, state, control, logs=None, **kwargs):
        wandb.log({"extra/tokens": state.num_input_tokens_seen})


class MyTrainer(Trainer):
    def log(self, logs, start_time=None):
        super().log(logs)
        wandb.log({"custom": 1})
