from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set

from ..engine import Fix, Invalid, Rule
from .common import attribute_name_edit

ALLOCATED = {
    "torch.cuda.memory_allocated": "memory_reserved",
    "torch.cuda.max_memory_allocated": "max_memory_reserved",
}
#: reading any of these beside ``memory_allocated`` means the report shows both figures
COMPANIONS = {
    "torch.cuda.memory_reserved",
    "torch.cuda.max_memory_reserved",
    "torch.cuda.memory_stats",
    "torch.cuda.mem_get_info",
    "torch.cuda.memory_summary",
}
#: callee names whose arguments are a report: printing, logging, formatting, metrics
SINK_CALLS = {
    "print",
    "log",
    "info",
    "debug",
    "warning",
    "write",
    "log_metrics",
    "log_dict",
    "add_scalar",
    "add_scalars",
    "set_postfix",
    "format",
    "echo",
    "update",
}
#: conversions that keep the figure what it is (bytes to GB, rounding)
KEEPS_VALUE = (ast.Div, ast.FloorDiv, ast.Mult, ast.RShift)
WRAPPERS = {"round", "float", "int", "str", "format"}


class MemoryAllocatedMonitoring(Rule):
    """
    ## What it does

    Reports `torch.cuda.memory_allocated()` / `max_memory_allocated()` (called directly, through
    an alias or `from torch.cuda import ...`, or through a reference such as
    `get_mem = torch.cuda.max_memory_allocated`) whose value reaches a log call, a print, a
    formatted string or a metrics dict as *the* GPU memory figure, directly or through a local
    name.

    ## Why is this bad?

    `memory_allocated` counts only the bytes held by live tensors. The caching allocator keeps
    much more reserved, and the CUDA context and library workspaces come on top: measured on an
    H100 during training, `memory_allocated` was 1.6 GiB while nvidia-smi showed 9.9 GiB (6x).
    A run that "uses 2 GB" and dies of out-of-memory is the result. `memory_reserved` tracks
    nvidia-smi within the context size; `torch.cuda.mem_get_info` equals it for the whole device.

    Not reported: uses in comparisons, asserts and `if` tests, capacity arithmetic
    (`total - allocated`), benchmarks that call `reset_peak_memory_stats`, tests of the allocator
    (`test_*` functions), and reports that show allocated *beside* reserved (the same function
    also reads `memory_reserved`, `memory_stats` or `mem_get_info`).
    """

    code = "WB201"
    name = "memory-allocated-monitoring"
    message = (
        "torch.cuda.{func}() under-reports GPU memory (6x below nvidia-smi in training); "
        "log {replacement}() or wandb_runtime.gpu_memory_stats()"
    )
    fix_safety = "unsafe"
    fix_doc = (
        "Unsafe: `memory_allocated` becomes `memory_reserved` and `max_memory_allocated` becomes "
        "`max_memory_reserved` where the call is spelled as an attribute (`torch.cuda.x()`, "
        "`tc.x()`). The logged number changes (on purpose): dashboards and alerts on the old key "
        "see a jump. Calls through `from torch.cuda import ...` or a stored reference get no fix."
    )
    triggers = ("memory_allocated",)
    invalid = (
        Invalid(
            """\
import torch
import wandb

def train_step(step):
    mem_gb = torch.cuda.memory_allocated() / 1e9  # WB201
    wandb.log({"system/gpu_mem_GB": mem_gb}, step=step)
""",
            expected_replacement="""\
import torch
import wandb

def train_step(step):
    mem_gb = torch.cuda.memory_reserved() / 1e9  # WB201
    wandb.log({"system/gpu_mem_GB": mem_gb}, step=step)
""",
        ),
        """\
import torch.cuda as tc

print(f"peak memory {tc.max_memory_allocated() / 2**30:.1f} GiB")  # WB201
""",
        """\
from torch.cuda import memory_allocated

def metrics():
    return {"gpu_mem": memory_allocated()}  # WB201
""",
        """\
import logging

import torch

log = logging.getLogger(__name__)
get_mem = torch.cuda.max_memory_allocated

def report():
    log.info("gpu mem %.1f", get_mem() / 1e9)  # WB201
""",
    )
    valid = (
        """\
import torch

def can_fit(n_bytes):
    assert torch.cuda.memory_allocated() < 10**10
    if torch.cuda.memory_allocated() + n_bytes > 8e9:
        return False
    free = torch.cuda.get_device_properties(0).total_memory - torch.cuda.memory_allocated()
    return free > n_bytes
""",
        """\
import torch

def report(step):
    print({
        "allocated": torch.cuda.memory_allocated() / 1e9,
        "reserved": torch.cuda.memory_reserved() / 1e9,
    })
""",
        """\
import torch

def bench(fn):
    torch.cuda.reset_peak_memory_stats()
    fn()
    print("peak", torch.cuda.max_memory_allocated())
""",
        """\
import torch

def test_allocator_frees_tensors():
    x = torch.ones(1024, device="cuda")
    del x
    print(torch.cuda.memory_allocated())
""",
        """\
class Pool:
    def memory_allocated(self):
        return 0

pool = Pool()
print(pool.memory_allocated())  # a user's own method, not torch.cuda
""",
    )
    use_instead = """\
import wandb
from wandb_runtime import gpu_memory_stats

def train_step(step):
    wandb.log({**gpu_memory_stats()}, step=step)
"""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        # per function (or the module): allocated calls seen, and whether it also reads companions
        self.pending: Dict[int, List[ast.Call]] = {}
        self.exempt: Set[int] = set()
        self.functions: Dict[int, ast.AST] = {}

    def visit_Call(self, node: ast.Call) -> None:
        qual = self.ctx.qualname(node.func)
        func = self.ctx.function()
        key = id(func)
        if qual in COMPANIONS or qual == "torch.cuda.reset_peak_memory_stats":
            self.exempt.add(key)
        if qual not in ALLOCATED:
            return
        name = getattr(func, "name", "")
        if name.startswith("test_") or self._reaches_report(node, func) is False:
            return
        self.functions[key] = func
        self.pending.setdefault(key, []).append(node)

    def end_module(self) -> None:
        for key, calls in self.pending.items():
            if key in self.exempt:
                continue
            for call in calls:
                qual = self.ctx.qualname(call.func, self._scope_of(self.functions[key]))
                func = qual.rsplit(".", 1)[-1]
                fix = None
                if isinstance(call.func, ast.Attribute) and call.func.attr == func:
                    fix = Fix(
                        (attribute_name_edit(call.func, ALLOCATED[qual]),),
                        safe=False,
                        title=f"Read {ALLOCATED[qual]}() instead",
                    )
                self.report(call, fix=fix, func=func, replacement=ALLOCATED[qual])

    def _scope_of(self, func: ast.AST):
        return self.ctx.names.scope_of.get(id(func), self.ctx.names.module)

    # -- data flow -----------------------------------------------------------------------------

    def _reaches_report(self, call: ast.Call, func: ast.AST) -> bool:
        """Does the value of ``call`` reach a report, directly or through a local name?"""
        chain = self.ctx.ancestors
        child: ast.AST = call
        for parent in reversed(chain):
            verdict = self._step(parent, child)
            if verdict is not None:
                if isinstance(verdict, str):
                    return self._name_reaches_report(verdict, func)
                return verdict
            child = parent
        return False

    def _step(self, parent: ast.AST, child: ast.AST) -> "Optional[object]":
        """True: a report; False: a use that is not a report; a str: assigned to that name;
        None: keep walking outwards."""
        if isinstance(parent, ast.BinOp):
            return None if isinstance(parent.op, KEEPS_VALUE) else False
        if isinstance(parent, ast.Call):
            if child is parent.func:
                return False
            callee = parent.func
            name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
            if name in WRAPPERS:
                return None
            return name in SINK_CALLS
        if isinstance(parent, (ast.FormattedValue, ast.JoinedStr)):
            return True
        if isinstance(parent, ast.Dict):
            return child in parent.values
        if isinstance(parent, ast.keyword):
            return None
        if isinstance(parent, (ast.Tuple, ast.List)):
            return None
        if isinstance(parent, ast.Return):
            return isinstance(child, ast.Dict)
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
            target = parent.targets[0]
            if isinstance(target, ast.Name):
                return target.id
            if isinstance(target, ast.Subscript):
                return True  # metrics["gpu_mem"] = ...
            return False
        if isinstance(parent, ast.AnnAssign) and isinstance(parent.target, ast.Name):
            return parent.target.id
        return False

    def _name_reaches_report(self, name: str, func: ast.AST) -> bool:
        body = func.body if isinstance(func.body, list) else [func.body]
        for stmt in body:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
                    if self._use_reaches_report(node, stmt):
                        return True
        return False

    def _use_reaches_report(self, use: ast.Name, root: ast.AST) -> bool:
        parents: Dict[int, ast.AST] = {}
        for node in ast.walk(root):
            for child in ast.iter_child_nodes(node):
                parents[id(child)] = node
        child: ast.AST = use
        while id(child) in parents:
            parent = parents[id(child)]
            verdict = self._step(parent, child)
            if verdict is not None:
                return verdict is True  # one level of names is enough
            child = parent
        return False
