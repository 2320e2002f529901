from __future__ import annotations

import ast
import re
from typing import ClassVar

from ..analysis.flow import own_nodes
from ..analysis.wandb_model import ACCELERATORS, LOG_ATTRIBUTES
from ..engine import UNCHANGED, UNSAFE, Fix, Invalid, Message, Rule
from .calls import keyword, str_value
from .edits import replace, transform
from .imports import runtime_fix

_METRIC_TOKENS = {
    "loss", "acc", "accuracy", "lr", "perplexity", "ppl", "throughput", "mem", "memory",
    "f1", "auc", "bleu", "rouge", "reward", "wer", "mse", "mae", "rmse", "mfu",
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
    if any(t.startswith("loss") for t in tokens):  # losses, lossf (loss as a float)
        return True
    return bool(tokens & _METRIC_TOKENS) or any(p in low for p in _METRIC_PHRASES)


def value_names(node: ast.AST) -> set[str]:
    """Names whose values an expression carries: ``loss`` in ``loss.item()`` and ``self.loss``;
    not the method names themselves (``item``, ``format``)."""
    names: set[str] = set()
    callees = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif isinstance(n, ast.Attribute) and id(n) not in callees:
            names.add(n.attr)
    return names


#: the last names of the attribute callees ``visit_Call`` looks at
PRINT_OR_LOG = LOG_ATTRIBUTES | {"print"}


class PrintedNotLogged(Message):
    template: ClassVar[str] = (
        "print() shows {names} that no wandb log call in this function records; log it too"
    )
    names: str


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
    handed back to the caller (returned, or stored into an item of a dict the caller passed:
    `d["avg_loss"] = avg_loss`), usage texts and banners (no values), and prints to a file
    (`file=`).
    """

    code = "WB501"
    name = "print-only-diagnostic"
    messages = (PrintedNotLogged,)
    applicability = (UNSAFE,)
    #: every finding is a print: ``print(...)``, an alias of it, ``accelerator.print``, or a
    #: helper of the module that forwards to ``print``
    needs = ("print",)
    #: a call of an attribute is a log call (``run.log``) or ``accelerator.print``, or nothing
    #: this rule looks at
    attribute_names = {ast.Call: PRINT_OR_LOG.__contains__}
    fix_doc = (
        "Unsafe: when a wandb log call with a literal dict stands in the same block, the printed "
        'values are added to that dict under the printed names (`"grad_norm": grad_norm`): '
        "the run records one more key, which is the point. Only where each value is surely a "
        "number (`x.item()`, `float(x)`, `round(x, n)`, or `x` printed with a number format such "
        "as `:.3f`) and nothing between the print and the log call rebinds it (logging an "
        "arbitrary object would raise). Otherwise, in a module that turns console capture off "
        '(`console="off"`), `print(...)` becomes `echo(...)` from the runtime shim, which also '
        "writes the line to the run's Logs tab (needs the `wandb-runtime` package; imported as "
        "`wandb_echo` when the module already uses the name `echo`). With capture on, the print "
        "reaches the Logs tab already: no fix."
    )
    invalid = (
        Invalid(
            """\
import wandb

def train(run: wandb.Run, loader, model, step):
    for batch in loader:
        loss = model(batch)
        grad_norm = model.clip()
        run.log({"train/loss": loss.item()}, step=step)
        print(f"step {step} loss {loss.item():.3f} grad_norm {grad_norm:.2f}")  # WB501:9 print() shows grad_norm that no wandb log call in this function records; log it too
""",
            expected_replacement="""\
import wandb

def train(run: wandb.Run, loader, model, step):
    for batch in loader:
        loss = model(batch)
        grad_norm = model.clip()
        run.log({"train/loss": loss.item(), "grad_norm": grad_norm}, step=step)
        print(f"step {step} loss {loss.item():.3f} grad_norm {grad_norm:.2f}")  # WB501:9 print() shows grad_norm that no wandb log call in this function records; log it too
""",
        ),
        Invalid(
            """\
import wandb

wandb.init(project="demo", config={})
val_acc = 0.93
print(f"validation accuracy {val_acc:.3f}")  # WB501:1 print() shows val_acc that no wandb log call in this function records; log it too
wandb.log({"epoch": 1}, step=1)
""",
            expected_replacement="""\
import wandb

wandb.init(project="demo", config={})
val_acc = 0.93
print(f"validation accuracy {val_acc:.3f}")  # WB501:1 print() shows val_acc that no wandb log call in this function records; log it too
wandb.log({"epoch": 1, "val_acc": val_acc}, step=1)
""",
        ),
        Invalid(
            """\
import wandb

def evaluate(model, data):
    run = wandb.init(project="demo", config={}, settings=wandb.Settings(console="off"))
    val_loss = model.score(data)
    run.log({"epoch": 1}, step=0)
    print("validation loss", val_loss)  # WB501:5 print() shows val_loss that no wandb log call in this function records; log it too
    run.finish()
""",
            expected_replacement="""\
import wandb
from wandb_runtime import echo

def evaluate(model, data):
    run = wandb.init(project="demo", config={}, settings=wandb.Settings(console="wrap"))
    val_loss = model.score(data)
    run.log({"epoch": 1}, step=0)
    echo("validation loss", val_loss)  # WB501:5 print() shows val_loss that no wandb log call in this function records; log it too
    run.finish()
""",
        ),
        Invalid(
            """\
import wandb

def train(model, echo=False):
    run = wandb.init(project="demo", config={}, settings={"console": "off"})
    loss = model()
    run.log({"epoch": 1}, step=0)
    print(loss)  # WB501:5 print() shows loss that no wandb log call in this function records; log it too
""",
            expected_replacement="""\
import wandb
from wandb_runtime import echo as wandb_echo

def train(model, echo=False):
    run = wandb.init(project="demo", config={}, settings={"console": "wrap"})
    loss = model()
    run.log({"epoch": 1}, step=0)
    wandb_echo(loss)  # WB501:5 print() shows loss that no wandb log call in this function records; log it too
""",
        ),
        Invalid(
            """\
import wandb

def train(run: wandb.Run, model, step):
    loss = model()
    print("loss", loss)  # WB501:5 print() shows loss that no wandb log call in this function records; log it too
    loss = model()
    run.log({"epoch": 1}, step=step)
""",
            expected_replacement=UNCHANGED,
        ),
        """\
from accelerate import Accelerator

import wandb

accelerator = Accelerator(log_with="wandb")
accelerator.init_trackers("demo", config={})

def print0(*args, **kwargs):
    if accelerator.is_main_process:
        print(*args, **kwargs)

def train(step, loss, lr):
    accelerator.log({"train/loss": loss}, step=step)
    print0(f"step {step} loss {loss:.3f} lr {lr:.2e}")  # WB501:5 print() shows lr that no wandb log call in this function records; log it too
    accelerator.print(f"lr {lr:.2e}")  # WB501:5 print() shows lr that no wandb log call in this function records; log it too
""",
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
        """\
import wandb

def summarize(d):
    avg_loss = sum(d["losses"]) / len(d["losses"])
    d["avg_loss"] = avg_loss  # handed back in the caller's dict, which the caller logs
    print(f"avg loss {avg_loss:.3f}")

def train(run, d):
    summarize(d)
    run.log(d, step=0)
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
        self.prints: dict[int, list[ast.Call]] = {}
        self.logged: dict[int, set[str]] = {}
        #: per function: names given to a wandb log call as the values (``run.log(metrics)``)
        self.logged_dicts: dict[int, set[str]] = {}
        self.functions: dict[int, ast.AST] = {}
        self.module_logs = False
        #: print and log calls that are statements of their own: call id -> (parent, statement)
        self.statements: dict[int, tuple[ast.AST, ast.stmt]] = {}
        #: wandb log calls whose first argument is a dict literal, per parent node (by id)
        self.dict_logs: dict[int, list[ast.Call]] = {}
        #: parent id -> statement id -> (field, index): built only for the fix, once per parent
        self._positions: dict[int, dict[int, tuple[str, int]]] = {}

    def visit_Call(self, node: ast.Call) -> None:
        if self.ctx.is_wandb_log(node):
            key = id(self.ctx.function())
            self.module_logs = True
            parent = self._remember_statement(node)
            if parent is not None and node.args and isinstance(node.args[0], ast.Dict):
                self.dict_logs.setdefault(id(parent), []).append(node)
            if node.args and isinstance(node.args[0], ast.Name):  # ``run.log(metrics)``
                self.logged_dicts.setdefault(key, set()).add(node.args[0].id)
            logged = self.logged.setdefault(key, set())
            for arg in [*node.args, *(kw.value for kw in node.keywords)]:
                logged |= value_names(arg)
        elif keyword(node, "file") is None and self._is_print(node):
            func = self.ctx.function()
            key = id(func)
            self.functions[key] = func
            self.prints.setdefault(key, []).append(node)
            self._remember_statement(node)

    def _remember_statement(self, call: ast.Call) -> ast.AST | None:
        """The parent of a call that is a statement of its own (for the fix; constant time:
        where in the parent's blocks it stands is worked out only when a fix needs it)."""
        anc = self.ctx.ancestors
        if len(anc) < 2 or not (isinstance(anc[-1], ast.Expr) and anc[-1].value is call):
            return None
        self.statements[id(call)] = (anc[-2], anc[-1])
        return anc[-2]

    def _position(self, parent: ast.AST, stmt: ast.stmt) -> tuple[str, int] | None:
        table = self._positions.get(id(parent))
        if table is None:
            table = {}
            for field in ("body", "orelse", "finalbody"):
                block = getattr(parent, field, None)
                if isinstance(block, list):
                    for i, s in enumerate(block):
                        table[id(s)] = (field, i)
            self._positions[id(parent)] = table
        return table.get(id(stmt))

    def _is_print(self, node: ast.Call) -> bool:
        """``print``, a helper of this module that only forwards to it (``print0``,
        ``master_print``), and ``accelerator.print``."""
        func = node.func
        if isinstance(func, ast.Name):
            return self.ctx.qualname(func) == "print" or func.id in self.ctx.flow.print_helpers()
        if isinstance(func, ast.Attribute) and func.attr == "print":
            receiver = self.ctx.raw_qualname(func.value) or ""
            return receiver in ACCELERATORS or (
                isinstance(func.value, ast.Name) and func.value.id == "accelerator"
            )
        return False

    def end_module(self) -> None:
        if not self.module_logs:
            return
        for key, prints in self.prints.items():
            func = self.functions[key]
            recorded = _closure(func, self.logged.get(key, set()), self.logged_dicts.get(key))
            recorded |= _returned(func)
            for call in prints:
                shown = set()
                for arg in call.args:
                    shown |= {n for n in value_names(arg) if is_metric_like(n)}
                missing = sorted(shown - recorded)
                if missing:
                    fix = self._log_fix(call, missing) or self._echo_fix(call)
                    self.report(call, PrintedNotLogged(names=", ".join(missing)), fix=fix)

    # -- the fix ---------------------------------------------------------------------------------

    def _log_fix(self, call: ast.Call, missing: list[str]) -> Fix | None:
        """Add the printed values to the dict of a wandb log call in the same block, under the
        printed names: ``"grad_norm": grad_norm``. Only where each value is surely a number
        (``x.item()``, ``float(x)``, ``round(x, n)``, or ``x`` formatted as a number) and holds the
        same value at the log call (nothing in between rebinds the name)."""
        if id(call) not in self.statements:
            return None
        parent, stmt = self.statements[id(call)]
        where = self._position(parent, stmt)
        if where is None:
            return None
        field, at = where
        block = getattr(parent, field)
        values = {}
        for name in missing:
            expr = _printed_number(call, name)
            if expr is None:
                return None
            values[name] = expr
        logs = []
        for log in self.dict_logs.get(id(parent), []):
            pos = self._position(parent, self.statements[id(log)][1])
            if pos is not None and pos[0] == field:
                logs.append((pos[1] < at, abs(log.lineno - call.lineno), pos[1], log))
        for _, _, there, log in sorted(logs, key=lambda t: t[:3]):
            i, j = sorted((at, there))
            between = block[i + 1 : j]
            if any(_binds(s, set(values)) for s in between):
                continue
            target = log.args[0]
            if not isinstance(target, ast.Dict):
                continue
            if any(k is None for k in target.keys) or {str_value(k) for k in target.keys} & set(
                values
            ):
                continue
            entries = ", ".join(f'"{n}": {self.ctx.segment(e)}' for n, e in values.items())
            edit = transform(self.ctx, target, "add_dict_entries", entries)
            side = "below" if log.lineno > call.lineno else "above"
            return Fix(
                (edit,),
                applicability=UNSAFE,
                title=f"Add {', '.join(values)} to the wandb log call {side}",
            )
        return None

    def _echo_fix(self, call: ast.Call) -> Fix | None:
        """``print`` -> ``echo`` from the runtime shim, only where wandb's console capture is
        off (with capture on, the print reaches the Logs tab already and ``echo`` adds nothing)."""
        if not self.ctx.console_off():
            return None
        return runtime_fix(
            self.ctx,
            call,
            "echo",
            lambda local: replace(call.func, local),
            "Replace print() with {local}()",
        )


def _printed_number(call: ast.Call, name: str) -> ast.AST | None:
    """The expression a print shows for ``name`` when it is surely a number, else None."""
    for arg in call.args:
        parts = arg.values if isinstance(arg, ast.JoinedStr) else [arg]
        for part in parts:
            expr = part.value if isinstance(part, ast.FormattedValue) else part
            if not _mentions(expr, name):
                continue
            if _is_number_expr(expr, name):
                return expr
            if (
                isinstance(part, ast.FormattedValue)
                and isinstance(expr, ast.Name)
                and _numeric_spec(part)
            ):
                return expr
    return None


def _mentions(expr: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(expr))


def _is_number_expr(expr: ast.AST, name: str) -> bool:
    """``name.item()``, ``float(name)``, ``round(name, n)`` (also around ``name.item()``)."""
    if not isinstance(expr, ast.Call) or expr.keywords:
        return False
    func = expr.func
    if isinstance(func, ast.Attribute) and func.attr == "item" and not expr.args:
        return isinstance(func.value, ast.Name) and func.value.id == name
    if isinstance(func, ast.Name) and func.id in ("float", "round") and 1 <= len(expr.args) <= 2:
        inner = expr.args[0]
        return (isinstance(inner, ast.Name) and inner.id == name) or _is_number_expr(inner, name)
    return False


def _numeric_spec(part: ast.FormattedValue) -> bool:
    """A format spec such as ``:.3f``, ``:.2e``, ``:d``, ``:%``: only numbers accept it."""
    spec = part.format_spec
    if not isinstance(spec, ast.JoinedStr):
        return False
    texts = [
        v.value for v in spec.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
    ]
    if len(texts) != len(spec.values):
        return False
    text = "".join(texts)
    return bool(re.fullmatch(r"[<>=^]?[+\- ]?#?0?\d*[,_]?(\.\d+)?[eEfFgGd%n]", text))


def _binds(stmt: ast.stmt, names: set[str]) -> bool:
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and node.id in names:
            return True
        if isinstance(node, (ast.Global, ast.Nonlocal)) and names & set(node.names):
            return True
    return False


def _closure(func: ast.AST, logged: set[str], dicts: set[str] | None = None) -> set[str]:
    """Logged names plus what flows into them: ``metrics = {"loss": loss}``,
    ``metrics["lr"] = lr`` and ``metrics.update(...)`` make ``loss`` and ``lr`` logged too."""
    flows: dict[str, set[str]] = {}
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
    return _read_out(func, dicts or set(), result)


def _read_out(func: ast.AST, direct: set[str], logged: set[str]) -> set[str]:
    """Also logged: a value read by a literal key out of a dict given to a log call itself
    (``v = metrics["loss"]``, ``metrics.get("loss")`` after ``run.log(metrics)``: ``direct``),
    and a container whose every appended element is logged (``history.append(val_loss)`` then
    ``print(history)``)."""
    reads: dict[str, set[str]] = {}
    appended: dict[str, list[set[str]]] = {}
    for node in own_nodes(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            base: ast.AST = node.value
            if (
                isinstance(base, ast.Call)
                and isinstance(base.func, ast.Attribute)
                and base.func.attr == "get"
                and base.args
                and str_value(base.args[0]) is not None
            ):
                base = base.func.value
            elif isinstance(base, ast.Subscript) and str_value(base.slice) is not None:
                base = base.value
            else:
                continue
            if isinstance(target, ast.Name) and isinstance(base, ast.Name) and base.id in direct:
                reads.setdefault(target.id, set()).add(base.id)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("append", "extend")
            and isinstance(node.func.value, ast.Name)
            and len(node.args) == 1
        ):
            appended.setdefault(node.func.value.id, []).append(value_names(node.args[0]))
    result = set(logged)
    changed = True
    while changed:
        changed = False
        for name, bases in reads.items():
            if name not in result and bases:
                result.add(name)
                changed = True
        for name, values in appended.items():
            if name not in result and all(v and v <= result for v in values):
                result.add(name)
                changed = True
    return result


def _returned(func: ast.AST) -> set[str]:
    """The values a function hands back to its caller: returned or yielded, or stored into an
    item of a dict the caller passed (``d["avg_reward"] = avg_reward``, ``d.update(...)``): the
    caller logs or uses them."""
    args = getattr(func, "args", None)
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)} if args else set()
    params -= {"self", "cls"}
    names: set[str] = set()
    for node in own_nodes(func):
        if isinstance(node, (ast.Return, ast.Yield)) and node.value is not None:
            names |= value_names(node.value)
        elif not params:
            continue
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in params
            for t in node.targets
        ):
            names |= value_names(node.value)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "update"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in params
        ):
            for arg in [*node.args, *(kw.value for kw in node.keywords)]:
                names |= value_names(arg)
    return _closure(func, names) if names else names
