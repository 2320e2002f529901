"""Constants the flake8 entry point needs before any rule is loaded."""

DEFAULT_STEP_NAMES = (
    "global_step",
    "step",
    "iteration",
    "it",
    "global_iter",
    "train_step",
    "num_updates",
    "iter_num",
)

#: A file holding none of these cannot hold a finding (but for a log method of a logger it may be
#: handed: ``analysis.text.calls_a_handed_logger``): the flake8 plugin checks them before it even
#: imports the rules. Every rule's own triggers contain one of them (tested).
TRIGGERS = ("wandb", "WANDB_", "Wandb", "WandB", "log_with", "memory_allocated")
