"""The training script: a conditional project logger, stats dicts, helpers of utils/loggers.py."""
import os

import wandb

from utils.loggers import (
    WandbBuffer,
    WandbLogger,
    log_metrics,
    model_info_branches,
    model_info_for_loggers,
    model_info_names,
    model_info_profiled,
    model_info_scaled,
)


def main(args, model, loader, val_loader, opt):
    logger = WandbLogger(args) if args.wandb else None
    buffer = WandbBuffer()
    n_parameters = sum(p.numel() for p in model.parameters())
    log_stats = {"epoch": 0, "n_parameters": n_parameters}  # WB401
    scaled_stats = {"params_M": n_parameters}
    if logger is not None:
        logger.log_stats(log_stats)
        logger.log_scaled(scaled_stats)
    wandb.log(model_info_for_loggers(model), step=0)  # WB401
    wandb.log(model_info_scaled(model), step=0)
    wandb.log(model_info_names(model), step=0)
    wandb.log(model_info_profiled(model, getattr(args, "profile", False)), step=0)  # WB401
    wandb.log(model_info_branches(model, getattr(args, "profile", False)), step=0)
    global_step = 0
    for epoch in range(args.epochs):
        for batch in loader:
            loss = model(batch)
            loss.backward()
            opt.step()
            global_step += 1
            if os.environ.get("WANDB") == "1" and logger is not None:
                logger.log({"train/loss": loss.item()})  # WB101 # WB102
            buffer.log({"train/loss": loss.item()})
            log_metrics({"train/loss": loss.item()}, global_step)  # WB102
            if global_step % 100 == 0:
                log_metrics({"train/lr": 0.1}, global_step)
        if logger is not None:
            logger.log({"epoch": epoch}, step=global_step)
        evaluate(model, val_loader, logger, global_step)


def evaluate(model, val_loader, logger, global_step):
    for batch in val_loader:
        if logger is not None:
            logger.log({"val/loss": model(batch).item()}, step=global_step)
