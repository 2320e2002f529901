"""flake8-wandb: find and fix Weights & Biases anti-patterns in training code."""

__version__ = "0.1.0"
