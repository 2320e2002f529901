from __future__ import annotations

import ast
import re

from ..analysis.wandb_model import MODE_CALLS
from ..engine import RUNTIME_PACKAGE, UNCHANGED, Fix, Invalid, Rule
from .calls import keyword, str_value
from .control_flow import under_condition
from .edits import replace, template
from .imports import runtime_fix

LIGHTNING = ("pytorch_lightning.", "lightning.")


#: callees that may set ``WANDB_MODE`` without a ``mode=`` keyword
_MODE_SETTERS = frozenset({"putenv", "update", "init_trackers"})


class HardcodedWandbMode(Rule):
    """
    ## What it does

    Reports a literal wandb mode written in code: `os.environ["WANDB_MODE"] = "offline"`,
    `os.environ.update(WANDB_MODE=...)`, `os.putenv("WANDB_MODE", ...)`,
    `wandb.init(mode="offline")` and `wandb.Settings(mode="offline")`.

    ## Why is this bad?

    In the target wandb (measured on 0.31), a mode given in code beats `WANDB_MODE` from the
    environment. A literal `mode="offline"` left in a script silently overrides the user who runs
    it with `WANDB_MODE=online` (or `disabled` in CI): the run never syncs, or the test suite
    talks to the server.

    Not reported: `os.environ.setdefault("WANDB_MODE", ...)`, a mode read from arguments, config
    or the environment, and a choice driven by a flag: `mode="offline" if args.offline else
    "online"`, or a literal set under an `if` (`if args.offline:`, `if rank != 0:`).
    """

    code = "WB301"
    name = "hardcoded-wandb-mode"
    message = "{what} overrides the user's WANDB_MODE; {advice}"
    fix_safety = "unsafe"
    fix_doc = (
        'Unsafe: `os.environ["WANDB_MODE"] = X` becomes `os.environ.setdefault("WANDB_MODE", X)`, '
        "and `mode=X` becomes `mode=wandb_mode(X)` from the runtime shim (it returns `WANDB_MODE` "
        "when set, else `X`), adding `from wandb_runtime import wandb_mode` next to the module's "
        "own `import wandb` (under the alias `runtime_wandb_mode` when the module already uses "
        "the name). The default stays the same, but a user's `WANDB_MODE` now wins: that is the point, "
        "and a change of behaviour. The `mode=` fix needs the `wandb-runtime` package. No fix "
        "inside a function whose name says it forces the mode (`force_offline`, "
        "`setup_offline_mode`, `disable_wandb`), and none for `update()` and `putenv()`."
    )
    triggers = ("wandb", "WandbLogger", "WANDB_MODE")
    invalid = (
        """\
import os

os.environ["WANDB_MODE"] = "offline"  # WB301
""",
        """\
import wandb

def main(cfg):
    wandb.init(project="demo", mode="offline", config=cfg)  # WB301

if __name__ == "__main__":
    wandb.init(project="demo", mode="online", config={})  # WB301
""",
        Invalid(
            """\
import wandb

run = wandb.init(project="demo", mode="offline", config={})  # WB301
""",
            expected_replacement="""\
import wandb
from wandb_runtime import wandb_mode

run = wandb.init(project="demo", mode=wandb_mode("offline"), config={})  # WB301
""",
        ),
        """\
import os
import wandb as wb

os.environ.update(WANDB_MODE="disabled")  # WB301
os.putenv("WANDB_MODE", "offline")  # WB301
settings = wb.Settings(mode="offline")  # WB301
""",
        Invalid(
            """\
import os

os.environ["WANDB_MODE"] = "offline"  # no network on the cluster  # WB301
""",
            expected_replacement="""\
import os

os.environ.setdefault("WANDB_MODE", "offline")  # no network on the cluster  # WB301
""",
        ),
        Invalid(
            """\
import wandb

def force_offline_mode(cfg):
    return wandb.init(project="demo", mode="offline", config=cfg)  # WB301
""",
            expected_replacement=UNCHANGED,
        ),
        """\
from accelerate import Accelerator
from pytorch_lightning.loggers import WandbLogger

logger = WandbLogger(project="demo", offline=True)  # WB301
accelerator = Accelerator(log_with="wandb")
accelerator.init_trackers("demo", init_kwargs={"wandb": {"mode": "offline"}})  # WB301
""",
        """\
import wandb
from accelerate import Accelerator

accelerator = Accelerator()
if accelerator.is_main_process:  # which process, not which mode: still a hard-coded mode
    wandb.init(mode="offline", config={})  # WB301
""",
    )
    valid = (
        """\
import os

import wandb

os.environ.setdefault("WANDB_MODE", "offline")
run = wandb.init(project="demo", mode=os.environ.get("WANDB_MODE", "online"), config={})
""",
        """\
import argparse

import wandb

args = argparse.ArgumentParser().parse_args()
wandb.init(project="demo", mode="offline" if args.offline else "online", config=vars(args))
wandb.init(project="demo", mode=args.wandb_mode, config=vars(args))
""",
        """\
import os

os.environ["TOKENIZERS_PARALLELISM"] = "false"
env = {}
env["WANDB_MODE"] = "offline"  # a plain dict handed to a subprocess, not this process
model_mode = dict(mode="offline")
""",
        """\
import os

from pytorch_lightning.loggers import WandbLogger

logger = WandbLogger(project="demo", offline=os.environ.get("OFFLINE") == "1")
os.environ.update({"TOKENIZERS_PARALLELISM": "false"})
""",
        """\
import os

import wandb

def setup(args, rank):
    if args.offline:
        os.environ["WANDB_MODE"] = "offline"
    if rank != 0:
        wandb.init(project="demo", mode="disabled", config=vars(args))
""",
    )
    use_instead = """\
import os

os.environ.setdefault("WANDB_MODE", "offline")
"""

    def visit_Assign(self, node: ast.Assign) -> None:
        # the cheap questions first: ``os.environ[K] = <literal>``, then where it runs
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Subscript):
            return
        if str_value(node.value) is None:
            return
        if under_condition(self.ctx, ignore_rank_guards=True):
            return
        for write in self.ctx.flow.env_writes(node):
            if write.var != "WANDB_MODE" or str_value(write.value) is None:
                continue
            if self._disabled_by_rank(write.value):
                continue
            target = node.targets[0]
            if not isinstance(target, ast.Subscript):  # env_writes: ``os.environ[K] = v``
                continue
            environ = self.ctx.segment(target.value)
            text = f"{environ}.setdefault({self.ctx.segment(target.slice)}, {self.ctx.segment(node.value)})"
            fix = None
            if not self._forces_mode():
                fix = Fix(
                    (replace(node, text),),
                    safe=False,
                    title="Use os.environ.setdefault (the environment now wins)",
                )
            self.report(
                node,
                fix=fix,
                what=f'os.environ["WANDB_MODE"] = {self.ctx.segment(node.value)}',
                advice='use os.environ.setdefault("WANDB_MODE", ...)',
            )

    def _disabled_by_rank(self, value: ast.AST) -> bool:
        """``mode="disabled"`` on the ranks that must not log (``if rank != 0:``) is a choice
        of which process logs, not an override of the user's mode."""
        return str_value(value) == "disabled" and under_condition(self.ctx)

    def visit_Call(self, node: ast.Call) -> None:
        # the cheap question first: only these calls can set a mode (``mode=``/``offline=``,
        # ``os.putenv``, ``os.environ.update``, accelerate's ``init_trackers``)
        func = node.func
        callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if callee not in _MODE_SETTERS and not any(
            kw.arg in ("mode", "offline") for kw in node.keywords
        ):
            return
        if under_condition(self.ctx, ignore_rank_guards=True):
            return
        for write in self.ctx.flow.env_writes(node):
            literal = str_value(write.value) is not None
            if self._disabled_by_rank(write.value):
                continue
            if write.var == "WANDB_MODE" and write.kind != "setdefault" and literal:
                what = 'os.putenv("WANDB_MODE", ...)'
                if write.kind == "update":
                    what = "os.environ.update(WANDB_MODE=...)"
                self.report(node, what=what, advice=_SETDEFAULT)
                return
        qual = self.ctx.qualname(node.func)
        if qual in MODE_CALLS:
            kw = keyword(node, "mode")
            if kw is None or str_value(kw.value) is None or self._disabled_by_rank(kw.value):
                return
            value = kw.value
            fix = None
            if not self._forces_mode():
                fix = runtime_fix(
                    self.ctx,
                    kw,
                    "wandb_mode",
                    lambda local: template(self.ctx, value, local + "({node})"),
                    "Wrap the mode in {local}()",
                )
            short = "wandb." + qual.rsplit(".", 1)[-1]
            self.report(
                kw,
                fix=fix,
                what=f"mode={str_value(kw.value)!r} in {short}()",
                advice=f"use mode=wandb_mode({str_value(kw.value)!r}) from the {RUNTIME_PACKAGE} package",
            )
        elif qual is not None and qual.endswith(".WandbLogger") and qual.startswith(LIGHTNING):
            kw = keyword(node, "offline")
            if kw is not None and isinstance(kw.value, ast.Constant) and kw.value.value is True:
                self.report(
                    kw,
                    what="WandbLogger(offline=True)",
                    advice="read the mode from the environment",
                )
        else:
            init_kwargs = self.ctx.flow.init_trackers_wandb(node)
            if init_kwargs is not None:
                for k, v in zip(init_kwargs.keys, init_kwargs.values):
                    mode = str_value(v)
                    if str_value(k) == "mode" and mode is not None:
                        self.report(
                            v,
                            what=f"init_kwargs mode={mode!r} in init_trackers()",
                            advice="leave mode out and set WANDB_MODE",
                        )

    def _forces_mode(self) -> bool:
        """Inside a function whose name says it forces the mode (``force_offline``,
        ``setup_offline_mode``, ``disable_wandb``): the literal is the point, no fix."""
        for node in self.ctx.ancestors:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _FORCING.search(
                node.name
            ):
                return True
        return False


_FORCING = re.compile(r"(?:^|_)(force|forced|offline|online|disable|disabled|dryrun)(?:_|$)", re.I)
_SETDEFAULT = 'use os.environ.setdefault("WANDB_MODE", ...)'
