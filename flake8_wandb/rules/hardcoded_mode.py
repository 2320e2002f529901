from __future__ import annotations

import ast
import re
from typing import ClassVar

from ..analysis.wandb_model import MODE_ATTRIBUTES, MODE_SETTER_CALLEES
from ..engine import ITEM_ONLY, UNCHANGED, UNSAFE, Fix, Invalid, Message, Rule
from .calls import keyword, str_value
from .control_flow import under_condition
from .edits import replace, template
from .imports import runtime_fix


class EnvironModeAssigned(Message):
    template: ClassVar[str] = (
        'os.environ["WANDB_MODE"] = {value} overrides the user\'s WANDB_MODE; use '
        'os.environ.setdefault("WANDB_MODE", ...)'
    )
    value: str


class EnvironModeWritten(Message):
    """``call``: ``os.putenv("WANDB_MODE", ...)`` or ``os.environ.update(WANDB_MODE=...)``"""

    template: ClassVar[str] = (
        '{call} overrides the user\'s WANDB_MODE; use os.environ.setdefault("WANDB_MODE", ...)'
    )
    call: str


class ModeArgument(Message):
    template: ClassVar[str] = (
        "mode={mode!r} in {call}() overrides the user's WANDB_MODE; use "
        "mode=wandb_mode({mode!r}) from the wandb-runtime package"
    )
    mode: str
    call: str


class WandbLoggerOffline(Message):
    template: ClassVar[str] = (
        "WandbLogger(offline=True) overrides the user's WANDB_MODE; read the mode from the "
        "environment"
    )


