from __future__ import annotations

import ast
import fnmatch
from collections.abc import Iterator
from typing import ClassVar

from ..analysis.counters import (
    LOOPS,
    LogSite,
    RunView,
    counter_identity,
    escapes_through,
    is_run_wide_counter,
    runs_twice_at_one_value,
)
from ..analysis.project import LOG_SPELLINGS, named_for_logging
from ..analysis.resolve import Scope
from ..analysis.wandb_model import (
    LOG_ATTRIBUTES,
    RUN_LIKE,
    commit_false,
    logged_keys,
    wandb_tracker_in_loop,
)
from ..engine import UNCHANGED, UNSAFE, Fix, Invalid, Message, Rule, start_of
from .calls import has_star_kwargs, keyword, str_value
from .edits import add_keyword
from .frameworks import in_hf_trainer


def defines_custom_x_axis(ctx) -> bool:
    """``define_metric(..., step_metric=...)`` anywhere in the module: logs are meant to be
    step-less there (OpenRLHF, Lightning)."""
    return any(keyword(call, "step_metric") for call, _ in ctx.names.calls_named("define_metric"))


def _define_metric_calls(ctx) -> list[ast.Call]:
    """``define_metric`` calls of the module and of the project modules it imports (a
    ``utils/logging.py`` that sets up the run's x-axes); of another module, only those whose
    text holds ``step_metric`` (the only calls asked about: a module without the word is not
    parsed)."""
    own = [call for call, _ in ctx.names.calls_named("define_metric")]
    return own + ctx.project.imported_calls_named("define_metric", ("step_metric",))


def custom_x_axis_globs(ctx) -> list[str] | None:
    """The globs of ``define_metric(<glob>, step_metric=...)`` in the module; None when one of
    them is not a literal (it may cover every key)."""
    globs: list[str] = []
    for call in _define_metric_calls(ctx):
        axis = keyword(call, "step_metric")
        if axis is None:
            continue
        key = str_value(axis.value)
        if key is not None:
            globs.append(key)  # the x-axis key itself is logged beside the keys it drives
        name = call.args[0] if call.args else getattr(keyword(call, "name"), "value", None)
        glob = str_value(name)
        if glob is None:
            return None
        globs.append(glob)
    return globs


def _covered(call: ast.Call, globs: list[str] | None) -> bool:
    """Every key the call logs is on a custom x-axis (or the keys cannot be read while one is
    defined: when in doubt, don't report)."""
    if globs is None:
        return True
    if not globs:
        return False
    values = call.args[0] if call.args else None
    if not isinstance(values, ast.Dict) or not values.keys:
        return True
    for key in values.keys:
        text = str_value(key)
        if text is None:
            return True
        if not any(fnmatch.fnmatchcase(text, g) for g in globs):
            return False
    return True


def syncs_tensorboard(ctx) -> bool:
    """``wandb.init(sync_tensorboard=...)`` not literally False: TensorBoard's step drives the
    run, and ``step=`` conflicts with it."""
    if "sync_tensorboard" not in ctx.source and ctx.source.isascii():
        return False  # the cheap question first: the keyword is written (in NFKC, if not ASCII)
    for init, _ in ctx.wandb.wandb_inits():
        kw = init.direct("sync_tensorboard")
        if kw is None:
            continue
        if not (isinstance(kw.value, ast.Constant) and kw.value.value in (False, None)):
            return True
    return False


class LogWithoutExplicitStep(Message):
    """A run-wide counter is found and the whole run can take it: the fix passes it."""

    template: ClassVar[str] = (
        "wandb log call without explicit step=; pass step={step} (wandb's implicit counter "
        "misaligns when several code paths log)"
    )
    step: str


class StepMustBeChosen(Message):
    """A counter is found, but the run as a whole cannot take it (``RunView.why_not``)."""

    template: ClassVar[str] = (
        "wandb log call without explicit step=; pass step=<your step counter> (not fixed: {why})"
    )
    why: str


class HelperCallWithoutStep(Message):
    """A call of a project log helper that would pass its ``step`` parameter on, given none."""

    template: ClassVar[str] = (
        "wandb log call without explicit step=; pass step=<your step counter> ({helper}() "
        "passes step={param}, which defaults to None)"
    )
    helper: str
    param: str


