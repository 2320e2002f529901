from __future__ import annotations

import ast
import re
from typing import ClassVar

from ..engine import Message, Rule
from .calls import has_star_kwargs, keyword, str_value

#: calls that start one process per rank running a given function
_SPAWNS = {"torch.multiprocessing.spawn", "torch.multiprocessing.start_processes"}
_ENV_READS = {"os.environ.get", "os.getenv", "os.environ.__getitem__"}
_RANK_VARS = {"RANK", "LOCAL_RANK"}
#: names in a test that say which process runs the code (rank 0, the main process) or whether
#: the job is distributed at all: the code under it is not reached by every rank as written
_RANK_WORDS = re.compile(
    r"rank|main_process|master|is_main|global_zero|primary|process_index|ordinal|chief|leader"
    r"|is_root|distributed|ddp|world_size|multi_gpu|multigpu|is_dist|^gpu$|gpu_id|device_id"
    r"|proc_id|^main$|is_zero",
    re.I,
)
#: decorators that run a function on rank 0 only (Lightning's ``rank_zero_only``, mmengine's
#: ``master_only``, accelerate's ``on_main_process``)
_RANK_ZERO_DECORATOR = re.compile(r"rank_zero|rank0|master_only|main_process|on_main", re.I)
_EXITS = (ast.Return, ast.Raise, ast.Continue, ast.Break)
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_MAX_DEPTH = 6


def _names_in(expr: ast.AST) -> list[str]:
    found = []
    for n in ast.walk(expr):
        if isinstance(n, ast.Name):
            found.append(n.id)
        elif isinstance(n, ast.Attribute):
            found.append(n.attr)
    return found


def mentions_rank(test: ast.AST) -> bool:
    return any(_RANK_WORDS.search(n) for n in _names_in(test))


def _exits(block: list[ast.stmt]) -> bool:
    return any(isinstance(n, _EXITS) for s in block for n in ast.walk(s)) or any(
        isinstance(n, ast.Call) and _names_in(n.func)[-1:] in (["exit"], ["_exit"])
        for s in block
        for n in ast.walk(s)
    )


class InitReachedByEveryRank(Message):
    template: ClassVar[str] = (
        "wandb.init() runs on every process ({why}): one run per rank; call it under a rank-0 "
        "guard (if rank == 0:) or pass group="
    )
    why: str


