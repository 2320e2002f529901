from __future__ import annotations

import ast
from typing import ClassVar

from ..analysis.resolve import SCOPE_NODES
from ..analysis.wandb_model import CONFIG_ATTRIBUTES
from ..engine import UNCHANGED, UNSAFE, Fix, Invalid, Message, Rule
from .edits import transform

_BLOCKS = ("body", "orelse", "finalbody", "handlers")
#: values that are no config at all: no fix (``update`` would raise or mean something else)
_NOT_A_CONFIG = (ast.Tuple, ast.Starred, ast.Yield, ast.YieldFrom, ast.Await, ast.Lambda)


def _is_init(ctx, node: ast.AST | None) -> bool:
    return node is not None and ctx.wandb_init(node)


def init_ran_before(ctx, stmt: ast.stmt) -> bool:
    """A ``wandb.init(...)`` surely ran before ``stmt`` in the same function (or module): a
    statement before it, in its block or in an enclosing block, that is nothing but the call
    (``wandb.init(...)``, ``run = wandb.init(...)``), or a ``with wandb.init(...)`` around it.
    Not an init under a condition or in a loop, nor one in another function."""
    path = [*ctx.ancestors, stmt]
    for i in range(len(path) - 1, 0, -1):
        child, parent = path[i], path[i - 1]
        if isinstance(parent, (ast.With, ast.AsyncWith)) and child in parent.body:
            if any(_is_init(ctx, item.context_expr) for item in parent.items):
                return True
        for field in _BLOCKS:
            block = getattr(parent, field, None)
            if not isinstance(block, list) or child not in block:
                continue
            for before in block[: block.index(child)]:
                value = getattr(before, "value", None)
                if isinstance(before, (ast.Expr, ast.Assign, ast.AnnAssign)) and _is_init(
                    ctx, value
                ):
                    return True
        if isinstance(parent, SCOPE_NODES):
            return False
    return False


class ModuleConfigRebound(Message):
    template: ClassVar[str] = (
        "{target} = ... rebinds the module attribute: the run records none of it; use "
        "{target}.update(...)"
    )
    target: str


class RunConfigAssigned(Message):
    template: ClassVar[str] = (
        "{target} = ... raises AttributeError (a run's config has no setter); use "
        "{target}.update(...)"
    )
    target: str


