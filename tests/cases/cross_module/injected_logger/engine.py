"""Functions and a class that receive the logger from main.py."""


def train_one_epoch(model, loader, optimizer, wandb_logger=None):
    for batch in loader:
        loss = model(batch)
        loss.backward()
        optimizer.step()
        if wandb_logger:
            wandb_logger._wandb.log({"train/loss": loss.item()})  # WB101 # WB102


def evaluate(model, loader, wandb_logger=None):
    for batch in loader:
        if wandb_logger:
            wandb_logger._wandb.log({"val/loss": model(batch).item()}, commit=False)


def run_epoch(model, loader, optimizer, logger):
    """Called with a WandbLogger and with a ConsoleLogger: not known to be wandb."""
    for batch in loader:
        loss = model(batch)
        loss.backward()
        optimizer.step()
        logger.log({"loss": loss.item()})


class Trainer:
    def __init__(self, model, logger):
        self.model = model
        self.logger = logger

    def fit(self, loader, optimizer):
        step = 0
        for epoch in range(3):
            for batch in loader:
                loss = self.model(batch)
                loss.backward()
                optimizer.step()
                step += 1
                self.logger.log({"loss": loss.item()}, step=step)  # WB102
            self.logger._wandb.log({"epoch": epoch})  # WB101
