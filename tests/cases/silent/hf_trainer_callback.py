# Hugging Face: the Trainer owns wandb's step; adding step= makes wandb drop the data
import wandb
from transformers import Trainer, TrainerCallback


class ExtraMetrics(TrainerCallback):
    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        wandb.log({"eval/extra": 1.0})


class MyTrainer(Trainer):
    def log(self, logs, start_time=None):
        super().log(logs)
        if wandb.run is not None:
            wandb.run.log({"train/tokens": self.state.num_input_tokens_seen})
