from __future__ import annotations

import ast
import re
from typing import Dict, List, Set

from ..engine import Fix, Invalid, Rule
from .common import keyword, own_nodes, replace

_METRIC_TOKENS = {
    "loss", "acc", "accuracy", "lr", "perplexity", "ppl", "throughput", "mem", "memory",
    "f1", "auc", "bleu", "rouge", "reward", "wer", "mse", "mae", "rmse",
}  # fmt: skip
_METRIC_PHRASES = ("grad_norm", "tokens_per_sec", "samples_per_sec", "it_per_sec", "tok_per_s")
#: a name with one of these tokens is a setting or an object, not a measured value
_NOT_VALUES = {
    "fn", "fns", "func", "function", "type", "name", "names", "cls", "class", "config", "cfg",
    "scheduler", "sched", "criterion", "weight", "weights", "scale", "module", "warmup", "decay",
    "min", "max", "init", "initial", "factor", "patience",
}  # fmt: skip
_SPLIT = re.compile(r"_+")


def is_metric_like(name: str) -> bool:
    low = name.lower()
    tokens = set(_SPLIT.split(low))
    if tokens & _NOT_VALUES:
        return False
    return bool(tokens & _METRIC_TOKENS) or any(p in low for p in _METRIC_PHRASES)


def value_names(node: ast.AST) -> Set[str]:
    """Names whose values an expression carries: ``loss`` in ``loss.item()`` and ``self.loss``;
    not the method names themselves (``item``, ``format``)."""
    names: Set[str] = set()
    callees = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif isinstance(n, ast.Attribute) and id(n) not in callees:
            names.add(n.attr)
    return names


class PrintOnlyDiagnostic(Rule):
    """
    ## What it does

    In a module that logs to wandb, reports a `print(...)` whose arguments carry a metric-like
    value (a name such as `loss`, `acc`, `lr`, `grad_norm`, `perplexity`, `throughput`,
    `tokens_per_sec`, `mem`) that no wandb log call in the same function records. It compares
    the printed *values* with the logged values, not the words of the message, and follows local
    names (`metrics = {"loss": loss}; wandb.log(metrics, step=step)` records `loss`).

    ## Why is this bad?

    A metric that only reaches the terminal is lost with the Slurm log: nobody debugging the run
    from W&B sees it, and it cannot be charted or compared across runs.

    Not reported: prints in modules that never log to wandb, values that are also logged or
    returned to the caller, usage texts and banners (no values), and prints to a file (`file=`).
    """

    code = "WB501"
    name = "print-only-diagnostic"
    message = "print() shows {names} that no wandb log call in this function records; log it too, or use wandb_runtime.echo()"
    fix_safety = "unsafe"
    fix_doc = (
        "Unsafe: `print(...)` becomes `echo(...)` from the runtime shim, adding "
        "`from wandb_runtime import echo`. `echo` prints the same line and also writes it to the "
        "run's Logs tab when console capture is off, so the diagnostic reaches W&B. It does not "
        "chart the value: log it with `wandb.log` for that."
    )
    invalid = (
        """\
import wandb

def train(run: wandb.Run, loader, model, step):
    for batch in loader:
        loss = model(batch)
        grad_norm = model.clip()
        run.log({"train/loss": loss.item()}, step=step)
        print(f"step {step} loss {loss.item():.3f} grad_norm {grad_norm:.2f}")  # WB501
""",
        Invalid(
            """\
import wandb

wandb.init(project="demo", config={})
val_acc = 0.93
print("validation accuracy", val_acc)  # WB501
wandb.log({"epoch": 1}, step=1)
""",
            expected_replacement="""\
import wandb
from wandb_runtime import echo

wandb.init(project="demo", config={})
val_acc = 0.93
echo("validation accuracy", val_acc)  # WB501
wandb.log({"epoch": 1}, step=1)
""",
        ),
    )
    valid = (
        """\
def train(loss):
    print(f"loss {loss:.3f}")  # this module never uses wandb
""",
        """\
import sys

import wandb

def train(run: wandb.Run, loss, lr, step):
    metrics = {"train/loss": loss}
    metrics["train/lr"] = lr
    run.log(metrics, step=step)
    print(f"step {step}: loss={loss:.4f} lr={lr:.2e}")
    print("usage: train.py [--lr LR]")
    print(f"loss {loss}", file=sys.stderr)
""",
        """\
import wandb

def evaluate(model, data):
    val_loss = model.score(data)
    print(f"val loss {val_loss:.3f}")
    return val_loss

wandb.log({"val/loss": evaluate(None, None)}, step=0)
""",
    )
    use_instead = """\
import wandb

wandb.init(project="demo", config={})
val_acc = 0.93
print("validation accuracy", val_acc)
wandb.log({"epoch": 1, "val/acc": val_acc}, step=1)
"""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.prints: Dict[int, List[ast.Call]] = {}
        self.logged: Dict[int, Set[str]] = {}
        self.functions: Dict[int, ast.AST] = {}
        self.module_logs = False

    def visit_Call(self, node: ast.Call) -> None:
        func = self.ctx.function()
        key = id(func)
        self.functions[key] = func
        if self.ctx.is_wandb_log(node):
            self.module_logs = True
            logged = self.logged.setdefault(key, set())
            for arg in [*node.args, *(kw.value for kw in node.keywords)]:
                logged |= value_names(arg)
        elif (
            isinstance(node.func, ast.Name)
            and self.ctx.qualname(node.func) == "print"
            and keyword(node, "file") is None
        ):
            self.prints.setdefault(key, []).append(node)

    def end_module(self) -> None:
        if not self.module_logs:
            return
        for key, prints in self.prints.items():
            func = self.functions[key]
            recorded = _closure(func, self.logged.get(key, set())) | _returned(func)
            for call in prints:
                shown = set()
                for arg in call.args:
                    shown |= {n for n in value_names(arg) if is_metric_like(n)}
                missing = sorted(shown - recorded)
                if missing:
                    fix = Fix((replace(call.func, "echo"),), safe=False, imports=(("wandb_runtime", "echo"),))
                    self.report(call, fix=fix, names=", ".join(missing))


def _closure(func: ast.AST, logged: Set[str]) -> Set[str]:
    """Logged names plus what flows into them: ``metrics = {"loss": loss}``,
    ``metrics["lr"] = lr`` and ``metrics.update(...)`` make ``loss`` and ``lr`` logged too."""
    flows: Dict[str, Set[str]] = {}
    for node in own_nodes(func):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                base = t
                while isinstance(base, (ast.Subscript, ast.Attribute)):
                    base = base.value
                if isinstance(base, ast.Name):
                    flows.setdefault(base.id, set()).update(value_names(node.value))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("update", "append", "setdefault")
            and isinstance(node.func.value, ast.Name)
        ):
            for arg in [*node.args, *(kw.value for kw in node.keywords)]:
                flows.setdefault(node.func.value.id, set()).update(value_names(arg))
    result = set(logged)
    todo = list(logged)
    while todo:
        for n in flows.get(todo.pop(), ()):
            if n not in result:
                result.add(n)
                todo.append(n)
    return result


def _returned(func: ast.AST) -> Set[str]:
    names: Set[str] = set()
    for node in own_nodes(func):
        if isinstance(node, (ast.Return, ast.Yield)) and node.value is not None:
            names |= value_names(node.value)
    return _closure(func, names) if names else names
