"""Framework knowledge: where a framework (Hugging Face ``Trainer``) owns wandb's step."""

from __future__ import annotations

from ..engine import Context
from .calls import dotted


def in_hf_trainer(ctx: Context) -> bool:
    """Inside a Hugging Face ``Trainer`` / ``TrainerCallback`` subclass: the trainer owns
    wandb's step there, and an explicit ``step=`` makes wandb drop the data."""
    for cls in ctx.enclosing_classes():
        for base in cls.bases:
            name = dotted(base).rsplit(".", 1)[-1]
            qual = ctx.qualname(base, ctx.names.module) or ""
            if qual.startswith("transformers."):
                return True
            if name.endswith(("Trainer", "TrainerCallback")):
                # a project's own ``Trainer`` class that derives from no trainer is not HF's
                if ctx.project.plain_class(base, ctx.names.module, ("Trainer", "TrainerCallback")):
                    continue
                return True
    return False