class InitOnEveryRank(Rule):
    """
    ## What it does

    In a module that trains on several processes, reports a `wandb.init(...)` that every
    process reaches. The module trains on several processes when it calls
    `torch.distributed.init_process_group`, `deepspeed.init_distributed` or builds an
    `accelerate.Accelerator` (a launcher such as `torchrun` or `accelerate launch` runs the whole
    script once per process), reads `RANK` / `LOCAL_RANK` from the environment, or starts
    workers with `torch.multiprocessing.spawn(fn, ...)` (then only what `fn` reaches runs per
    process). Every process reaches an init that is not under a rank test and is reached from
    where each process starts (the module, its `__main__` block, the spawned function), through
    the module's own functions.

    ## Why is this bad?

    Each process makes its own run: N runs per job in the project, N copies of the config,
    N-fold logs and uploads, and charts split across runs that look like separate experiments.
    Issue trackers show it again and again: timm's `--log-wandb` made one run per GPU
    (huggingface/pytorch-image-models issue 1309), Lightning users see multiple runs per DDP job
    (Lightning-AI/pytorch-lightning issue 11380), ultralytics reported duplicated runs with
    several GPUs (issue 16704), and PufferDrive fixed an ungated `wandb.init()` under torchrun
    that made `world_size` runs (Emerge-Lab/PufferDrive PR 468).

    Opt-in for now: on the blind-labelled real code (tests/realcode/newrules) it made one
    report, a true one, and no false one (silent on the 23 places labelled as traps: guarded,
    grouped or single-process inits); one finding is not yet a precision figure to turn a rule
    on by.

    Not reported: an init under a rank test (`if rank == 0:`, `if local_rank in (-1, 0):`,
    `if accelerator.is_main_process:`, `if dist.get_rank() == 0:`, `if master_process:`, also
    an early `return` on one, or a conditional expression `wandb.init(...) if rank == 0 else
    None`), in a function decorated `@rank_zero_only` or only called under such a test; an init
    given `group=` (one run per process, grouped, is a documented W&B pattern), `mode=` or
    `settings=` computed at run time (which may disable the other ranks), or `**kwargs`; a
    module that sets `WANDB_MODE` itself; accelerate's `init_trackers` (it initialises wandb on
    the main process only); Lightning's `WandbLogger`; a function that nothing in the module
    calls (its callers are elsewhere: whether they guard it is unknown).
    """

    code = "WB309"
    name = "init-on-every-rank"
    messages = (InitReachedByEveryRank,)
    # opt-in: its blind real-code figure rests on one finding (tests/realcode/newrules)
    default = False
    triggers = ("wandb",)
    invalid = (
        """\
import os

import torch.distributed as dist
import wandb

def main():
    dist.init_process_group("nccl")
    rank = int(os.environ["RANK"])
    run = wandb.init(project="demo", config={"rank": rank})  # WB309:11 wandb.init() runs on every process (init_process_group at line 7): one run per rank; call it under a rank-0 guard (if rank == 0:) or pass group=
    run.log({"loss": 0.1}, step=0)

if __name__ == "__main__":
    main()
""",
        """\
import torch.multiprocessing as mp
import wandb

def setup_logging(cfg):
    return wandb.init(project="demo", config=cfg)  # WB309:12 wandb.init() runs on every process (torch.multiprocessing.spawn at line 12): one run per rank; call it under a rank-0 guard (if rank == 0:) or pass group=

def worker(rank, cfg):
    run = setup_logging(cfg)
    run.log({"rank": rank}, step=0)

if __name__ == "__main__":
    mp.spawn(worker, args=({},), nprocs=4)
""",
        """\
import wandb
from accelerate import Accelerator

accelerator = Accelerator()
wandb.init(project="demo", config={}, mode="online")  # WB309:1 wandb.init() runs on every process (an Accelerator at line 4): one run per rank; call it under a rank-0 guard (if rank == 0:) or pass group=
""",
    )
    valid = (
        """\
import os

import torch.distributed as dist
import wandb

def main():
    dist.init_process_group("nccl")
    rank = dist.get_rank()
    if rank == 0:
        wandb.init(project="demo", config={})
    local_rank = int(os.environ.get("LOCAL_RANK", -1))
    if local_rank in (-1, 0):
        wandb.init(project="demo", config={})
    wandb.init(project="demo", config={}, group="ddp-run")  # one run per rank, on purpose
    wandb.init(project="demo", config={}, mode="online" if rank == 0 else "disabled")
""",
        """\
import torch.multiprocessing as mp
import wandb

def worker(rank):
    if rank != 0:
        return
    wandb.init(project="demo", config={})

def main():
    run = wandb.init(project="demo", config={})  # in the parent, once
    mp.spawn(worker, nprocs=4)
    run.finish()

if __name__ == "__main__":
    main()
""",
        """\
import wandb
from accelerate import Accelerator
from lightning.pytorch.utilities import rank_zero_only

accelerator = Accelerator(log_with="wandb")
accelerator.init_trackers("demo", config={})  # main process only

@rank_zero_only
def start():
    wandb.init(project="demo", config={})

def setup():
    if accelerator.is_main_process:
        start_tracking()

def start_tracking():
    wandb.init(project="demo", config={})
""",
        """\
import wandb

def main():  # no multi-process training in this module
    wandb.init(project="demo", config={})
""",
    )
    use_instead = """\
import os

import torch.distributed as dist
import wandb

def main():
    dist.init_process_group("nccl")
    rank = int(os.environ["RANK"])
    run = wandb.init(project="demo", config={}) if rank == 0 else None
    if run is not None:
        run.log({"loss": 0.1}, step=0)

if __name__ == "__main__":
    main()
"""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._inits: list[ast.Call] = []
        self._launch: tuple[int, str] | None = None
        self._spawned: set[str] = set()
        self._spawn_line = 0
        self._sets_mode = False

    def visit_Call(self, node: ast.Call) -> None:
        qual = self.ctx.qualname(node.func) or ""
        if self.ctx.wandb_init(node):
            self._inits.append(node)
        elif (launch := self.ctx.launch(node)) is not None:
            self._launched(node, launch)
        elif qual in _SPAWNS:
            target = node.args[0] if node.args else getattr(keyword(node, "fn"), "value", None)
            if isinstance(target, ast.Name):
                self._spawned.add(target.id)
                self._spawn_line = self._spawn_line or node.lineno
        elif qual in _ENV_READS and node.args and str_value(node.args[0]) in _RANK_VARS:
            self._launched(node, f"{str_value(node.args[0])} from the environment")
        for write in self.ctx.environment_call(node):
            if write.var in ("WANDB_MODE", "WANDB_DISABLED"):
                self._sets_mode = True

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if (
            isinstance(node.ctx, ast.Load)
            and str_value(node.slice) in _RANK_VARS
            and self.ctx.qualname(node.value) == "os.environ"
        ):
            self._launched(node, f"{str_value(node.slice)} from the environment")

    def visit_Assign(self, node: ast.Assign) -> None:
        for write in self.ctx.environment_call(node):
            if write.var in ("WANDB_MODE", "WANDB_DISABLED"):
                self._sets_mode = True

    def _launched(self, node: ast.AST, what: str) -> None:
        if self._launch is None:
            self._launch = (getattr(node, "lineno", 0), what)

    def end_module(self) -> None:
        if self._sets_mode or not self._inits:
            return
        if self._spawned:
            why = f"torch.multiprocessing.spawn at line {self._spawn_line}"
        elif self._launch is not None:
            why = f"{self._launch[1]} at line {self._launch[0]}"
        else:
            return
        parents: dict[int, ast.AST] = {}
        for parent in ast.walk(self.ctx.tree):
            for child in ast.iter_child_nodes(parent):
                parents[id(child)] = parent
        self._parents = parents
        self._functions = [n for n in ast.walk(self.ctx.tree) if isinstance(n, _FUNCS)]
        for init in self._inits:
            if self._may_be_per_rank_by_arguments(init):
                continue
            if self._every_rank(init, 0, set()):
                self.report(init, InitReachedByEveryRank(why=why))

    def _may_be_per_rank_by_arguments(self, init: ast.Call) -> bool:
        """``group=`` (grouped on purpose), ``**kwargs``, a ``mode=`` that is not a literal
        (``"disabled"`` on the other ranks, or from the command line), ``mode="disabled"``,
        ``settings=`` that set a mode (shared mode, ``x_primary``)."""
        if keyword(init, "group") is not None or has_star_kwargs(init):
            return True
        mode = keyword(init, "mode")
        if mode is not None and str_value(mode.value) in (None, "disabled"):
            return True
        settings = keyword(init, "settings")
        if settings is not None:
            text = self.ctx.segment(settings.value)
            if any(w in text for w in ("mode", "x_primary", "x_label", "shared")):
                return True
            if not isinstance(settings.value, (ast.Call, ast.Dict)):
                return True
        return False

    def _every_rank(self, node: ast.AST, depth: int, seen: set[int]) -> bool:
        """Does every process reach ``node`` (as far as this module shows)?"""
        if depth > _MAX_DEPTH:
            return False
        child = node
        parent = self._parents.get(id(child))
        while parent is not None:
            if self._guards(parent, child):
                return False
            if isinstance(parent, _FUNCS):
                return self._function_every_rank(parent, depth, seen)
            if isinstance(parent, ast.Lambda):
                return False
            child, parent = parent, self._parents.get(id(parent))
        return not self._spawned  # module level: every launched process runs it

    def _guards(self, parent: ast.AST, child: ast.AST) -> bool:
        """``parent`` lets only some ranks reach ``child``: a rank test around it, an earlier
        statement of the same block that leaves on a rank test, a rank-zero decorator."""
        if isinstance(parent, (ast.If, ast.IfExp, ast.While)) and child is not parent.test:
            if mentions_rank(parent.test):
                return True
        if isinstance(parent, ast.BoolOp):
            before = parent.values[: parent.values.index(child)] if child in parent.values else []
            if any(mentions_rank(v) for v in before):
                return True
        if isinstance(parent, ast.match_case) and parent.guard is not None:
            if mentions_rank(parent.guard):
                return True
        if isinstance(parent, _FUNCS):
            for dec in parent.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if any(_RANK_ZERO_DECORATOR.search(n) for n in _names_in(target)):
                    return True
        for field in ("body", "orelse", "finalbody"):
            block = getattr(parent, field, None)
            if isinstance(block, list) and child in block:
                for stmt in block[: block.index(child)]:
                    if isinstance(stmt, ast.If) and mentions_rank(stmt.test):
                        if _exits(stmt.body) or _exits(stmt.orelse):
                            return True
        return False

    def _function_every_rank(self, func: ast.AST, depth: int, seen: set[int]) -> bool:
        assert isinstance(func, _FUNCS)
        if id(func) in seen:
            return False
        seen = seen | {id(func)}
        if func.name in self._spawned:
            return True
        sites = self._call_sites(func)
        return any(self._every_rank(site, depth + 1, seen) for site in sites)

    def _call_sites(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
        """Where the module calls (or passes on) ``func``: by its name, by ``self.<name>`` /
        ``obj.<name>`` for a method, by its class's name for ``__init__``."""
        owner = self._parents.get(id(func))
        name = func.name
        if isinstance(owner, ast.ClassDef) and name == "__init__":
            name = owner.name
        sites: list[ast.AST] = []
        for node in ast.walk(self.ctx.tree):
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
                sites.append(node)
            elif (
                isinstance(node, ast.Attribute)
                and node.attr == name
                and isinstance(owner, ast.ClassDef)
                and isinstance(node.ctx, ast.Load)
            ):
                sites.append(node)
        return sites
