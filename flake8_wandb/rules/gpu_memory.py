from __future__ import annotations

import ast
from typing import ClassVar

from ..analysis.resolve import ALLOCATED
from ..engine import UNSAFE, Fix, Invalid, Message, Rule
from .edits import attribute_name_edit

#: reading any of these beside ``memory_allocated`` means the report shows both figures
COMPANIONS = {
    "torch.cuda.memory_reserved",
    "torch.cuda.max_memory_reserved",
    "torch.cuda.memory_stats",
    "torch.cuda.mem_get_info",
    "torch.cuda.memory_summary",
}


class AllocatedMemoryLogged(Message):
    template: ClassVar[str] = (
        "torch.cuda.{func}() under-reports GPU memory (6x below nvidia-smi in training); log "
        "{replacement}() or wandb_runtime.gpu_memory_stats()"
    )
    func: str
    replacement: str


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

    Only in modules that use wandb. Also reported: a module-level helper that returns
    `memory_allocated()` (scaled or not), where its value reaches a report.

    Not reported: modules that never use wandb, uses in comparisons, asserts and `if` tests, capacity arithmetic
    (`total - allocated`), benchmarks that call `reset_peak_memory_stats`, tests of the allocator
    (`test_*` functions), and reports that show allocated *beside* reserved (the same function
    also reads `memory_reserved`, `memory_stats` or `mem_get_info`).
    """

    code = "WB201"
    name = "memory-allocated-monitoring"
    messages = (AllocatedMemoryLogged,)
    applicability = (UNSAFE,)
    fix_doc = (
        "Unsafe: `memory_allocated` becomes `memory_reserved` and `max_memory_allocated` becomes "
        "`max_memory_reserved` where the call is spelled as an attribute (`torch.cuda.x()`, "
        "`tc.x()`). The logged number changes (on purpose): dashboards and alerts on the old key "
        "see a jump. Calls through `from torch.cuda import ...` or a stored reference get no fix."
    )
    #: ``wandb`` too: a helper of another module may return the figure
    triggers = ("memory_allocated", "wandb")
    invalid = (
        Invalid(
            """\
import torch
import wandb

def train_step(step):
    mem_gb = torch.cuda.memory_allocated() / 1e9  # WB201:14 torch.cuda.memory_allocated() under-reports GPU memory (6x below nvidia-smi in training); log memory_reserved() or wandb_runtime.gpu_memory_stats()
    wandb.log({"system/gpu_mem_GB": mem_gb}, step=step)
""",
            expected_replacement="""\
import torch
import wandb

def train_step(step):
    mem_gb = torch.cuda.memory_reserved() / 1e9  # WB201:14 torch.cuda.memory_allocated() under-reports GPU memory (6x below nvidia-smi in training); log memory_reserved() or wandb_runtime.gpu_memory_stats()
    wandb.log({"system/gpu_mem_GB": mem_gb}, step=step)
""",
        ),
        """\
import torch.cuda as tc
import wandb

print(f"peak memory {tc.max_memory_allocated() / 2**30:.1f} GiB")  # WB201:22 torch.cuda.max_memory_allocated() under-reports GPU memory (6x below nvidia-smi in training); log max_memory_reserved() or wandb_runtime.gpu_memory_stats()
""",
        """\
from torch.cuda import memory_allocated
import wandb

def metrics():
    return {"gpu_mem": memory_allocated()}  # WB201:24 torch.cuda.memory_allocated() under-reports GPU memory (6x below nvidia-smi in training); log memory_reserved() or wandb_runtime.gpu_memory_stats()
""",
        """\
import logging

import torch
import wandb

log = logging.getLogger(__name__)
get_mem = torch.cuda.max_memory_allocated

def report():
    log.info("gpu mem %.1f", get_mem() / 1e9)  # WB201:30 torch.cuda.max_memory_allocated() under-reports GPU memory (6x below nvidia-smi in training); log max_memory_reserved() or wandb_runtime.gpu_memory_stats()
""",
        """\
import torch
import wandb

def gpu_mem_gb():
    return torch.cuda.max_memory_allocated() / 1e9

