from __future__ import annotations

import ast
from typing import ClassVar

from ..analysis.flow import own_nodes
from ..analysis.wandb_model import (
    CONFIG_ATTRIBUTES,
    CONFIG_OBJECTS,
    CONFIG_UPDATES,
    INIT_ATTRIBUTES,
    InitCall,
)
from ..engine import SAFE, UNCHANGED, UNSAFE, Fix, Invalid, Message, Rule
from .calls import dotted, has_star_kwargs, keyword
from .edits import add_keyword, template
from .imports import import_for_fix

DICTCONFIG_TYPES = {"omegaconf.DictConfig", "omegaconf.dictconfig.DictConfig"}
DICTCONFIG_MAKERS = {
    "omegaconf.OmegaConf.create",
    "omegaconf.OmegaConf.load",
    "omegaconf.OmegaConf.merge",
    "omegaconf.OmegaConf.structured",
    "hydra.compose",
}


def _assigned_from(ctx, func: ast.AST, name: str):
    """Values assigned to ``name`` in a function (or module) body, nested functions aside."""
    return [v for v in ctx.flow.assignments(func, name) if not isinstance(v, ast.AugAssign)]


def _param(func: ast.AST, name: str) -> ast.arg | None:
    args = getattr(func, "args", None)
    if args is None:
        return None
    for p in args.posonlyargs + args.args + args.kwonlyargs:
        if p.arg == name:
            return p
    return None


def is_argparse_namespace(ctx, name: str, node: ast.AST) -> bool:
    """``args`` surely an argparse namespace where ``node`` runs: every assignment of it in the
    function is ``<parser>.parse_args(...)`` (not ``parse_known_args()``, which returns a tuple),
    or it is a parameter annotated ``Namespace``."""
    if not ctx.flow.surely_bound(node, (name,)):
        return False
    func = ctx.function()
    param = _param(func, name)
    if param is not None:
        return param.annotation is not None and dotted(param.annotation).endswith("Namespace")
    if _rebound_otherwise(func, name):
        return False
    values = list(_assigned_from(ctx, func, name))
    return bool(values) and all(
        isinstance(v, ast.Call)
        and isinstance(v.func, ast.Attribute)
        and v.func.attr == "parse_args"
        for v in values
    )


def _rebound_otherwise(func: ast.AST, name: str) -> bool:
    """``name`` bound by something other than a plain ``name = value`` in the function:
    ``for``/``with`` targets, tuple unpacking, augmented assignment, walrus, ``global``."""
    for node in own_nodes(func):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if not isinstance(t, ast.Name) and any(
                    isinstance(n, ast.Name) and n.id == name for n in ast.walk(t)
                ):
                    return True
        elif isinstance(
            node,
            (
                ast.AugAssign,
                ast.AnnAssign,
                ast.For,
                ast.AsyncFor,
                ast.withitem,
                ast.NamedExpr,
                ast.comprehension,
            ),
        ):
            target = getattr(node, "target", None) or getattr(node, "optional_vars", None)
            if target is not None and any(
                isinstance(n, ast.Name) and n.id == name for n in ast.walk(target)
            ):
                return True
        elif isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return True
        elif isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Del):
            return True
    return False


def is_dictconfig(ctx, name: str) -> bool:
    """A name surely holding an OmegaConf DictConfig: a parameter annotated ``DictConfig`` or
    the config of a ``@hydra.main`` function, never reassigned in the function; or a name
    assigned only from ``OmegaConf.create/load/merge/structured`` or ``hydra.compose``. Not
    after ``cfg = OmegaConf.to_container(cfg)``, which makes it a dict."""
    func = ctx.function()
    if _rebound_otherwise(func, name):
        return False
    param = _param(func, name)
    values = list(_assigned_from(ctx, func, name))
    if param is not None:
        if values:
            return False
        if param.annotation is not None and ctx.qualname(param.annotation) in DICTCONFIG_TYPES:
            return True
        first = (func.args.posonlyargs + func.args.args)[:1]
        hydra_main = any(
            (ctx.qualname(d.func if isinstance(d, ast.Call) else d) or "") == "hydra.main"
            for d in getattr(func, "decorator_list", ())
        )
        return hydra_main and first == [param]
    return bool(values) and all(
        isinstance(v, ast.Call) and ctx.qualname(v.func) in DICTCONFIG_MAKERS for v in values
    )


class InitWithoutConfigArgument(Message):
    template: ClassVar[str] = (
        "wandb.init() without config=: the run records no hyperparameters; pass config= with "
        "the full resolved config"
    )


