from __future__ import annotations

import ast
from typing import ClassVar

from ..analysis.wandb_model import LOG_ATTRIBUTES
from ..engine import Message, Rule
from .calls import str_value


def _logged_dict(ctx, node: ast.Call) -> ast.Dict | None:
    """The dict literal a wandb log call sends (first argument or ``data=``)."""
    if not ctx.is_wandb_log(node):
        return None
    value = (
        node.args[0]
        if node.args
        else next((k.value for k in node.keywords if k.arg == "data"), None)
    )
    return value if isinstance(value, ast.Dict) else None


def _literal_keys(d: ast.Dict) -> list[str]:
    return [k for k in (str_value(key) for key in d.keys) if k is not None]


class BatchKeysWithoutIterNum(Message):
    template: ClassVar[str] = (
        'batch/* metrics logged without batch/iter_num; add "batch/iter_num": iter_num to the dict'
    )


class BatchLogWithoutIterNum(Rule):
    """
    ## What it does

    Reports a wandb log dict with literal `batch/*` keys and no `batch/iter_num` key.

    ## Why is this bad?

    The guide's two-tier convention charts batch metrics against `batch/iter_num`, so that
    batch rows stay comparable across runs with different logging frequencies, resumes and
    gradient accumulation. A batch row without it cannot be placed on that axis.

    Opt-in: a convention, not a bug. Dicts built with `**` are not reported (the key may be
    inside).
    """

    code = "WB103"
    name = "batch-log-without-iter-num"
    messages = (BatchKeysWithoutIterNum,)
    default = False
    invalid = (
        """\
import wandb

def log_batch(run: wandb.Run, loss, lr, step):
    run.log({"batch/loss": loss, "batch/lr": lr}, step=step)  # WB103:13 batch/* metrics logged without batch/iter_num; add "batch/iter_num": iter_num to the dict
""",
    )
    valid = (
        """\
import wandb

def log_batch(run: wandb.Run, loss, step, extra):
    run.log({"batch/loss": loss, "batch/iter_num": step}, step=step)
    run.log({"batch/loss": loss, **extra}, step=step)
    run.log({"epoch/loss": loss}, step=step)
""",
    )
    use_instead = """\
import wandb

def log_batch(run: wandb.Run, loss, lr, step):
    run.log({"batch/loss": loss, "batch/lr": lr, "batch/iter_num": step}, step=step)
"""

    #: only a call of ``x.log`` can be a wandb log call (``log_call``'s first question)
    attribute_names = {ast.Call: LOG_ATTRIBUTES.__contains__}

    def visit_Call(self, node: ast.Call) -> None:
        d = _logged_dict(self.ctx, node)
        if d is None or None in d.keys:  # ``**other`` may hold the key
            return
        keys = _literal_keys(d)
        if any(k.startswith("batch/") for k in keys) and "batch/iter_num" not in keys:
            self.report(d, BatchKeysWithoutIterNum())


class KeysWithoutNamespace(Message):
    """``keys``: the keys as ``repr`` writes them, never raw source text"""

    template: ClassVar[str] = (
        "metric keys without a namespace: {keys}; use tiers such as train/loss, batch/lr, "
        "epoch/val_acc"
    )
    keys: str


class UntieredMetricKey(Rule):
    """
    ## What it does

    Reports literal metric keys of a wandb log dict that have no namespace (`loss` rather than
    `train/loss`, `batch/loss`, `epoch/val_acc`, `system/gpu_mem_used_GB`, `final/...`).

    ## Why is this bad?

    wandb groups charts into sections by the part before `/`. Flat keys end up in one
    unsorted "Charts" section, batch and epoch granularities mix under similar names, and
    panels cannot be filtered by tier.

    Opt-in: a convention. Keys starting with `_` (wandb's own) are not reported.
    """

    code = "WB104"
    name = "untiered-metric-key"
    messages = (KeysWithoutNamespace,)
    default = False
    invalid = (
        """\
import wandb

def log_epoch(run: wandb.Run, loss, acc, epoch):
    run.log({"loss": loss, "val/acc": acc, "lr": 0.1}, step=epoch)  # WB104:13 metric keys without a namespace: 'loss', 'lr'; use tiers such as train/loss, batch/lr, epoch/val_acc
""",
    )
    valid = (
        """\
import wandb

def log_epoch(run: wandb.Run, loss, acc, epoch):
    run.log({"epoch/loss": loss, "epoch/val_acc": acc, "_timestamp": 0}, step=epoch)
""",
    )
    use_instead = """\
import wandb

def log_epoch(run: wandb.Run, loss, acc, epoch):
    run.log({"epoch/loss": loss, "epoch/val_acc": acc, "epoch/lr": 0.1}, step=epoch)
"""

    #: only a call of ``x.log`` can be a wandb log call (``log_call``'s first question)
    attribute_names = {ast.Call: LOG_ATTRIBUTES.__contains__}

    def visit_Call(self, node: ast.Call) -> None:
        d = _logged_dict(self.ctx, node)
        if d is None:
            return
        flat = [k for k in _literal_keys(d) if "/" not in k and not k.startswith("_")]
        if flat:
            self.report(
                d, KeysWithoutNamespace(keys=", ".join(map(repr, flat)))
            )  # repr: never raw source text
