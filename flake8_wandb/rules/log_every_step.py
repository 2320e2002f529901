from __future__ import annotations

import ast
import os
import re
from typing import ClassVar

from ..analysis.counters import LOOPS, loop_nodes
from ..analysis.flow import own_nodes
from ..analysis.project import LOG_SPELLINGS, named_for_logging
from ..analysis.resolve import SCOPE_NODES
from ..analysis.wandb_model import commit_false
from ..engine import Message, Rule
from .calls import dotted, keyword
from .control_flow import enclosing_loops

#: iterables that yield batches: ``train_loader``, ``enumerate(dataloader)``, ``tqdm(batches)``
_BATCH_LIKE = re.compile(r"(loader|batch|data_iter|train_iter|dataset|minibatch|shard)", re.I)
#: helpers whose name says they decide when to log
_GUARD_CALL = re.compile(
    r"(every_n|should_log|should_report|is_log_step|time_to_log|log_now)", re.I
)
#: functions named for evaluation, generation or inference log per item on purpose
_EVAL_NAME = re.compile(r"(^|_)(eval|generat|sampl|predict|infer|benchmark|bench_)", re.I)
#: files named for it: ``evaluate_model.py``, ``sample.py``, ``run_inference.py``, ``bench.py``
_EVAL_FILE = re.compile(
    r"(^|[_\-.])(eval|evaluate|evaluation|generate|generation|sample|sampling|predict|prediction"
    r"|infer|inference|benchmark|bench)([_\-.]|$)",
    re.I,
)
#: ``optimizer.step()``, ``scaler.step(opt)``, ``opt.step()``: the loop nest trains
_OPTIMIZER = re.compile(r"(optim|opt$|scaler|^opt)", re.I)


def _inner_loops(node: ast.AST) -> list[ast.AST]:
    """The loops a loop runs on every iteration: a loop under an ``if`` of its body (a periodic
    evaluation pass, checkpoint clean-up) is not one."""
    found: list[ast.AST] = []
    stack = [stmt for field in ("body", "orelse") for stmt in getattr(node, field, [])]
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, LOOPS):
            if not _replays(stmt):
                found.append(stmt)
            continue
        if isinstance(stmt, (ast.If, *SCOPE_NODES)):
            continue
        for field in ("body", "orelse", "finalbody", "handlers"):
            stack.extend(getattr(stmt, field, []) or [])
    return found


def _walks_a_dict(loop: ast.AST) -> bool:
    """``for name, values in metrics.items()`` (or ``keys()``, ``values()``)."""
    it = getattr(loop, "iter", None)
    return (
        isinstance(it, ast.Call)
        and isinstance(it.func, ast.Attribute)
        and it.func.attr in ("items", "keys", "values")
    )


def _replays(loop: ast.AST) -> bool:
    """A loop over a dict's items, keys or values, or over a literal tuple, list or set: it
    walks a handful of values (metrics, configs), never batches."""
    return isinstance(getattr(loop, "iter", None), (ast.Tuple, ast.List, ast.Set)) or (
        _walks_a_dict(loop)
    )


def _trains(nodes) -> bool:
    """``.backward(...)``, an optimizer's or scaler's ``.step()``, ``accelerator.backward``."""
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and (
            n.func.attr == "backward"
            or (n.func.attr == "step" and _OPTIMIZER.search(dotted(n.func.value) or ""))
        )
        for n in nodes
    )


def _contains_loop(node: ast.AST) -> bool:
    """Whether a loop is an epoch loop: it runs another loop on every iteration. Not when the
    loop's own body runs the training step and no inner loop does: that loop is the batch loop,
    and its inner loops are utility loops (a ``while`` that pads a shape, a sum over the
    parameters for the gradient norm)."""
    inner = _inner_loops(node)
    if not inner or not isinstance(node, LOOPS):
        return False
    if _trains(loop_nodes(node, orelse=True)) and not any(
        _trains(ast.walk(loop)) for loop in inner
    ):
        return False
    return True


class LogOnEveryIteration(Message):
    template: ClassVar[str] = (
        "wandb log call on every iteration of the inner training loop; log every N steps (if "
        "step % log_every == 0)"
    )


