"""Training through Hugging Face accelerate, the way kohya's sd-scripts and diffusers do it:
flake8-wandb sees wandb behind `Accelerator(log_with=...)`.

    flake8 --select=WB examples/accelerate_train.py
"""

import argparse

import torch
from accelerate import Accelerator


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--report_to", default="wandb")
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()

    accelerator = Accelerator(log_with=args.report_to)
    accelerator.init_trackers("flake8-wandb-example", config=vars(args))
    model = torch.nn.Linear(16, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model, optimizer = accelerator.prepare(model, optimizer)

    global_step = 0
    for epoch in range(args.epochs):
        for _ in range(8):
            x = torch.randn(4, 16)
            loss = model(x).pow(2).mean()
            accelerator.backward(loss)
            optimizer.step()
            optimizer.zero_grad()
            global_step += 1
            if global_step % 4 == 0:
                accelerator.log({"train/loss": loss.item()}, step=global_step)
        # every epoch row is dropped: epoch + 1 is below the current step
        accelerator.log({"epoch/loss": loss.item()}, step=epoch + 1)
    accelerator.end_training()


if __name__ == "__main__":
    main()
