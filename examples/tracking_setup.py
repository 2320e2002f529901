"""W&B set-up code with the other mistakes flake8-wandb reports: a committed API key, a run
without its config, an unresolved Hydra config, settings wandb 0.31 rejects or deprecates, and
scraping wandb.ai pages. (The key below is fake.)

    flake8 --select=WB examples/tracking_setup.py
"""

import argparse
import os

import requests
import wandb
from omegaconf import OmegaConf

os.environ["WANDB_API_KEY"] = "0123456789abcdef0123456789abcdef01234567"


def start_run():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()  # noqa: F841 (WB303 fixes this: config=vars(args))
    return wandb.init(
        project="flake8-wandb-example",
        settings=wandb.Settings(console="wrap_pty"),  # an old guide's advice
        reinit=True,
    )


def start_from_yaml(path):
    cfg = OmegaConf.load(path)
    return wandb.init(project="flake8-wandb-example", config=OmegaConf.to_container(cfg))


def fetch_run_page(entity, project, run_id):
    return requests.get(f"https://wandb.ai/{entity}/{project}/runs/{run_id}", timeout=10).text
