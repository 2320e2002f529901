"""Never names the tracker: it logs through the logger ``train.py`` hands it."""

import logging

pylogger = logging.getLogger(__name__)


def train(loader, epochs, model, optimizer, logger=None):
    for epoch in range(epochs):
        for i, batch in enumerate(loader):
            loss = model(batch)
            loss.backward()
            optimizer.step()
            logger.log(data={"train loss": loss.item()}, step=epoch * len(loader) + i)  # WB102
            pylogger.log(logging.INFO, "loss %s", loss.item())  # the standard library's logger