class LogWithoutAnyStep(Message):
    """No run-wide counter is surely bound here."""

    template: ClassVar[str] = (
        "wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit "
        "counter misaligns and drops data logged out of order)"
    )


class LogWithoutStep(Rule):
    """
    ## What it does

    Reports a wandb log call (`wandb.log`, `run.log`, `wandb.run.log`, and their aliases) that
    passes no step: no `step=` keyword and no second positional argument.

    ## Why is this bad?

    Without `step=`, wandb advances its own counter on every call. As soon as two code paths log
    (train and eval, a callback and the loop), the counter drifts from the real training step:
    charts misalign, and a later explicit step lower than the counter is silently dropped.

    Also reported, at the call: a log helper of the project (named for logging) that passes its own
    `step` parameter on as `step=`, where that parameter defaults to `None`, called without a step
    (the helper's own log call is not reported again; no fix there).

    Not reported: calls with `**kwargs` (the step may be inside), `commit=False` (attaches to the
    current row), keys on a custom x-axis, `define_metric(<glob>, step_metric=...)` (only the
    keys its glob matches: a log of other keys is still reported; a glob that is not a literal
    covers every key), a run made with `sync_tensorboard=True` (TensorBoard's step drives the
    run), and calls inside a Hugging Face `Trainer` / `TrainerCallback` subclass (the trainer
    owns wandb's step; adding one drops the data).

    ## Options

    `--wandb-step-names` (flake8) / `step-names` (`[tool.flake8-wandb]`): the names the fix may
    use as the step. Default: `global_step, step, iteration, it, global_iter, train_step,
    num_updates, iter_num`.
    """

    code = "WB101"
    name = "log-without-step"
    messages = (
        LogWithoutExplicitStep,
        StepMustBeChosen,
        LogWithoutAnyStep,
        HelperCallWithoutStep,
    )
    applicability = (UNSAFE,)
    #: every finding is a log call (``x.log(...)``; ``wandb.log`` under another name is
    #: imported by its own) or a call of a helper named for logging
    needs = LOG_SPELLINGS
    fix_doc = (
        "Unsafe: adds `step=NAME` when exactly one step-like name (see Options) surely bound where "
        "the call runs is a run-wide counter, an int that only grows over the whole run: the index "
        "of the outermost loop over `range`/`enumerate`, or a name only assigned ints and "
        "increased with `+=` and never reset inside a loop around the call; at module level, in a "
        "function called once (its only call in the module is outside any loop), or, for a "
        "counter, where it spans the loop nest around the call (`step = 0; for epoch ...: for "
        "batch ...: step += 1`). Never an inner loop's index that restarts each outer iteration, "
        "a local counter of a function that may run once per epoch, a parameter, an iterator "
        "(`it = iter(loader)`) or a float; never on `log(*args)` or a bare generator argument. "
        "The fix is judged for the whole run, not one call: it applies only when every wandb log "
        "call that can reach the run in what the tool sees would then pass a step from one and "
        "the same run-wide counter. No fix, and the message says why the step must be chosen by "
        "hand, when a step-less log is left (wandb's own step would be ahead and the first fixed "
        "row dropped), when a second phase counts on its own (`pretrain()` and `finetune()` each "
        "starting `global_step = 0` in one run: rows dropped and overwritten), or when the run "
        "escapes the view (passed to code the tool does not see, `report_to` a Trainer, a log "
        "whose arguments cannot be read). Nor when a key would be logged twice at one value of "
        "the counter (wandb merges rows logged at one step, so the second value replaces the "
        "first): a fixed log that can run again before the counter moves (a log per micro-batch "
        "with `global_step += 1` under `if accelerator.sync_gradients:`, a per-sample inner "
        "loop, a helper called from two places), or two logs of one key (or of the same "
        'unreadable dict) at one counter value (`run.log({"plots": p})` under `% 50` in the '
        "batch loop and again at the epoch's end). Logs of different keys at one step share a "
        "row and lose nothing. A loop over the batches between two epoch-end logs is taken to "
        "move the counter at least once. It changes which row the data lands in, so review it."
    )
    invalid = (
        """\
import wandb

run = wandb.init(project="demo", config={"lr": 0.1})
for global_step in range(100):
    loss = 1.0 / (global_step + 1)
    run.log({"train/loss": loss})  # WB101:5 wandb log call without explicit step=; pass step=global_step (wandb's implicit counter misaligns when several code paths log)
""",
        """\
import wandb as wb

def train(model, loader):
    for batch in loader:
        wb.log({"loss": model(batch)})  # WB101:9 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
""",
        """\
from wandb import log as wlog

def evaluate(acc):
    wlog({"eval/acc": acc})  # WB101:5 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
""",
        """\
import wandb

class Experiment:
    def __init__(self, cfg):
        self.run = wandb.init(project="demo", config=cfg)

    def on_step(self, step, loss):
        self.run.log({"loss": loss})  # WB101:9 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
""",
        """\
import wandb

def report(run: wandb.Run, acc):
    run.log({"acc": acc})  # WB101:5 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
""",
        """\
import wandb

with wandb.init(project="demo", config={}) as run:
    wandb.run.log({"ready": 1})  # WB101:5 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
""",
        """\
import wandb

_WRITER = wandb

def log_metrics(metrics):
    _WRITER.log(metrics)  # WB101:5 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
""",
        Invalid(
            """\
import wandb

run = wandb.init(project="demo", config={})
for global_step in range(10):
    run.log({"loss": 0.5})  # WB101:5 wandb log call without explicit step=; pass step=global_step (wandb's implicit counter misaligns when several code paths log)
""",
            expected_replacement="""\
import wandb

run = wandb.init(project="demo", config={})
for global_step in range(10):
    run.log({"loss": 0.5}, step=global_step)  # WB101:5 wandb log call without explicit step=; pass step=global_step (wandb's implicit counter misaligns when several code paths log)
""",
        ),
        Invalid(
            """\
import wandb

run = wandb.init(project="demo", config={})
step = 0
for batch in range(3):
    step += 1
    run.log(  # WB101:5 wandb log call without explicit step=; pass step=step (wandb's implicit counter misaligns when several code paths log)
        {"loss": 0.5},
    )
""",
            expected_replacement="""\
import wandb

run = wandb.init(project="demo", config={})
step = 0
for batch in range(3):
    step += 1
    run.log(  # WB101:5 wandb log call without explicit step=; pass step=step (wandb's implicit counter misaligns when several code paths log)
        {"loss": 0.5}, step=step,
    )
""",
        ),
        Invalid(
            """\
import wandb

def train(loader, run: wandb.Run):  # may run once per epoch: step restarts on each call
    step = 0
    for batch in loader:
        step += 1
        run.log({"loss": 0.5})  # WB101:9 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
""",
            expected_replacement=UNCHANGED,
        ),
        Invalid(
            """\
import wandb

run = wandb.init(project="demo", config={})

def pretrain():  # two phases of one run, each counting from 0: no fix
    global_step = 0
    for epoch in range(2):
        for batch in range(3):
            global_step += 1
            run.log({"pretrain/loss": 0.5})  # WB101:13 wandb log call without explicit step=; pass step=<your step counter> (not fixed: global_step of finetune() and global_step of pretrain() count separately in one run; choose one run-wide step by hand)

def finetune():
    global_step = 0
    for epoch in range(2):
        for batch in range(3):
            global_step += 1
            run.log({"finetune/loss": 0.5})  # WB101:13 wandb log call without explicit step=; pass step=<your step counter> (not fixed: global_step of finetune() and global_step of pretrain() count separately in one run; choose one run-wide step by hand)

def main():
    pretrain()
    finetune()

main()
""",
            expected_replacement=UNCHANGED,
        ),
        Invalid(
            """\
import wandb

run = wandb.init(project="demo", config={})
run.log({"model/params_M": 1.2})  # WB101:1 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
for global_step in range(5):  # wandb's own step is already 1 here: no fix
    run.log({"train/loss": 0.5})  # WB101:5 wandb log call without explicit step=; pass step=<your step counter> (not fixed: line 4 logs to the same run without a step, so wandb's step runs ahead; choose one run-wide step by hand)
""",
            expected_replacement=UNCHANGED,
        ),
        Invalid(
            """\
import wandb
from trainer_lib import Trainer

run = wandb.init(project="demo", config={})
trainer = Trainer()
trainer.attach(run)  # a library may log to the run too: no fix
for global_step in range(10):
    run.log({"loss": 0.1})  # WB101:5 wandb log call without explicit step=; pass step=<your step counter> (not fixed: the run is passed to code out of view at line 6; choose the step by hand)
""",
            expected_replacement=UNCHANGED,
        ),
        """\
import wandb

run = wandb.init(project="demo", config={})
run.define_metric("eval/*", step_metric="epoch")
run.log({"eval/acc": 0.5, "epoch": 1})
run.log({"train/loss": 0.5})  # WB101:1 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
""",
        """\
from accelerate import Accelerator

import wandb

def main(args):
    accelerator = Accelerator(log_with=args.report_to)
    accelerator.init_trackers("demo", config=vars(args))
    accelerator.log({"train/loss": 0.1})  # WB101:5 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
    tracker = accelerator.get_tracker("wandb")
    tracker.log({"images": 1})  # WB101:5 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
    accelerator.get_tracker("wandb", unwrap=True).log({"x": 1})  # WB101:5 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
    for t in accelerator.trackers:
        if t.name == "wandb":
            t.log({"validation": 1})  # WB101:13 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
""",
        """\
import wandb

class DummyWandb:
    def log(self, *args, **kwargs):
        pass

def main(rank):
    run = DummyWandb() if rank != 0 else wandb.init(project="demo", config={})
    run.log({"loss": 0.1})  # WB101:5 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
""",
        """\
try:
    import wandb
except ImportError:
    wandb = None

def log_metrics(run, metrics):
    run.log(metrics)  # a run-like parameter called like a run  # WB101:5 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
    if wandb is not None:
        wandb.log({"metrics": len(metrics)})  # WB101:9 wandb log call without explicit step=; pass step=<your step counter> (wandb's implicit counter misaligns and drops data logged out of order)
""",
    )
    valid = (
        """\
import wandb

def train(run, loader, global_step):
    wandb.log({"loss": 1.0}, step=global_step)
    wandb.log({"loss": 1.0}, global_step)  # Megatron passes the step positionally
    wandb.log({"lr": 0.1}, commit=False)
    wandb.log(**{"data": {"x": 1}})
""",
        """\
import logging
import math

import numpy as np

logger = logging.getLogger(__name__)
logger.log(logging.INFO, "loss %s", 1.0)
print(math.log(2.0), np.log(3.0))
""",
        """\
import wandb
import pytorch_lightning as pl

class LitModel(pl.LightningModule):
    def training_step(self, batch, batch_idx):
        loss = self(batch)
        self.log("train/loss", loss)
        return loss
""",
        """\
import wandb

wandb.init(project="demo", config={})
wandb.define_metric("train/*", step_metric="train/global_step")
wandb.log({"train/loss": 0.1, "train/global_step": 10})
""",
        """\
import wandb

run = wandb.init(project="demo", config={}, sync_tensorboard=True)
for global_step in range(5):
    run.log({"images": 1})  # TensorBoard's step drives the run
""",
        """\
import wandb
from transformers import TrainerCallback

class WandbExtra(TrainerCallback):
    def on_log(self, args, state, control, logs=None, **kwargs):
        wandb.log({"extra/tokens": state.num_input_tokens_seen})
""",
        """\
import wandb

class Timers:
    def log(self, names):
        pass

timers = Timers()
timers.log(["forward"])
accelerator = object()
accelerator.log({"loss": 1.0})
""",
        """\
import wandb

class BufferedLogger:
    def __init__(self):
        self.wandb = BufferingWrapper()

    def flush(self):
        self.wandb.log({"x": 1})

class RealLogger:
    def __init__(self):
        self.wandb = wandb.init(project="demo", config={})

    def flush(self, step):
        self.wandb.log({"x": 1}, step=step)
""",
        """\
import wandb

def log(x):
    return x

log({"loss": 1.0})
mlflow_log_metric = None
""",
        """\
import wandb
from accelerate import Accelerator
from pytorch_lightning.loggers import WandbLogger

accelerator = Accelerator(log_with="tensorboard")
accelerator.log({"loss": 0.1})  # tensorboard only
wandb_logger = WandbLogger(project="demo")
wandb_logger.experiment.log({"samples": 1})  # Lightning owns the step

def report(run, text):
    run.log("epoch done")  # not called like a wandb run
    for tracker in accelerator.trackers:
        if tracker.name == "tensorboard":
            tracker.log({"loss": 0.1})
""",
    )
    use_instead = """\
import wandb

run = wandb.init(project="demo", config={"lr": 0.1})
for global_step in range(100):
    loss = 1.0 / (global_step + 1)
    run.log({"train/loss": loss}, step=global_step)
"""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._globs: list[str] | None | bool = False  # computed when first needed
        self.tensorboard = syncs_tensorboard(ctx)
        self.run = RunView()
        #: the calls reported, each with the step its fix would pass (None: no counter here)
        self.pending: list[tuple[ast.Call, str | None]] = []
        #: the log calls and the reported helper calls: the run may escape through any other
        #: call of the module (``end_module``, where a fix is in question)
        self.judged: set[int] = set()

    def globs(self) -> list[str] | None:
        if self._globs is False:
            self._globs = custom_x_axis_globs(self.ctx)
        return self._globs  # type: ignore[return-value]

    #: a log call's callee is named ``log``, a log helper's for logging (``_helper_call``); the
    #: other calls are read at the end of the module, from the name table
    attribute_names = {ast.Attribute: LOG_ATTRIBUTES.__contains__, ast.Call: named_for_logging}

    def visit_Attribute(self, node: ast.Attribute) -> None:
        """``log_fn = run.log``, ``callbacks=[wandb.log]``: a log the tool cannot follow."""
        if node.attr != "log" or not isinstance(node.ctx, ast.Load):
            return
        parent = self.ctx.ancestors[-1] if self.ctx.ancestors else None
        if isinstance(parent, ast.Call) and parent.func is node:
            return
        if self.ctx.qualname(node.value) in RUN_LIKE:
            self.run.escape(node, "the run's log is handed on as a function")

    def _site(
        self, node: ast.Call, kind: str, counter=None, label: str = "", fixed: bool = False
    ) -> None:
        at_module = self.ctx.function() is self.ctx.tree
        once = at_module and not any(
            isinstance(a, (*LOOPS, ast.ClassDef)) for a in self.ctx.ancestors
        )
        site = LogSite(node, kind, counter, label, once=once, at_module=at_module)
        if kind == "counter":
            site.keys = logged_keys(node)
            site.fixed = fixed
            if fixed and counter is not None:
                site.repeats = runs_twice_at_one_value(
                    self.ctx, node, counter[0], self._tracker_loops(node)
                )
        self.run.add(site)

    def _tracker_loops(self, node: ast.Call) -> frozenset[int]:
        """``for tracker in accelerator.trackers: if tracker.name == "wandb": tracker.log(...)``:
        the loop reaches the wandb log once."""
        receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
        if not isinstance(receiver, ast.Name):
            return frozenset()
        if not wandb_tracker_in_loop(receiver, self.ctx.ancestors):
            return frozenset()
        return frozenset(
            id(a)
            for a in self.ctx.ancestors
            if isinstance(a, (ast.For, ast.AsyncFor))
            and isinstance(a.target, ast.Name)
            and a.target.id == receiver.id
        )

    def visit_Call(self, node: ast.Call) -> None:
        if not self.ctx.is_wandb_log(node):
            if self._helper_call(node):  # a project log helper that logs without a step
                self.judged.add(id(node))
                self._site(node, "stepless")
            # any other call is asked at the end, where a fix is in question (most modules
            # have none)
            return
        self.judged.add(id(node))
        given = (
            node.args[1] if len(node.args) >= 2 else getattr(keyword(node, "step"), "value", None)
        )
        if given is not None:
            self._site(node, "counter", *self._given(given))
            return
        if has_star_kwargs(node) or any(isinstance(a, ast.Starred) for a in node.args):
            # ``log(*args)``, ``**kwargs``: the step may be inside
            self._site(node, "unknown")
            return
        if commit_false(node):
            self._site(node, "neutral")
            return
        # Lightning's ``experiment.log``: Lightning syncs trainer/global_step as the x-axis
        if (
            self.tensorboard
            or _covered(node, self.globs())
            or not self.ctx.is_wandb_log(node, lightning=False)
            or in_hf_trainer(self.ctx)
        ):
            self._site(node, "stepless")
            return
        step = self._counter(node)
        if step is not None and not _bare_generator(node):
            name, scope_id = counter_identity(self.ctx, step)
            self._site(node, "counter", (name, scope_id), self._label(step), fixed=True)
        else:
            step = None
            self._site(node, "stepless")
        self.pending.append((node, step))

    def end_module(self) -> None:
        if not any(step is not None for _node, step in self.pending):
            for node, _step in self.pending:
                self.report(node, LogWithoutAnyStep())
            return
        for node, scope in self._every_call():
            if id(node) in self.judged:
                continue
            why = escapes_through(self.ctx, node, RUN_LIKE, scope)
            if why is not None:
                self.run.escape(node, why)
        blocked = self.run.why_not()
        for node, step in self.pending:
            if step is None:
                self.report(node, LogWithoutAnyStep())
            elif blocked is not None:
                self.report(node, StepMustBeChosen(why=blocked))
            else:
                fix = Fix(
                    (add_keyword(node, f"step={step}", self.ctx),),
                    applicability=UNSAFE,
                    title=f"Add step={step}",
                )
                self.report(node, LogWithoutExplicitStep(step=step), fix=fix)

    def _every_call(self) -> Iterator[tuple[ast.Call, Scope]]:
        """Every call of the module in the walk's order, with the scope its code runs in: the
        name table's (``all_calls``), and a call inside a loop's or ``with``'s target (which
        binds nothing, so the name table does not list it) in the nearest scope around it."""
        names = self.ctx.names
        scopes = {id(call): scope for call, scope in names.all_calls}
        parents = None
        for node in names.nodes_of(ast.Call):
            scope = scopes.get(id(node))
            if scope is None:
                parents = parents or names.parents()
                around = parents.get(id(node))
                while around is not None and id(around) not in names.scope_of:
                    around = parents.get(id(around))
                scope = names.scope_of[id(around)] if around is not None else names.module
            yield node, scope  # type: ignore[misc]

    def _helper_call(self, node: ast.Call) -> bool:
        """A call of a log helper that forwards its ``step`` parameter (default ``None``) as
        ``step=``, giving it no step: reported at the call (the helper's own log call passes
        ``step=`` and is not reported). No fix here. True: reported."""
        if self.tensorboard or not isinstance(node.func, (ast.Name, ast.Attribute)):
            return False
        # the cheap question first: a helper that forwards a step is named for logging
        callee = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
        if not named_for_logging(callee) or has_star_kwargs(node):
            return False
        found = self.ctx.project.summary(node.func, self.ctx.scope, "logstep")
        if found is None:
            return False
        helper, method = found
        if helper.log_step is None or not helper.step_default_none:
            return False
        bound = helper.bind(node, method)
        if bound is None or helper.log_step in bound or helper.log_values not in bound:
            return False
        if in_hf_trainer(self.ctx):
            return False
        self.report(node, HelperCallWithoutStep(helper=helper.name, param=helper.log_step))
        return True

    def _counter(self, node: ast.Call) -> str | None:
        """The one step-like name surely bound here that is a run-wide counter, if exactly one."""
        names = self.ctx.settings.step_names
        bound = self.ctx.flow.surely_bound(node, names)
        counters = [n for n in names if n in bound and is_run_wide_counter(self.ctx, n, node)]
        return counters[0] if len(counters) == 1 else None

    def _label(self, name: str) -> str:
        func = self.ctx.function()
        where = getattr(func, "name", None)
        return f"{name} of {where}()" if where else name

    def _given(self, step: ast.AST) -> tuple[tuple[str, int], str]:
        """The counter an explicit ``step=`` reads: the same identity as a fix's when it is the
        same name in the same scope; any other expression is a counter of its own."""
        if isinstance(step, ast.Name):
            return counter_identity(self.ctx, step.id), self._label(step.id)
        text = ast.unparse(step)
        return (text, id(step)), f"{text} (line {start_of(step)[0]})"


def _bare_generator(call: ast.Call) -> bool:
    """``log(x for x in y)``: a generator without its own parentheses takes no other argument."""
    return len(call.args) == 1 and isinstance(call.args[0], ast.GeneratorExp)