class LogEveryStep(Rule):
    """
    ## What it does

    Reports a wandb log call in the innermost loop of a training loop (a loop nested in another
    loop, or a loop over a batch-like iterable such as `train_loader`, or a `while` loop that
    pulls batches with `next(...)`) with no frequency guard around it.

    ## Why is this bad?

    Logging every batch of a long run sends millions of rows: the run page and every chart
    slow down, wandb samples the history it displays anyway, and the per-call cost (about
    0.1 ms, plus a device sync when the values are tensors) lands on every step.

    Frequency guards that silence it: `%` anywhere in an enclosing `if` test (also inside
    `and`/`or`, or through a local name assigned from a `%` expression), an early `continue` on
    such a test, or a helper such as `every_n_steps(...)` / `should_log(...)` in the test.
    A guard may also enclose the inner loop within the training loop (`if step % k == 0: for h
    in heads: run.log(...)`). Loops in a function or a file named for evaluation, generation or
    inference (`eval`, `evaluate`, `generate`, `sample`, `predict`, `infer`, `benchmark`:
    `def evaluate(...)`, `evaluate_model.py`) log per item on purpose, unless the loop nest itself
    trains (`.backward(...)`, an optimizer's or scaler's `.step()`). Conditions that are not
    frequency guards: `if is_main_process`, `if rank == 0`, `if len(trackers) > 0`,
    `if accelerator.sync_gradients`, and a resume skip (`resume_step = resume_global_step % n`
    then `if step < resume_step: continue`: the `%` computes where to resume, and every later
    step still logs). A call of a log helper of the project (a function whose body logs one of
    its parameters to wandb, named for logging, with no `%` guard of its own) in such a loop is
    reported at the call. Not reported either: epoch-level
    loops (a loop that holds an inner loop, and logs outside it; a loop over a dict's items or a
    literal tuple is no such inner loop), `commit=False` calls that pass no step (they add to the
    current row; with `step=` wandb starts a row whenever the step grows), loops over a literal
    tuple or list (`for cfg in (model_cfg, data_cfg)`), and nests that walk a dict
    (`for name, log in metrics.items()`), which replay metrics rather than train.
    """

    code = "WB102"
    name = "log-every-step"
    messages = (LogOnEveryIteration,)
    #: also a module that never names wandb but calls the log method of a logger it is handed
    handed = True
    #: a log call, a call of a helper named for logging, or a handed logger's log method
    needs = LOG_SPELLINGS
    invalid = (
        """\
import wandb

def train(model, loader, optimizer, metrics, epochs):
    for epoch in range(epochs):
        for i, batch in enumerate(loader):  # the batch loop: its dict loop is no inner batch loop
            optimizer.step()
            logs = {}
            for name, metric in metrics.items():
                logs[name] = metric(batch)
            wandb.log(logs, step=i, commit=False)  # WB102:13 wandb log call on every iteration of the inner training loop; log every N steps (if step % log_every == 0)
""",
        """\
import wandb

def train(run: wandb.Run, model, loader, epochs):
    for epoch in range(epochs):
        for step, batch in enumerate(loader):
            loss = model(batch)
            run.log({"train/loss": loss}, step=step)  # WB102:13 wandb log call on every iteration of the inner training loop; log every N steps (if step % log_every == 0)
""",
        """\
import wandb

def train(model, train_loader, global_step):
    for batch in train_loader:
        global_step += 1
        if wandb.run is not None:  # not a frequency guard
            wandb.log({"loss": model(batch)}, step=global_step)  # WB102:13 wandb log call on every iteration of the inner training loop; log every N steps (if step % log_every == 0)
""",
        """\
import wandb

def train(accelerator, model, train_dataloader, global_step):
    for epoch in range(3):
        for batch in train_dataloader:
            loss = model(batch)
            if accelerator.sync_gradients:  # gradient accumulation: not a frequency guard
                global_step += 1
                if accelerator.is_main_process and len(accelerator.trackers) > 0:
                    wandb.log({"loss": loss}, step=global_step)  # WB102:21 wandb log call on every iteration of the inner training loop; log every N steps (if step % log_every == 0)
""",
        """\
import wandb

def train(model, data_iter, max_steps):
    step = 0
    while step < max_steps:
        batch = next(data_iter)
        step += 1
        wandb.log({"loss": model(batch)}, step=step)  # WB102:9 wandb log call on every iteration of the inner training loop; log every N steps (if step % log_every == 0)
""",
        """\
from accelerate import Accelerator

accelerator = Accelerator(log_with=["wandb", "tensorboard"])

def eval_and_train(model, optimizer, train_dataloader, global_step):
    for epoch in range(3):
        for batch in train_dataloader:
            accelerator.backward(model(batch))
            optimizer.step()
            global_step += 1
            accelerator.log({"loss": 0.1}, step=global_step)  # WB102:13 wandb log call on every iteration of the inner training loop; log every N steps (if step % log_every == 0)
""",
        """\
import wandb
from accelerate import Accelerator

class Trainer:
    def prepare(self, args):
        self.state.accelerator = Accelerator(log_with=args.report_to)  # held by a state object

    def train(self, model, optimizer, loader):
        accelerator = self.state.accelerator
        global_step = 0
        for epoch in range(3):
            for batch in loader:
                accelerator.backward(model(batch))
                optimizer.step()
                global_step += 1
                accelerator.log({"loss": 0.1}, step=global_step)  # WB102:17 wandb log call on every iteration of the inner training loop; log every N steps (if step % log_every == 0)
""",
        """\
import wandb

def train(run: wandb.Run, model, loader, val_loader, epochs):
    step = 0
    for epoch in range(epochs):
        for batch in loader:
            loss = model(batch)
            run.log({"train/loss": loss}, step=step)  # WB102:13 wandb log call on every iteration of the inner training loop; log every N steps (if step % log_every == 0)
            if step % 100 == 0:  # a periodic evaluation pass does not make this an epoch loop
                for val_batch in val_loader:
                    model(val_batch)
            step += 1
""",
        """\
import wandb
from accelerate import Accelerator

def main(args, model, optimizer, train_dataloader):
    accelerator = Accelerator(log_with=args.report_to)
    global_step = 0
    for epoch in range(args.epochs):
        for batch in train_dataloader:
            with accelerator.accumulate(model):
                pred, weights = model(batch)
                while len(weights.shape) < len(pred.shape):  # a utility loop, not a batch loop
                    weights = weights.unsqueeze(-1)
                accelerator.backward((weights * pred).mean())
                optimizer.step()
            global_step += 1
            accelerator.log({"loss": 0.1}, step=global_step)  # WB102:13 wandb log call on every iteration of the inner training loop; log every N steps (if step % log_every == 0)
""",
    )
    valid = (
        """\
import wandb

def train(model, loader, optimizer):
    for epoch in range(3):
        for batch in loader:
            optimizer.step()
            wandb.log({"batch_loss": model(batch)}, commit=False)  # adds to the current row
        wandb.log({"epoch": epoch})
""",
        """\
import wandb

def log_configs(model_cfg, data_cfg, train_loader):
    for cfg in (model_cfg, data_cfg):  # a handful of items, not batches
        wandb.log(cfg, step=0)
""",
        """\
import wandb

def train(run: wandb.Run, model, loader, epochs, log_every):
    for epoch in range(epochs):
        for step, batch in enumerate(loader):
            loss = model(batch)
            if step % log_every == 0 and run is not None:
                run.log({"train/loss": loss}, step=step)
        run.log({"epoch/loss": loss}, step=step)  # once per epoch
""",
        """\
import wandb

def train(model, loader, accum_steps, global_step):
    for epoch in range(10):
        for i, batch in enumerate(loader):
            loss = model(batch) / accum_steps
            loss.backward()
            if (i + 1) % accum_steps != 0:
                continue
            global_step += 1
            wandb.log({"loss": loss}, step=global_step)
""",
        """\
import wandb

def train(model, loader, should_log):
    for step, batch in enumerate(loader):
        is_log_step = step % 50 == 0
        if is_log_step:
            wandb.log({"loss": model(batch)}, step=step)
        if should_log(step):
            wandb.log({"lr": 0.1}, step=step)
""",
        """\
import wandb

for epoch in range(100):
    val_loss = 0.1 * epoch
    wandb.log({"epoch/val_loss": val_loss}, step=epoch)  # epoch-level: no inner loop
""",
        """\
import wandb

def after_iteration(evals_log):  # xgboost-style callback: replays metrics, once per iteration
    for data, metric in evals_log.items():
        for metric_name, log in metric.items():
            wandb.log({f"{data}-{metric_name}": log[-1]}, commit=False)
    for data, metric in evals_log.items():
        for name, values in metric.items():
            wandb.log({f"{data}-{name}": values[-1]}, step=len(values))
""",
        """\
import wandb

class Runner:
    def prepare(self):
        self.state.tracker = ConsoleTracker()  # not wandb: its log is somebody else's

    def train(self, loader):
        for epoch in range(3):
            for batch in loader:
                self.state.tracker.log({"x": 1})
""",
        """\
import wandb

def sweep(run: wandb.Run, model, optimizer, loader, seeds, epochs):
    for seed in seeds:
        for epoch in range(epochs):
            for batch in loader:  # the batch loop trains: this is an epoch loop
                model(batch).backward()
                optimizer.step()
            run.log({"epoch/loss": model.loss}, step=epoch)
""",
        """\
import wandb

def evaluate(run: wandb.Run, runs):
    for name in ["a", "b"]:
        for metric in runs[name]:
            print(metric)
""",
        """\
import wandb

def train(run: wandb.Run, model, loader, heads, step):
    for epoch in range(10):
        if step % 100 == 0:  # the guard encloses the inner loop
            for h in heads:
                run.log({f"head/{h}": model.norm(h)}, step=step)
""",
        """\
import wandb

def generate_samples(run: wandb.Run, model, prompts_loader):
    for batch in prompts_loader:  # one row per generated batch, on purpose
        for prompt in batch:
            run.log({"sample": model.generate(prompt)})
""",
    )
    use_instead = """\
import wandb

def train(run: wandb.Run, model, loader, epochs, log_every=50):
    for epoch in range(epochs):
        for step, batch in enumerate(loader):
            loss = model(batch)
            if step % log_every == 0:
                run.log({"train/loss": loss}, step=step)
"""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._has_inner_loop: dict[int, bool] = {}
        self._trains: dict[int, bool] = {}
        self._mod_names_of: dict[int, set[str]] = {}
        self._first_continue_guard: dict[int, int] = {}
        #: the module names no trigger (it runs here for a logger it is handed): only the log
        #: helpers the project view resolves count, no spelling of a wandb call
        self._handed_only = not any(t in ctx.source for t in self.triggers)

    #: a wandb log call (``x.log``) or a log helper, named for logging (``_calls_log_helper``)
    attribute_names = {ast.Call: named_for_logging}

    def visit_Call(self, node: ast.Call) -> None:
        if not self._handed_only and self.ctx.is_wandb_log(node):
            if commit_false(node) and len(node.args) < 2 and not keyword(node, "step"):
                return  # attaches to the current row: no row of its own
        elif not self._calls_log_helper(node):
            return
        loops = enclosing_loops(self.ctx)
        if not loops or self._contains_loop(loops[0]):
            return
        loop = loops[0]
        nested = len(loops) > 1
        if not (nested or self._batch_like(loop)) or self._over_a_mapping(loops):
            return
        if _replays(loop):
            return  # ``for config in (data_cfg, model_cfg)``: a handful of items, not batches
        if self._evaluation_context() and not self._loop_nest_trains(loops[-1]):
            return
        if self._guarded(loops[-1], node):
            return
        self.report(node, LogOnEveryIteration())

    def _calls_log_helper(self, call: ast.Call) -> bool:
        """A call of a function of this module or of the project whose body logs one of its
        parameters to wandb, with no frequency guard of its own (``tb_wandb_log(...)``)."""
        if not isinstance(call.func, (ast.Name, ast.Attribute)):
            return False
        # the cheap question first: a log helper is named for logging (then: in a loop)
        callee = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id
        if not named_for_logging(callee) or not enclosing_loops(self.ctx):
            return False
        found = self.ctx.project.summary(call.func, self.ctx.scope, "log")
        if found is None or not found[0].is_log_helper or found[0].log_guarded:
            return False
        helper, method = found
        if commit_false(call):  # forwarded: a row only where the call gives the step
            bound = helper.bind(call, method)
            return bound is not None and helper.log_step is not None and helper.log_step in bound
        return True

    def _contains_loop(self, loop: ast.AST) -> bool:
        key = id(loop)
        if key not in self._has_inner_loop:
            self._has_inner_loop[key] = _contains_loop(loop)
        return self._has_inner_loop[key]

    def _evaluation_context(self) -> bool:
        """An enclosing function, or the file, named for evaluation, generation or inference:
        those loops log per item on purpose."""
        if self.ctx.path and _EVAL_FILE.search(os.path.basename(self.ctx.path)):
            return True
        for node in self.ctx.ancestors:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _EVAL_NAME.search(
                node.name
            ):
                return True
        return False

    def _loop_nest_trains(self, outer: ast.AST) -> bool:
        """``.backward(...)``, an optimizer's or scaler's ``.step()``, ``accelerator.backward``."""
        key = id(outer)
        if key not in self._trains:
            self._trains[key] = _trains(ast.walk(outer))
        return self._trains[key]

    @staticmethod
    def _over_a_mapping(loops) -> bool:
        """A nest that walks a dict (``for name, values in metrics.items()``) replays metrics;
        it is not a training loop."""
        return any(_walks_a_dict(loop) for loop in loops)

    def _batch_like(self, loop: ast.AST) -> bool:
        if isinstance(loop, (ast.For, ast.AsyncFor)):
            names = {
                dotted(n) for n in ast.walk(loop.iter) if isinstance(n, (ast.Name, ast.Attribute))
            }
            return any(_BATCH_LIKE.search(n) for n in names if n)
        # ``while``: pulls batches from an iterator with next(...)
        for n in ast.walk(loop):
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "next":
                return True
        return False

    # -- guards --------------------------------------------------------------------------------

    def _guarded(self, outer: ast.AST, call: ast.Call) -> bool:
        """A frequency guard anywhere between the outermost loop of the nest and the call: an
        ``if`` whose test is a guard (also one enclosing the inner loop), or an earlier
        ``if <guard>: continue`` in an enclosing block."""
        mod_names = self._mod_names()
        i = self.ctx.ancestors.index(outer)
        chain = self.ctx.ancestors[i:] + [call]
        for parent, child in zip(chain, chain[1:]):
            if (
                isinstance(parent, ast.If)
                and child is not parent.test
                and self._is_guard(parent.test, mod_names)
            ):
                return True
            block = getattr(parent, "body", None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                first = self._first_guard(block, mod_names)
                if first is not None and (self.ctx.flow.position(block, child) or 0) > first:
                    return True
        return False

    def _first_guard(self, block: list[ast.stmt], mod_names: set[str]) -> int | None:
        key = id(block)
        if key not in self._first_continue_guard:
            self._first_continue_guard[key] = next(
                (i for i, stmt in enumerate(block) if self._continue_guard(stmt, mod_names)), -1
            )
        found = self._first_continue_guard[key]
        return None if found < 0 else found

    def _continue_guard(self, stmt: ast.stmt, mod_names: set[str]) -> bool:
        return (
            isinstance(stmt, ast.If)
            and any(isinstance(s, ast.Continue) for s in stmt.body)
            and self._is_guard(stmt.test, mod_names)
        )

    def _is_guard(self, test: ast.AST, mod_names: set[str]) -> bool:
        """A ``%`` expression (or a local name assigned from one) compared with a constant or
        used as a truth value, or a call such as ``should_log(...)``. ``step < resume_step``
        with ``resume_step = resume_global_step % n`` is a resume skip, not a guard: every
        later step still logs."""

        def periodic(n: ast.AST) -> bool:
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mod):
                return True
            return isinstance(n, ast.Name) and n.id in mod_names

        stack = [test]
        while stack:
            n = stack.pop()
            if isinstance(n, ast.Compare):
                operands = [n.left, *n.comparators]
                if any(periodic(o) for o in operands) and all(
                    periodic(o) or isinstance(o, ast.Constant) for o in operands
                ):
                    return True
                stack.extend(o for o in operands if not periodic(o))
                continue
            if periodic(n):
                return True  # a truth value: ``if not step % n``, ``if is_log_step``
            if isinstance(n, ast.Call):
                name = dotted(n.func).rsplit(".", 1)[-1]
                if _GUARD_CALL.search(name):
                    return True
            stack.extend(ast.iter_child_nodes(n))
        return False

    def _mod_names(self) -> set[str]:
        """Local names assigned from a ``%`` expression: ``is_log_step = step % 50 == 0``."""
        func = self.ctx.function()
        key = id(func)
        if key not in self._mod_names_of:
            names: set[str] = set()
            for n in own_nodes(func):
                if isinstance(n, ast.Assign) and any(
                    isinstance(m, ast.BinOp) and isinstance(m.op, ast.Mod)
                    for m in ast.walk(n.value)
                ):
                    names |= {t.id for t in n.targets if isinstance(t, ast.Name)}
            self._mod_names_of[key] = names
        return self._mod_names_of[key]