class InitTrackersMode(Message):
    template: ClassVar[str] = (
        "init_kwargs mode={mode!r} in init_trackers() overrides the user's WANDB_MODE; leave "
        "mode out and set WANDB_MODE"
    )
    mode: str


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
    messages = (
        EnvironModeAssigned,
        EnvironModeWritten,
        ModeArgument,
        WandbLoggerOffline,
        InitTrackersMode,
    )
    applicability = (UNSAFE,)
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
    # a literal mode: `mode=`, a `"mode"` key, `WANDB_MODE`, `WandbLogger(offline=True)`
    needs = ("mode", "MODE", "offline")
    #: a call of an attribute can set the mode only through these callees (``wandb.init``,
    #: ``wandb.Settings``, ``os.environ.update``...): no other is handed to ``visit_Call``; an
    #: assignment, only to an item (``os.environ[K] = ...``)
    attribute_names = {ast.Call: MODE_ATTRIBUTES.__contains__, ast.Assign: ITEM_ONLY}
    invalid = (
        """\
import os

os.environ["WANDB_MODE"] = "offline"  # WB301:1 os.environ["WANDB_MODE"] = "offline" overrides the user's WANDB_MODE; use os.environ.setdefault("WANDB_MODE", ...)
""",
        """\
import wandb

def main(cfg):
    wandb.init(project="demo", mode="offline", config=cfg)  # WB301:32 mode='offline' in wandb.init() overrides the user's WANDB_MODE; use mode=wandb_mode('offline') from the wandb-runtime package

if __name__ == "__main__":
    wandb.init(project="demo", mode="online", config={})  # WB301:32 mode='online' in wandb.init() overrides the user's WANDB_MODE; use mode=wandb_mode('online') from the wandb-runtime package
""",
        Invalid(
            """\
import wandb

run = wandb.init(project="demo", mode="offline", config={})  # WB301:34 mode='offline' in wandb.init() overrides the user's WANDB_MODE; use mode=wandb_mode('offline') from the wandb-runtime package
""",
            expected_replacement="""\
import wandb
from wandb_runtime import wandb_mode

run = wandb.init(project="demo", mode=wandb_mode("offline"), config={})  # WB301:34 mode='offline' in wandb.init() overrides the user's WANDB_MODE; use mode=wandb_mode('offline') from the wandb-runtime package
""",
        ),
        """\
import os
import wandb as wb

os.environ.update(WANDB_MODE="disabled")  # WB301:1 os.environ.update(WANDB_MODE=...) overrides the user's WANDB_MODE; use os.environ.setdefault("WANDB_MODE", ...)
os.putenv("WANDB_MODE", "offline")  # WB301:1 os.putenv("WANDB_MODE", ...) overrides the user's WANDB_MODE; use os.environ.setdefault("WANDB_MODE", ...)
settings = wb.Settings(mode="offline")  # WB301:24 mode='offline' in wandb.Settings() overrides the user's WANDB_MODE; use mode=wandb_mode('offline') from the wandb-runtime package
""",
        Invalid(
            """\
import os

os.environ["WANDB_MODE"] = "offline"  # no network on the cluster  # WB301:1 os.environ["WANDB_MODE"] = "offline" overrides the user's WANDB_MODE; use os.environ.setdefault("WANDB_MODE", ...)
""",
            expected_replacement="""\
import os

os.environ.setdefault("WANDB_MODE", "offline")  # no network on the cluster  # WB301:1 os.environ["WANDB_MODE"] = "offline" overrides the user's WANDB_MODE; use os.environ.setdefault("WANDB_MODE", ...)
""",
        ),
        Invalid(
            """\
import wandb

def force_offline_mode(cfg):
    return wandb.init(project="demo", mode="offline", config=cfg)  # WB301:39 mode='offline' in wandb.init() overrides the user's WANDB_MODE; use mode=wandb_mode('offline') from the wandb-runtime package
""",
            expected_replacement=UNCHANGED,
        ),
        """\
from accelerate import Accelerator
from pytorch_lightning.loggers import WandbLogger

logger = WandbLogger(project="demo", offline=True)  # WB301:38 WandbLogger(offline=True) overrides the user's WANDB_MODE; read the mode from the environment
accelerator = Accelerator(log_with="wandb")
accelerator.init_trackers("demo", init_kwargs={"wandb": {"mode": "offline"}})  # WB301:66 init_kwargs mode='offline' in init_trackers() overrides the user's WANDB_MODE; leave mode out and set WANDB_MODE
""",
        """\
import wandb
from accelerate import Accelerator

accelerator = Accelerator()
if accelerator.is_main_process:  # which process, not which mode: still a hard-coded mode
    wandb.init(mode="offline", config={})  # WB301:16 mode='offline' in wandb.init() overrides the user's WANDB_MODE; use mode=wandb_mode('offline') from the wandb-runtime package
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
        for write in self.ctx.environment_call(node):
            if write.var != "WANDB_MODE" or str_value(write.value) is None:
                continue
            if self._disabled_by_rank(write.value):
                continue
            target = node.targets[0]
            if not isinstance(target, ast.Subscript):  # ``os.environ[K] = v``
                continue
            environ = self.ctx.segment(target.value)
            text = f"{environ}.setdefault({self.ctx.segment(target.slice)}, {self.ctx.segment(node.value)})"
            fix = None
            if not self._forces_mode():
                fix = Fix(
                    (replace(node, text),),
                    applicability=UNSAFE,
                    title="Use os.environ.setdefault (the environment now wins)",
                )
            self.report(node, EnvironModeAssigned(value=self.ctx.segment(node.value)), fix=fix)

    def _disabled_by_rank(self, value: ast.AST) -> bool:
        """``mode="disabled"`` on the ranks that must not log (``if rank != 0:``) is a choice
        of which process logs, not an override of the user's mode."""
        return str_value(value) == "disabled" and under_condition(self.ctx)

    def visit_Call(self, node: ast.Call) -> None:
        # the cheap question first: only these calls can set a mode (``mode=``/``offline=``,
        # ``os.putenv``, ``os.environ.update``, accelerate's ``init_trackers``)
        func = node.func
        callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if callee not in MODE_SETTER_CALLEES:
            for given in node.keywords:  # asked of every call: no generator
                if given.arg == "mode" or given.arg == "offline":
                    break
            else:
                return
        if under_condition(self.ctx, ignore_rank_guards=True):
            return
        for write in self.ctx.environment_call(node):
            literal = str_value(write.value) is not None
            if self._disabled_by_rank(write.value):
                continue
            if write.var == "WANDB_MODE" and write.kind != "setdefault" and literal:
                call = 'os.putenv("WANDB_MODE", ...)'
                if write.kind == "update":
                    call = "os.environ.update(WANDB_MODE=...)"
                self.report(node, EnvironModeWritten(call=call))
                return
        init = self.ctx.init_call(node)
        if (init is not None and init.via == "wandb.init") or self.ctx.settings_call(node):
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
            short = "wandb.init" if init is not None else "wandb.Settings"
            self.report(kw, ModeArgument(mode=str_value(kw.value) or "", call=short), fix=fix)
        elif init is not None and init.via == "WandbLogger":
            kw = init.direct("offline")
            if kw is not None and isinstance(kw.value, ast.Constant) and kw.value.value is True:
                self.report(kw, WandbLoggerOffline())
        elif init is not None:
            for k, v in init.arguments():
                mode = str_value(v)
                if k == "mode" and mode is not None:
                    self.report(v, InitTrackersMode(mode=mode))

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
