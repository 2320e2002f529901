"""flake8 exactly as installed, minus the flake8-wandb plugin: the baseline of the benchmarks.

flake8 runs every installed plugin whatever ``--select`` says, so "plain flake8" has to be flake8
with the plugin left out of plugin discovery, in the same environment.
"""

import sys

from flake8.plugins import finder

_find = finder._find_importlib_plugins


def _without_wandb():
    return (p for p in _find() if p.package != "flake8-wandb")


finder._find_importlib_plugins = _without_wandb

if __name__ == "__main__":
    from flake8.main.cli import main

    sys.exit(main())
