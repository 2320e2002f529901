"""The script: the logger is made here and handed to engine.py."""
import utils
from engine import Trainer, evaluate, run_epoch, train_one_epoch


def main(args, model, loader, val_loader, optimizer):
    wandb_logger = utils.WandbLogger(args) if args.enable_wandb else None
    for epoch in range(args.epochs):
        train_one_epoch(model, loader, optimizer, wandb_logger=wandb_logger)
        evaluate(model, val_loader, wandb_logger)
        run_epoch(model, loader, optimizer, utils.WandbLogger(args))
        run_epoch(model, loader, optimizer, utils.ConsoleLogger())
    Trainer(model, wandb_logger).fit(loader, optimizer)
