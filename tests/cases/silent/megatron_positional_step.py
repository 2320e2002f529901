# Megatron-LM: the step is passed positionally to a wandb writer
import wandb


def get_wandb_writer():
    return wandb


def training_log(loss_dict, iteration):
    writer = get_wandb_writer()
    wandb_writer = wandb
    if wandb_writer:
        wandb_writer.log({"lm loss": loss_dict["lm loss"]}, iteration)
    writer.log({"x": 1})  # writer is whatever the helper returns: not resolved, not reported
