"""wandb-fix (placeholder until the fixer lands)."""

import sys


def main(argv=None) -> int:
    print("wandb-fix: not built yet; use flake8 --select=WB for now", file=sys.stderr)
    return 2