class InitWithoutKnownConfig(Message):
    """``config``: the expression to pass, when the module holds one (``vars(args)``)"""

    template: ClassVar[str] = (
        "wandb.init() without config=: the run records no hyperparameters; pass config={config}"
    )
    config: str


class InitTrackersWithoutConfig(Message):
    template: ClassVar[str] = (
        "init_trackers() without config=: the wandb run records no hyperparameters; pass "
        "config= with the full resolved config"
    )


class ConfigAttributeAssigned(Message):
    template: ClassVar[str] = (
        "wandb.config = ... rebinds the module attribute and never reaches the run; use "
        "wandb.config.update(...) or wandb.init(config=...)"
    )


class InitWithoutConfig(Rule):
    """
    ## What it does

    Reports `wandb.init(...)` with no `config=` when the run's config (`run.config`,
    `wandb.config`) is never updated in the same module; and `wandb.config = {...}`, which
    rebinds the module attribute and never reaches the run.

    ## Why is this bad?

    A run without its hyperparameters cannot be compared, filtered or reproduced: the runs
    table shows a loss curve and nothing about what produced it.

    Not reported: a config given later (`run.config.update(...)`, `wandb.config.update(...)`,
    `run.config[k] = v`, `wandb.config.k = v`, `accelerator.init_trackers(config=...)`), and
    `wandb.init(**kwargs)` (the dict may hold `config`).
    """

    code = "WB303"
    name = "init-without-config"
    messages = (
        InitWithoutConfigArgument,
        InitWithoutKnownConfig,
        InitTrackersWithoutConfig,
        ConfigAttributeAssigned,
    )
    applicability = (UNSAFE,)
    fix_doc = (
        "Unsafe: adds `config=vars(args)` when `args` is surely an argparse namespace at the call "
        "(every assignment of it is `parser.parse_args()`, not `parse_known_args()`, which "
        "returns a tuple; or a parameter annotated `Namespace`), or "
        "`config=OmegaConf.to_container(cfg, resolve=True)` when `cfg` is surely a DictConfig (a "
        "`@hydra.main` config or a parameter annotated `DictConfig`, never reassigned; or a name "
        "assigned only from `OmegaConf.load/create/merge/structured`), adding "
        "`from omegaconf import OmegaConf` beside the module's omegaconf or wandb import. What the "
        "run records changes; secrets in the namespace would be sent too (see "
        "`wandb_runtime.init`, which redacts them); resolving raises where an interpolation "
        "cannot be resolved. Otherwise no fix."
    )
    invalid = (
        """\
import argparse

import wandb

def main():
    args = argparse.ArgumentParser().parse_args()
    run = wandb.init(project="demo")  # WB303:11 wandb.init() without config=: the run records no hyperparameters; pass config=vars(args)
    run.log({"x": 1}, step=0)
""",
        """\
import wandb

wandb.init(project="demo")  # WB303:1 wandb.init() without config=: the run records no hyperparameters; pass config= with the full resolved config
wandb.config = {"lr": 0.1}  # WB303:1 wandb.config = ... rebinds the module attribute and never reaches the run; use wandb.config.update(...) or wandb.init(config=...)
""",
        Invalid(
            """\
import argparse

import wandb

def main():
    args = argparse.ArgumentParser().parse_args()
    run = wandb.init(project="demo")  # WB303:11 wandb.init() without config=: the run records no hyperparameters; pass config=vars(args)
""",
            expected_replacement="""\
import argparse

import wandb

def main():
    args = argparse.ArgumentParser().parse_args()
    run = wandb.init(project="demo", config=vars(args))  # WB303:11 wandb.init() without config=: the run records no hyperparameters; pass config=vars(args)
""",
        ),
        Invalid(
            """\
import hydra
import wandb
from omegaconf import DictConfig

@hydra.main(config_path="conf", config_name="train", version_base=None)
def main(cfg: DictConfig):
    wandb.init(project="demo")  # WB303:5 wandb.init() without config=: the run records no hyperparameters; pass config=OmegaConf.to_container(cfg, resolve=True)
""",
            expected_replacement="""\
import hydra
import wandb
from omegaconf import DictConfig, OmegaConf

@hydra.main(config_path="conf", config_name="train", version_base=None)
def main(cfg: DictConfig):
    wandb.init(project="demo", config=OmegaConf.to_container(cfg, resolve=True))  # WB303:5 wandb.init() without config=: the run records no hyperparameters; pass config=OmegaConf.to_container(cfg, resolve=True)
""",
        ),
        Invalid(
            """\
import argparse

import wandb

def main():
    args, unknown = argparse.ArgumentParser().parse_known_args()
    wandb.init(project="demo")  # WB303:5 wandb.init() without config=: the run records no hyperparameters; pass config= with the full resolved config
""",
            expected_replacement=UNCHANGED,
        ),
        Invalid(
            """\
import wandb

def main(args):  # a namespace, a dict or a list: vars(args) could raise
    wandb.init(project="demo")  # WB303:5 wandb.init() without config=: the run records no hyperparameters; pass config= with the full resolved config
""",
            expected_replacement=UNCHANGED,
        ),
        """\
from accelerate import Accelerator

import wandb

accelerator = Accelerator(log_with="wandb")
accelerator.init_trackers("demo", init_kwargs={"wandb": {"name": "run-1"}})  # WB303:1 init_trackers() without config=: the wandb run records no hyperparameters; pass config= with the full resolved config
""",
    )
    valid = (
        """\
import wandb

def main(args):
    run = wandb.init(project="demo")
    run.config.update(vars(args))
""",
        """\
import wandb

wandb.init(project="demo", config={"lr": 0.1})
wandb.init(project="demo", **{"config": {}})
""",
        """\
import wandb

wandb.init(project="demo")
wandb.config.lr = 0.1
""",
        """\
import wandb

class Trainer:
    def __init__(self):
        wandb.init(project="demo", config={"lr": 0.1})
        self.cfg = wandb.config  # a reference to the config, not a rebinding
        self.config = wandb.config
""",
        """\
from accelerate import Accelerator

import wandb

accelerator = Accelerator(log_with="wandb")
accelerator.init_trackers("demo", config={"lr": 0.1})
wandb.init(project="other")
""",
        """\
import wandb

def main(run_id):
    run = wandb.init(project="demo", id=run_id, resume="must")  # config already recorded
""",
        """\
import wandb

def sweep_train():
    with wandb.init() as run:  # the sweep controller supplies the config
        run.log({"loss": 0.1}, step=0)

sweep_id = wandb.sweep({"method": "random"}, project="demo")
wandb.agent(sweep_id, function=sweep_train, count=10)
""",
        """\
from accelerate import Accelerator

accelerator = Accelerator(log_with="tensorboard")
accelerator.init_trackers("demo")  # not wandb
""",
    )
    use_instead = """\
import argparse

import wandb

def main():
    args = argparse.ArgumentParser().parse_args()
    run = wandb.init(project="demo", config=vars(args))
"""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._updated: bool | None = None

    #: only these callees can start a run (``init_call``'s first question)
    attribute_names = {
        ast.Call: INIT_ATTRIBUTES.__contains__,
        ast.Assign: CONFIG_ATTRIBUTES.__contains__,  # ``wandb.config = ...`` (``config_rebound``)
    }

    def visit_Call(self, node: ast.Call) -> None:
        init = self.ctx.init_call(node)
        if init is None or init.via == "WandbLogger":
            return
        if init.via == "init_trackers":
            self._check_init_trackers(init)
            return
        if keyword(node, "config") or has_star_kwargs(node) or self._config_updated():
            return
        if _resumes(node) or self._sweep_run():
            return
        fix, config = None, None
        if is_argparse_namespace(self.ctx, "args", node):
            fix = Fix(
                (add_keyword(node, "config=vars(args)", self.ctx),),
                applicability=UNSAFE,
                title="Add config=vars(args)",
            )
            config = "vars(args)"
        elif self.ctx.flow.surely_bound(node, ("cfg",)) and is_dictconfig(self.ctx, "cfg"):
            config = "OmegaConf.to_container(cfg, resolve=True)"
            imported = import_for_fix(self.ctx, node, "omegaconf", "OmegaConf")
            if imported is not None:
                local, import_edits = imported
                text = f"config={local}.to_container(cfg, resolve=True)"
                fix = Fix(
                    (add_keyword(node, text, self.ctx), *import_edits),
                    applicability=UNSAFE,
                    title="Add " + text,
                )
        message: Message = InitWithoutConfigArgument()
        if config is not None:
            message = InitWithoutKnownConfig(config=config)
        self.report(node, message, fix=fix)

    def _check_init_trackers(self, init: InitCall) -> None:
        """``accelerator.init_trackers(project, config=None, init_kwargs=None)`` is a wandb.init."""
        node = init.call
        if len(node.args) >= 2 or keyword(node, "config") or has_star_kwargs(node):
            return
        if self._config_updated() or self._sweep_run():
            return
        if any(k is None or k in ("config", "resume") for k, _ in init.arguments()):
            return
        self.report(node, InitTrackersWithoutConfig())

    def _sweep_run(self) -> bool:
        """A module that runs a sweep (``wandb.agent``/``wandb.sweep``): the sweep controller
        supplies the config."""
        return self.ctx.runs_a_sweep()

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if self.ctx.config_rebound(target) == "wandb.config":
                self.report(node, ConfigAttributeAssigned())

    def _config_updated(self) -> bool:
        if self._updated is None:
            self._updated = self._find_config_update()
        return self._updated

    def _find_config_update(self) -> bool:
        """Is any run's config updated anywhere in the module? Matched by shape
        (``<x>.config.update(...)``, ``<x>.config[k] = v``, ``<x>.config.k = v``) rather than by
        resolution, on purpose: when in doubt, stay silent."""
        names = self.ctx.names
        for method in CONFIG_UPDATES:
            for call, _ in names.calls_named(method):
                if isinstance(call.func, ast.Attribute) and _is_config(call.func.value):
                    return True
        if any(keyword(call, "config") for call, _ in names.calls_named("init_trackers")):
            return True
        for node in names.nodes_of(ast.Assign, ast.AugAssign, ast.AnnAssign):
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            else:
                continue
            if any(
                isinstance(t, (ast.Subscript, ast.Attribute)) and _is_config(t.value)
                for t in targets
            ):
                return True
        return False


