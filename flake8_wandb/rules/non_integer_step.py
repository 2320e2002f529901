from __future__ import annotations

import ast
from typing import ClassVar

from ..analysis.wandb_model import LOG_ATTRIBUTES
from ..engine import UNSAFE, Fix, Invalid, Message, Rule
from .calls import keyword
from .edits import wrap


class FloatStep(Message):
    template: ClassVar[str] = (
        "step={what} is a float; wandb raises TypeError and the program exits: pass an int "
        "(int(...) or //)"
    )
    what: str


class NonIntegerStep(Rule):
    """
    ## What it does

    Reports `step=` of a wandb log call given a float: a float literal, a true division `a / b`,
    `float(...)`, or `time.time()`.

    ## Why is this bad?

    The target wandb raises `TypeError` on a float, str or bool step (measured on 0.31): the
    program exits with that TypeError at the log call. In code that catches exceptions around
    logging (some trainers do), the row is lost instead, silently.

    Not reported: `step=a // b`, `int(...)`, plain names (their type is not known).
    """

    code = "WB105"
    name = "non-integer-step"
    messages = (FloatStep,)
    applicability = (UNSAFE,)
    needs = ("step",)  # every finding is a ``step=`` of a log call
    fix_doc = (
        "Unsafe: wraps the value in `int(...)`. Truncating `samples / batch_size` or a time "
        "changes which row the data lands in (and two calls may now share a step), so review it."
    )
    invalid = (
        Invalid(
            """\
import wandb

def log_progress(samples_seen, batch_size, loss):
    wandb.log({"loss": loss}, step=samples_seen / batch_size)  # WB105:36 step=a / b is a float; wandb raises TypeError and the program exits: pass an int (int(...) or //)
""",
            expected_replacement="""\
import wandb

def log_progress(samples_seen, batch_size, loss):
    wandb.log({"loss": loss}, step=int(samples_seen / batch_size))  # WB105:36 step=a / b is a float; wandb raises TypeError and the program exits: pass an int (int(...) or //)
""",
        ),
        """\
import time

import wandb

run = wandb.init(project="demo", config={})
run.log({"heartbeat": 1}, step=time.time())  # WB105:32 step=time.time() is a float; wandb raises TypeError and the program exits: pass an int (int(...) or //)
run.log({"x": 1}, step=float(3))  # WB105:24 step=float(...) is a float; wandb raises TypeError and the program exits: pass an int (int(...) or //)
run.log({"x": 1}, step=10.0)  # WB105:24 step=10.0 is a float; wandb raises TypeError and the program exits: pass an int (int(...) or //)
""",
    )
    valid = (
        """\
import wandb

def log_progress(samples_seen, batch_size, loss, global_step):
    wandb.log({"loss": loss}, step=samples_seen // batch_size)
    wandb.log({"loss": loss}, step=int(samples_seen / batch_size))
    wandb.log({"loss": loss}, step=global_step)
""",
        """\
import mlflow

mlflow.log_metric("loss", 0.5, step=1.0 / 2)  # not wandb
""",
    )
    use_instead = """\
import wandb

def log_progress(samples_seen, batch_size, loss):
    wandb.log({"loss": loss}, step=samples_seen // batch_size)
"""

    #: only a call of ``x.log`` can be a wandb log call (``log_call``'s first question)
    attribute_names = {ast.Call: LOG_ATTRIBUTES.__contains__}

    def visit_Call(self, node: ast.Call) -> None:
        kw = keyword(node, "step")
        if kw is None or not self.ctx.is_wandb_log(node):
            return
        what = self._float_kind(kw.value)
        if what is not None:
            self.report(
                kw.value,
                FloatStep(what=what),
                fix=Fix(
                    (wrap(self.ctx, kw.value, "int(", ")"),),
                    applicability=UNSAFE,
                    title="Wrap the step in int()",
                ),
            )

    def _float_kind(self, value: ast.AST) -> str | None:
        if isinstance(value, ast.Constant) and isinstance(value.value, float):
            return repr(value.value)
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div):
            return "a / b"
        if isinstance(value, ast.Call):
            qual = self.ctx.qualname(value.func)
            if qual == "float":
                return "float(...)"
            if qual in ("time.time", "time.perf_counter", "time.monotonic"):
                return qual + "()"
        return None