class ConfigRebinding(Rule):
    """
    ## What it does

    Reports an assignment to a run's config object itself: `wandb.config = <anything>` and
    `run.config = <anything>` (a run made by `wandb.init()`, `wandb.run`, recognised by what
    the name resolves to).

    ## Why is this bad?

    `wandb.config` is a module attribute that `wandb.init()` points at the run's config.
    Assigning to it rebinds the attribute: the run never sees the values, and its config stays
    `{}` (measured on wandb 0.31: `wandb.init()` then `wandb.config = {"lr": 0.1}` records
    nothing). Before `wandb.init()`, the next init overwrites the rebinding. `run.config = ...`
    is worse: a run's `config` has no setter, so it raises `AttributeError`.

    Not reported: `wandb.config.update(...)`, `wandb.config["k"] = v`, `wandb.config.k = v`;
    a local variable named `config`, `self.config = ...` of a class that is not a run,
    `args.config = ...`.
    """

    code = "WB305"
    name = "config-rebinding"
    messages = (ModuleConfigRebound, RunConfigAssigned)
    applicability = (UNSAFE,)
    #: an assignment rebinds a config only through an attribute named ``config``
    attribute_names = {ast.Assign: CONFIG_ATTRIBUTES.__contains__}
    fix_doc = (
        "Unsafe: `wandb.config = value` becomes `wandb.config.update(value)` (and the same for "
        "`run.config`), so the run records the values, which is the point, but what it records "
        "changes. `update` takes a dict, an argparse namespace or a dataclass instance as they "
        "are. Applied to `wandb.config` only where a `wandb.init(...)` surely ran before, in the "
        "same function (before it, `wandb.config.update` raises); never to a value that is no "
        "config (a tuple, a lambda) nor to chained assignments."
    )
    invalid = (
        Invalid(
            """\
import wandb

def main(args):
    wandb.init(project="demo")
    wandb.config = {"lr": args.lr, "batch_size": args.batch_size}  # WB305:5 wandb.config = ... rebinds the module attribute: the run records none of it; use wandb.config.update(...)
""",
            expected_replacement="""\
import wandb

def main(args):
    wandb.init(project="demo")
    wandb.config.update({"lr": args.lr, "batch_size": args.batch_size})  # WB305:5 wandb.config = ... rebinds the module attribute: the run records none of it; use wandb.config.update(...)
""",
        ),
        Invalid(
            """\
import wandb

run = wandb.init(project="demo", config={})
run.config = {"lr": 0.1}  # WB305:1 run.config = ... raises AttributeError (a run's config has no setter); use run.config.update(...)
""",
            expected_replacement="""\
import wandb

run = wandb.init(project="demo", config={})
run.config.update({"lr": 0.1})  # WB305:1 run.config = ... raises AttributeError (a run's config has no setter); use run.config.update(...)
""",
        ),
        Invalid(
            """\
import wandb

class Trainer:
    def __init__(self, lr):
        self.run = wandb.init(project="demo", config={})
        self.run.config = {"lr": lr}  # WB305:9 self.run.config = ... raises AttributeError (a run's config has no setter); use self.run.config.update(...)
""",
            expected_replacement="""\
import wandb

class Trainer:
    def __init__(self, lr):
        self.run = wandb.init(project="demo", config={})
        self.run.config.update({"lr": lr})  # WB305:9 self.run.config = ... raises AttributeError (a run's config has no setter); use self.run.config.update(...)
""",
        ),
        Invalid(
            """\
import wandb

wandb.config = {"lr": 0.1}  # WB305:1 wandb.config = ... rebinds the module attribute: the run records none of it; use wandb.config.update(...)
wandb.init(project="demo")
""",
            expected_replacement=UNCHANGED,
        ),
        Invalid(
            """\
import wandb as wb

def train(cfg, use_wandb):
    if use_wandb:
        wb.init(project="demo")
    wb.config = cfg  # WB305:5 wb.config = ... rebinds the module attribute: the run records none of it; use wb.config.update(...)
""",
            expected_replacement=UNCHANGED,
        ),
    )
    valid = (
        """\
import wandb

wandb.init(project="demo")
wandb.config.update({"lr": 0.1})
wandb.config["batch_size"] = 32
wandb.config.epochs = 10
""",
        """\
import wandb

class Trainer:
    def __init__(self, config):
        self.config = config  # the trainer's own attribute

def main(args):
    config = {"lr": args.lr}  # a local variable
    args.config = config
    wandb.init(project="demo", config=config)
""",
        """\
import wandb

class Trainer:
    def __init__(self):
        self.config = wandb.config  # keeps a reference to the config: rebinds nothing

class Evaluator:
    def start(self):
        self.config = wandb.init(project="demo").config
""",
    )
    use_instead = """\
import wandb

def main(args):
    wandb.init(project="demo")
    wandb.config.update({"lr": args.lr, "batch_size": args.batch_size})
"""

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            rebound = self.ctx.config_rebound(target)
            if rebound is None:
                continue
            module = rebound == "wandb.config"
            shown = self.ctx.segment(target)
            message: Message
            if module:
                message = ModuleConfigRebound(target=shown)
            else:
                message = RunConfigAssigned(target=shown)
            if self._read_back_by_init():
                return
            self.report(target, message, fix=self._fix(node, module))

    def _fix(self, node: ast.Assign, module: bool) -> Fix | None:
        if len(node.targets) != 1 or isinstance(node.value, _NOT_A_CONFIG):
            return None
        if module and not init_ran_before(self.ctx, node):
            return None
        return Fix(
            (transform(self.ctx, node, "assign_to_update"),),
            applicability=UNSAFE,
            title="Use .config.update(...)",
        )

    def _read_back_by_init(self) -> bool:
        """``wandb.config = {...}`` then ``wandb.init(config=wandb.config)``: the values do
        reach the run."""
        for init, scope in self.ctx.wandb.wandb_inits():
            kw = init.direct("config")
            if kw is not None and self.ctx.module_config(kw.value, scope):
                return True
        return False
