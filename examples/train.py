"""A small but realistic training script with the W&B mistakes flake8-wandb exists for.

    flake8 --select=WB examples/          # every rule fires here
    wandb-fix examples/                   # the diff that fixes them
    WANDB_MODE=offline python examples/train.py --steps 20

It runs on a CPU in seconds: a tiny MLP on synthetic data.
"""

import argparse
import os
import time

import torch
import wandb
from torch import nn

os.environ["WANDB_MODE"] = "offline"  # the cluster has no network


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--log-dir", default=None)
    return parser.parse_args()


def make_model():
    return nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 1))


def main():
    args = parse_args()
    model = make_model()
    n_params = sum(p.numel() for p in model.parameters())
    run = wandb.init(
        project="flake8-wandb-example",
        mode="offline",
        dir=args.log_dir,
        config={"lr": args.lr, "batch_size": args.batch_size, "model/params": n_params},
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    x_all = torch.randn(1024, 16)
    y_all = x_all.sum(dim=1, keepdim=True)

    start = time.time()
    for global_step in range(args.steps):
        idx = torch.randint(0, x_all.shape[0], (args.batch_size,))
        loss = nn.functional.mse_loss(model(x_all[idx]), y_all[idx])
        optimizer.zero_grad()
        loss.backward()
        grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0))
        optimizer.step()

        gpu_mem_gb = torch.cuda.memory_allocated() / 1e9
        run.log({"train/loss": loss.item(), "system/gpu_mem_GB": gpu_mem_gb})
        if global_step % 10 == 0:
            print(f"step {global_step} loss {loss.item():.4f} grad_norm {grad_norm:.3f}")

    elapsed = time.time() - start
    run.log({"final/steps_per_sec": args.steps / elapsed}, step=args.steps)
    run.finish()


if __name__ == "__main__":
    main()
