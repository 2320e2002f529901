"""A kohya sd-scripts style trainer: accelerate with a tracker chosen on the command line."""
import argparse
import math

import torch
from accelerate import Accelerator


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log_with", default="wandb")
    parser.add_argument("--epochs", type=int, default=3)
    return parser.parse_args()


def print0(*args, **kwargs):
    if int(__import__("os").environ.get("RANK", "0")) == 0:
        print(*args, **kwargs)


def train(args, model, optimizer, train_dataloader):
    accelerator = Accelerator(log_with=args.log_with)  # may be wandb: "wandb" is named below
    accelerator.init_trackers("finetune", config=vars(args), init_kwargs={"wandb": {"name": "x"}})
    global_step = 0
    for epoch in range(args.epochs):
        for step, batch in enumerate(train_dataloader):
            loss = model(batch)
            accelerator.backward(loss)
            optimizer.step()
            if accelerator.sync_gradients:
                global_step += 1
                logs = {"loss": loss.item(), "lr": optimizer.param_groups[0]["lr"]}
                accelerator.log(logs, step=global_step)  # WB102
        accelerator.log({"loss/epoch": loss.item()}, step=epoch + 1)  # WB106
        accelerator.log({"epoch_done": epoch})  # WB101
        perplexity = math.exp(loss.item())
        print0(f"epoch {epoch} perplexity {perplexity:.2f}")  # WB501
        accelerator.print(f"loss {loss.item():.3f}")
    for tracker in accelerator.trackers:
        if tracker.name == "wandb":
            tracker.log({"final/loss": loss.item()})  # WB101
        if tracker.name == "tensorboard":
            tracker.log({"final/loss": loss.item()})
    accelerator.end_training()


if __name__ == "__main__":
    train(parse_args(), torch.nn.Linear(2, 2), None, [])