def _resumes(call: ast.Call) -> bool:
    """``resume=`` anything but an explicit no: the run's config is already recorded."""
    kw = keyword(call, "resume")
    if kw is None:
        return False
    value = kw.value
    return not (isinstance(value, ast.Constant) and value.value in (None, False, "never", ""))


def _is_config(node: ast.AST) -> bool:
    name = dotted(node)
    return name == "config" or name.endswith(".config")


class DictConfigGiven(Message):
    """``version``: the target wandb's (``Settings.wandb.version_text``)."""

    template: ClassVar[str] = (
        "DictConfig {name!r} given to wandb (wandb {version} raises TypeError); pass "
        "OmegaConf.to_container({name}, resolve=True)"
    )
    name: str
    version: str


class ContainerNotResolved(Message):
    template: ClassVar[str] = (
        "OmegaConf.to_container() without resolve=True sends interpolation strings to wandb; "
        "add resolve=True"
    )


class UnresolvedConfig(Rule):
    """
    ## What it does

    Reports `OmegaConf.to_container(cfg)` without `resolve=True` whose result is given to wandb
    (`wandb.init(config=...)`, `run.config.update(...)`), and a DictConfig passed straight as
    `config=` or to `config.update`.

    ## Why is this bad?

    Without `resolve=True` the run records the interpolation strings
    (`"${model.width}"`), not the values the job used. A DictConfig passed straight makes
    the target wandb raise `TypeError` at `wandb.init` (measured on 0.31).

    Not reported: `resolve=True` already given.
    """

    code = "WB304"
    name = "unresolved-config"
    # a DictConfig or to_container comes from omegaconf or hydra, or is annotated DictConfig
    needs = ("omegaconf", "OmegaConf", "DictConfig", "hydra", "to_container")
    messages = (DictConfigGiven, ContainerNotResolved)
    applicability = (SAFE, UNSAFE)
    fix_doc = (
        "Safe: a DictConfig passed straight as `config=` (the target wandb raises `TypeError` on it) is "
        "wrapped in `OmegaConf.to_container(cfg, resolve=True)`, adding "
        "`from omegaconf import OmegaConf` beside the module's omegaconf or wandb import; only "
        "where the value is surely a DictConfig (a `@hydra.main` config or a parameter annotated "
        "`DictConfig`, never reassigned; a name assigned only from `OmegaConf.load/create/...`). "
        "Unsafe: adding `resolve=True` to `OmegaConf.to_container(cfg)` changes what the run "
        "records (values instead of `${...}` strings) and raises where an interpolation cannot "
        "be resolved. An explicit `resolve=` is never reported nor changed."
    )
    invalid = (
        Invalid(
            """\
import wandb
from omegaconf import OmegaConf

cfg = OmegaConf.load("train.yaml")
wandb.init(project="demo", config=OmegaConf.to_container(cfg))  # WB304:35 OmegaConf.to_container() without resolve=True sends interpolation strings to wandb; add resolve=True
""",
            expected_replacement="""\
import wandb
from omegaconf import OmegaConf

cfg = OmegaConf.load("train.yaml")
wandb.init(project="demo", config=OmegaConf.to_container(cfg, resolve=True))  # WB304:35 OmegaConf.to_container() without resolve=True sends interpolation strings to wandb; add resolve=True
""",
        ),
        Invalid(
            """\
import hydra
import wandb
from omegaconf import DictConfig

@hydra.main(config_path="conf", config_name="train", version_base=None)
def main(cfg: DictConfig):
    run = wandb.init(project="demo", config=cfg)  # WB304:45 DictConfig 'cfg' given to wandb (wandb 0.31.0 raises TypeError); pass OmegaConf.to_container(cfg, resolve=True)
""",
            expected_replacement="""\
import hydra
import wandb
from omegaconf import DictConfig, OmegaConf

@hydra.main(config_path="conf", config_name="train", version_base=None)
def main(cfg: DictConfig):
    run = wandb.init(project="demo", config=OmegaConf.to_container(cfg, resolve=True))  # WB304:45 DictConfig 'cfg' given to wandb (wandb 0.31.0 raises TypeError); pass OmegaConf.to_container(cfg, resolve=True)
""",
        ),
    )
    valid = (
        """\
import wandb
from omegaconf import OmegaConf

cfg = OmegaConf.load("train.yaml")
wandb.init(project="demo", config=OmegaConf.to_container(cfg, resolve=True))
print(OmegaConf.to_container(cfg))  # not given to wandb
""",
        """\
import wandb

def main(cfg: dict):
    wandb.init(project="demo", config=cfg)
""",
        """\
import hydra
import wandb
from omegaconf import DictConfig, OmegaConf

@hydra.main(config_path="conf", config_name="train", version_base=None)
def main(cfg: DictConfig):
    cfg = OmegaConf.to_container(cfg, resolve=True)  # a dict from here on
    wandb.init(project="demo", config=cfg)
    # an explicit choice: keep ${oc.env:...} secrets out of the run
    wandb.config.update(OmegaConf.to_container(OmegaConf.load("secrets.yaml"), resolve=False))
""",
    )
    use_instead = """\
import wandb
from omegaconf import OmegaConf

cfg = OmegaConf.load("train.yaml")
wandb.init(project="demo", config=OmegaConf.to_container(cfg, resolve=True))
"""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._reported: set = set()

    def visit_Call(self, node: ast.Call) -> None:
        for value in self._config_values(node):
            if isinstance(value, ast.Call) and self._unresolved(value):
                self._report_unresolved(value)
            elif isinstance(value, ast.Name):
                if is_dictconfig(self.ctx, value.id) and self._is_init_config(node):
                    # wandb 0.31 raises TypeError on a DictConfig: the wrapped call cannot
                    # break a program that ran, so the fix is safe
                    fix = None
                    imported = import_for_fix(self.ctx, value, "omegaconf", "OmegaConf")
                    if imported is not None:
                        local, import_edits = imported
                        text = f"{local}.to_container({value.id}, resolve=True)"
                        fix = Fix(
                            (
                                template(
                                    self.ctx, value, f"{local}.to_container({{node}}, resolve=True)"
                                ),
                                *import_edits,
                            ),
                            applicability=SAFE,
                            title="Pass " + text,
                        )
                    self.report(
                        value,
                        DictConfigGiven(
                            name=value.id, version=self.ctx.settings.wandb.version_text
                        ),
                        fix=fix,
                    )
                else:
                    for assigned in _assigned_from(self.ctx, self.ctx.function(), value.id):
                        if isinstance(assigned, ast.Call) and self._unresolved(assigned):
                            self._report_unresolved(assigned)

    def _is_init_config(self, node: ast.Call) -> bool:
        """``wandb.init(config=<DictConfig>)`` raises TypeError; ``config.update`` takes one."""
        init = self.ctx.init_call(node)
        return init is not None and init.via == "wandb.init"

    def _config_values(self, node: ast.Call):
        init = self.ctx.init_call(node)
        if init is not None and init.via == "wandb.init":
            kw = init.direct("config")
            if kw is not None:
                yield kw.value
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "update":
            if self.ctx.qualname(node.func.value) in CONFIG_OBJECTS and node.args:
                yield node.args[0]

    def _unresolved(self, call: ast.Call) -> bool:
        """``OmegaConf.to_container(cfg)`` without ``resolve=``; an explicit ``resolve=False``
        is a choice (it may keep ``${oc.env:...}`` secrets out of the run), never reported."""
        if self.ctx.qualname(call.func) != "omegaconf.OmegaConf.to_container":
            return False
        return keyword(call, "resolve") is None and not has_star_kwargs(call) and len(call.args) < 2

    def _report_unresolved(self, call: ast.Call) -> None:
        if id(call) in self._reported:
            return  # one value given to wandb twice is one finding
        self._reported.add(id(call))
        self.report(
            call,
            ContainerNotResolved(),
            fix=Fix(
                (add_keyword(call, "resolve=True", self.ctx),),
                applicability=UNSAFE,
                title="Add resolve=True",
            ),
        )
