from __future__ import annotations

import ast
from typing import ClassVar

from ..analysis.counters import receiver_key, restarting_loop, step_kind
from ..analysis.wandb_model import LOG_ATTRIBUTES
from ..engine import Message, Rule, start_of
from .calls import keyword
from .frameworks import in_hf_trainer
from .log_without_step import defines_custom_x_axis


class RestartingStep(Message):
    template: ClassVar[str] = (
        "step={value} is the index of the loop on line {loop_line}, which restarts on every "
        "iteration of the loop around it, so wandb drops those rows; log at a run-wide step "
        "(a counter that only grows)"
    )
    value: str
    loop_line: int


class EpochStepBesideStepCounter(Message):
    template: ClassVar[str] = (
        "step={value} is an epoch while the log call on line {other_line} passes a step "
        "counter to the same run, so wandb drops those rows; log at the run-wide step with "
        'the epoch as a key, or define_metric("epoch/*", step_metric="epoch")'
    )
    value: str
    other_line: int


class StepCounterMismatch(Rule):
    """
    ## What it does

    Reports wandb log calls on one run whose `step=` values come from counters that disagree:

    - (a) `step=` an epoch-like counter (`epoch`, `epoch + 1`, `ep`) where another log call on the
      same run in the same function, class or module passes a step-like counter (`global_step`,
      `step`, `iteration`...);
    - (b) `step=` the index of an inner loop that restarts on every iteration of an enclosing loop
      (`for epoch ...: for i, batch in enumerate(loader): run.log(..., step=i)`).

    ## Why is this bad?

    wandb's step only grows: a log at a step lower than the current one is dropped ("Tried to log
    to step N that is less than the current step M ... this data will be ignored"; with
    `WANDB_SILENT` not even that). Measured with wandb 0.31: logging `step=global_step` per batch
    and `step=epoch + 1` per epoch on one run records every batch row and drops every epoch row;
    an inner loop's `step=i` records the first epoch and drops all the others.

    Not reported: one counter used consistently (every call `step=epoch`), a combined counter
    (`epoch * len(loader) + i`, `global_step`), modules that define their axes with
    `define_metric(..., step_metric=...)`, calls on different runs, positional steps, and
    Lightning's `experiment.log` (Lightning owns the step).
    """

    code = "WB106"
    name = "step-counter-mismatch"
    messages = (RestartingStep, EpochStepBesideStepCounter)
    needs = ("step",)  # every finding is a ``step=`` of a log call
    invalid = (
        """\
import wandb

def train(run: wandb.Run, loader, epochs):
    global_step = 0
    for epoch in range(epochs):
        for batch in loader:
            global_step += 1
            if global_step % 100 == 0:
                run.log({"train/loss": 0.1}, step=global_step)
        run.log({"epoch/val_loss": 0.2}, step=epoch + 1)  # WB106:47 step=epoch + 1 is an epoch while the log call on line 9 passes a step counter to the same run, so wandb drops those rows; log at the run-wide step with the epoch as a key, or define_metric("epoch/*", step_metric="epoch")
""",
        """\
from accelerate import Accelerator

import wandb

accelerator = Accelerator(log_with="wandb")
accelerator.init_trackers("demo", config={"lr": 0.1})

def train(loader, epochs):
    global_step = 0
    for epoch in range(epochs):
        for batch in loader:
            global_step += 1
            accelerator.log({"loss": 0.1}, step=global_step)
        accelerator.log({"epoch_loss": 0.2}, step=epoch + 1)  # WB106:51 step=epoch + 1 is an epoch while the log call on line 13 passes a step counter to the same run, so wandb drops those rows; log at the run-wide step with the epoch as a key, or define_metric("epoch/*", step_metric="epoch")
""",
        """\
import wandb

run = wandb.init(project="demo", config={})
for epoch in range(10):
    for i, batch in enumerate(range(100)):
        if i % 10 == 0:
            run.log({"loss": 0.1}, step=i)  # WB106:41 step=i is the index of the loop on line 5, which restarts on every iteration of the loop around it, so wandb drops those rows; log at a run-wide step (a counter that only grows)
""",
    )
    valid = (
        """\
import wandb

run = wandb.init(project="demo", config={})
for epoch in range(10):
    run.log({"epoch/loss": 0.1}, step=epoch)
    run.log({"epoch/acc": 0.9}, step=epoch)
""",
        """\
import wandb

def train(run: wandb.Run, loader, epochs):
    for epoch in range(epochs):
        for i, batch in enumerate(loader):
            if i % 10 == 0:
                run.log({"loss": 0.1}, step=epoch * len(loader) + i)
""",
        """\
import wandb

run = wandb.init(project="demo", config={})
run.define_metric("epoch/*", step_metric="epoch")
for epoch in range(3):
    for step in range(10):
        run.log({"loss": 0.1}, step=epoch * 10 + step)
    run.log({"epoch/loss": 0.1, "epoch": epoch})
""",
        """\
import wandb

def train(train_run: wandb.Run, eval_run: wandb.Run, global_step, epoch):
    train_run.log({"loss": 0.1}, step=global_step)
    eval_run.log({"acc": 0.9}, step=epoch)
""",
        """\
import wandb

for seed in range(3):  # a new run per seed: each run's steps start at 0
    run = wandb.init(project="demo", config={"seed": seed})
    for step in range(100):
        if step % 10 == 0:
            run.log({"loss": 0.1}, step=step)
    run.finish()
""",
        """\
import wandb

def train(writer, loader, global_step, epoch):
    wandb.log({"loss": 0.1}, global_step)  # Megatron: positional steps
    wandb.log({"epoch/loss": 0.1}, epoch)
""",
    )
    use_instead = """\
import wandb

def train(run: wandb.Run, loader, epochs):
    global_step = 0
    for epoch in range(epochs):
        for batch in loader:
            global_step += 1
            if global_step % 100 == 0:
                run.log({"train/loss": 0.1}, step=global_step)
        run.log({"epoch/val_loss": 0.2, "epoch": epoch + 1}, step=global_step)
"""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.custom_x_axis = defines_custom_x_axis(ctx)
        #: per (receiver text, the node within which it means one run): the step-like and the
        #: epoch-like calls, each with the function or class it sits in
        self.calls: dict[tuple[str, int], list[tuple[str, ast.Call, ast.AST, int]]] = {}

    #: only a call of ``x.log`` can be a wandb log call (``log_call``'s first question)
    attribute_names = {ast.Call: LOG_ATTRIBUTES.__contains__}

    def visit_Call(self, node: ast.Call) -> None:
        if self.custom_x_axis:
            return
        kw = keyword(node, "step")
        if (
            kw is None
            or not self.ctx.is_wandb_log(node, lightning=False)
            or in_hf_trainer(self.ctx)
        ):
            return
        loop = restarting_loop(self.ctx, kw.value)
        if loop is not None:
            self.report(
                kw.value,
                RestartingStep(value=self.ctx.segment(kw.value), loop_line=start_of(loop)[0]),
            )
            return
        # a parameter whose every caller passes the same expression is that expression:
        # ``_log_plots(plots, step)`` called with ``step=trainer.epoch + 1`` logs at the epoch
        kind = step_kind(self.ctx.project.parameter_value(kw.value, self.ctx.function()))
        if kind is None:
            return
        key = receiver_key(self.ctx, node)
        if not key[0]:
            return
        classes = self.ctx.enclosing_classes()
        where = id(classes[-1]) if classes else 0
        self.calls.setdefault(key, []).append((kind, node, self.ctx.function(), where))

    def end_module(self) -> None:
        for calls in self.calls.values():
            steps = [c for c in calls if c[0] == "step"]
            for kind, call, func, where in calls:
                if kind != "epoch":
                    continue
                other = _nearest(steps, func, where)
                if other is None:
                    continue
                kw = keyword(call, "step")
                if kw is None:  # recorded only with a step= keyword
                    continue
                self.report(
                    kw.value,
                    EpochStepBesideStepCounter(
                        value=self.ctx.segment(kw.value), other_line=other.lineno
                    ),
                )


def _nearest(steps, func: ast.AST, where: int):
    """A step-like call in the same function, else the same class, else the module."""
    for _, call, f, _w in steps:
        if f is func:
            return call
    for _, call, _f, w in steps:
        if where and w == where:
            return call
    return steps[0][1] if steps else None