def train_step(step):
    wandb.log({"gpu_mem_GB": gpu_mem_gb()}, step=step)  # WB201:30 torch.cuda.max_memory_allocated() under-reports GPU memory (6x below nvidia-smi in training); log max_memory_reserved() or wandb_runtime.gpu_memory_stats()
""",
    )
    valid = (
        """\
import torch

def bench(step):  # this module never uses wandb: out of scope
    print(f"step {step} peak {torch.cuda.max_memory_allocated() / 1e9:.1f} GB")
""",
        """\
import torch
import wandb

def can_fit(n_bytes):
    assert torch.cuda.memory_allocated() < 10**10
    if torch.cuda.memory_allocated() + n_bytes > 8e9:
        return False
    free = torch.cuda.get_device_properties(0).total_memory - torch.cuda.memory_allocated()
    return free > n_bytes
""",
        """\
import torch
import wandb

def report(step):
    print({
        "allocated": torch.cuda.memory_allocated() / 1e9,
        "reserved": torch.cuda.memory_reserved() / 1e9,
    })
""",
        """\
import torch
import wandb

def bench(fn):
    torch.cuda.reset_peak_memory_stats()
    fn()
    print("peak", torch.cuda.max_memory_allocated())
""",
        """\
import torch
import wandb

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
        self.pending: dict[int, list[ast.Call]] = {}
        self.exempt: set[int] = set()
        self.functions: dict[int, ast.AST] = {}
        self.uses_wandb: bool | None = None
        #: calls of a function that returns the figure: call id -> the torch function
        self.helpers: dict[int, str] = {}

    def visit_Call(self, node: ast.Call) -> None:
        if self.uses_wandb is None:
            # the cheap questions first: the figure is read here or in a project module this
            # one imports, and the module uses wandb
            self.uses_wandb = self.ctx.project.may_hold("memory") and _uses_wandb(self.ctx)
        if not self.uses_wandb:
            return  # benchmarks and prints of modules without wandb are out of scope
        qual = self.ctx.qualname(node.func)
        if qual in COMPANIONS or qual == "torch.cuda.reset_peak_memory_stats":
            self.exempt.add(id(self.ctx.function()))
        if qual not in ALLOCATED:
            # a function of this module or of the project that returns the figure
            qual = self.ctx.project.returns(node, self.ctx.scope)
            if qual not in ALLOCATED:
                return
            self.helpers[id(node)] = qual
        func = self.ctx.function()
        key = id(func)
        name = getattr(func, "name", "")
        if name.startswith("test_") or not self.ctx.flow.reaches_sink(node, func):
            return
        self.functions[key] = func
        self.pending.setdefault(key, []).append(node)

    def end_module(self) -> None:
        for key, calls in self.pending.items():
            if key in self.exempt:
                continue
            for call in calls:
                fix = None
                if id(call) in self.helpers:  # a function that returns it
                    qual = self.helpers[id(call)]
                    func = qual.rsplit(".", 1)[-1]
                    self.report(call, AllocatedMemoryLogged(func=func, replacement=ALLOCATED[qual]))
                    continue
                qual = self.ctx.qualname(call.func, self._scope_of(self.functions[key])) or ""
                func = qual.rsplit(".", 1)[-1]
                if isinstance(call.func, ast.Attribute) and call.func.attr == func:
                    fix = Fix(
                        (attribute_name_edit(call.func, ALLOCATED[qual], self.ctx),),
                        applicability=UNSAFE,
                        title=f"Read {ALLOCATED[qual]}() instead",
                    )
                self.report(
                    call, AllocatedMemoryLogged(func=func, replacement=ALLOCATED[qual]), fix=fix
                )

    def _scope_of(self, func: ast.AST):
        return self.ctx.names.scope_of.get(id(func), self.ctx.names.module)


def _uses_wandb(ctx) -> bool:
    """The module imports wandb, names it as a tracker (``log_with="wandb"``), or makes a wandb
    log call (an accelerator it was given: ``self.accelerator.log(...)``)."""
    if ctx.names.imports_wandb() or '"wandb"' in ctx.source or "'wandb'" in ctx.source:
        return True
    return any(ctx.wandb.log_call(call, scope) for call, scope in ctx.names.calls_named("log"))
