from __future__ import annotations

import ast
from typing import Optional

from ..engine import Fix, Invalid, Rule
from ..resolve import RUN
from .common import add_keyword, dotted, has_star_kwargs, keyword, own_nodes, replace, surely_bound, wrap

CONFIG_OBJECTS = {"wandb.config", RUN + ".config"}
CONFIG_UPDATES = {"update", "setdefaults", "update_locked", "setdefault", "__setitem__"}
DICTCONFIG_TYPES = {"omegaconf.DictConfig", "omegaconf.dictconfig.DictConfig"}
DICTCONFIG_MAKERS = {
    "omegaconf.OmegaConf.create",
    "omegaconf.OmegaConf.load",
    "omegaconf.OmegaConf.merge",
    "omegaconf.OmegaConf.structured",
    "hydra.compose",
}
OMEGACONF_IMPORT = (("omegaconf", "OmegaConf"),)


def _assigned_from(func: ast.AST, name: str):
    """Values assigned to ``name`` in a function (or module) body, nested functions aside."""
    for node in own_nodes(func):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            yield node.value


def _param(func: ast.AST, name: str) -> Optional[ast.arg]:
    args = getattr(func, "args", None)
    if args is None:
        return None
    for p in args.posonlyargs + args.args + args.kwonlyargs:
        if p.arg == name:
            return p
    return None


def is_argparse_namespace(ctx, name: str, node: ast.AST) -> bool:
    """``args`` from ``parser.parse_args()``, or a parameter ``args`` typed (or left untyped)
    as a namespace, surely bound where ``node`` runs."""
    if name not in surely_bound(ctx, node):
        return False
    func = ctx.function()
    param = _param(func, name)
    if param is not None:
        return param.annotation is None or dotted(param.annotation).endswith("Namespace")
    return any(
        isinstance(v, ast.Call)
        and getattr(v.func, "attr", getattr(v.func, "id", None)) in ("parse_args", "parse_known_args")
        for v in _assigned_from(func, name)
    )


def is_dictconfig(ctx, name: str) -> bool:
    """A name known to hold an OmegaConf DictConfig: a parameter annotated ``DictConfig``, the
    config of a ``@hydra.main`` function, or a name assigned from ``OmegaConf.create/load/...``."""
    func = ctx.function()
    param = _param(func, name)
    if param is not None:
        if param.annotation is not None and ctx.qualname(param.annotation) in DICTCONFIG_TYPES:
            return True
        first = (func.args.posonlyargs + func.args.args)[:1]
        hydra_main = any(
            (ctx.qualname(d.func if isinstance(d, ast.Call) else d) or "") == "hydra.main"
            for d in getattr(func, "decorator_list", ())
        )
        return hydra_main and first == [param]
    return any(
        isinstance(v, ast.Call) and ctx.qualname(v.func) in DICTCONFIG_MAKERS
        for v in _assigned_from(func, name)
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
    message = "{problem}; {advice}"
    fix_safety = "unsafe"
    fix_doc = (
        "Unsafe: adds `config=vars(args)` when an argparse namespace named `args` is surely bound "
        "at the call, or `config=OmegaConf.to_container(cfg, resolve=True)` for a Hydra/OmegaConf "
        "`cfg` (adding `from omegaconf import OmegaConf`). What the run records changes; secrets "
        "in the namespace would be sent too (see `wandb_runtime.init`, which redacts them). "
        "Otherwise no fix."
    )
    invalid = (
        """\
import argparse

import wandb

def main():
    args = argparse.ArgumentParser().parse_args()
    run = wandb.init(project="demo")  # WB303
    run.log({"x": 1}, step=0)
""",
        """\
import wandb

wandb.init(project="demo")  # WB303
wandb.config = {"lr": 0.1}  # WB303
""",
        Invalid(
            """\
import argparse

import wandb

def main():
    args = argparse.ArgumentParser().parse_args()
    run = wandb.init(project="demo")  # WB303
""",
            expected_replacement="""\
import argparse

import wandb

def main():
    args = argparse.ArgumentParser().parse_args()
    run = wandb.init(project="demo", config=vars(args))  # WB303
""",
        ),
        Invalid(
            """\
import hydra
import wandb
from omegaconf import DictConfig

@hydra.main(config_path="conf", config_name="train", version_base=None)
def main(cfg: DictConfig):
    wandb.init(project="demo")  # WB303
""",
            expected_replacement="""\
import hydra
import wandb
from omegaconf import OmegaConf, DictConfig

@hydra.main(config_path="conf", config_name="train", version_base=None)
def main(cfg: DictConfig):
    wandb.init(project="demo", config=OmegaConf.to_container(cfg, resolve=True))  # WB303
""",
        ),
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
from accelerate import Accelerator

import wandb

accelerator = Accelerator(log_with="wandb")
accelerator.init_trackers("demo", config={"lr": 0.1})
wandb.init(project="other")
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
        self._updated: Optional[bool] = None

    def visit_Call(self, node: ast.Call) -> None:
        if self.ctx.qualname(node.func) != "wandb.init":
            return
        if keyword(node, "config") or has_star_kwargs(node) or self._config_updated():
            return
        fix, advice = None, "pass config= with the full resolved config"
        if is_argparse_namespace(self.ctx, "args", node):
            fix = Fix((add_keyword(node, "config=vars(args)"),), safe=False)
            advice = "pass config=vars(args)"
        elif "cfg" in surely_bound(self.ctx, node) and is_dictconfig(self.ctx, "cfg"):
            text = "config=OmegaConf.to_container(cfg, resolve=True)"
            fix = Fix((add_keyword(node, text),), safe=False, imports=OMEGACONF_IMPORT)
            advice = "pass " + text
        problem = "wandb.init() without config=: the run records no hyperparameters"
        self.report(node, fix=fix, problem=problem, advice=advice)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Attribute) and self.ctx.qualname(target) == "wandb.config":
                self.report(
                    node,
                    problem="wandb.config = ... rebinds the module attribute and never reaches the run",
                    advice="use wandb.config.update(...) or wandb.init(config=...)",
                )

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
        for node in ast.walk(self.ctx.tree):
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            else:
                continue
            if any(isinstance(t, (ast.Subscript, ast.Attribute)) and _is_config(t.value) for t in targets):
                return True
        return False


def _is_config(node: ast.AST) -> bool:
    name = dotted(node)
    return name == "config" or name.endswith(".config")


class UnresolvedConfig(Rule):
    """
    ## What it does

    Reports `OmegaConf.to_container(cfg)` without `resolve=True` whose result is given to wandb
    (`wandb.init(config=...)`, `run.config.update(...)`), and a DictConfig passed straight as
    `config=` or to `config.update`.

    ## Why is this bad?

    Without `resolve=True` the run records the interpolation strings
    (`"${model.width}"`), not the values the job used. A DictConfig passed straight makes
    wandb 0.31 raise `TypeError` at `wandb.init`.

    Not reported: `resolve=True` already given.
    """

    code = "WB304"
    name = "unresolved-config"
    message = "{problem}; {advice}"
    fix_safety = "safe"
    fix_doc = (
        "Safe: adds `resolve=True` (or turns `resolve=False` into `True`), or wraps the "
        "DictConfig in `OmegaConf.to_container(cfg, resolve=True)` (adding "
        "`from omegaconf import OmegaConf`). The run records the values the job really used."
    )
    invalid = (
        Invalid(
            """\
import wandb
from omegaconf import OmegaConf

cfg = OmegaConf.load("train.yaml")
wandb.init(project="demo", config=OmegaConf.to_container(cfg))  # WB304
""",
            expected_replacement="""\
import wandb
from omegaconf import OmegaConf

cfg = OmegaConf.load("train.yaml")
wandb.init(project="demo", config=OmegaConf.to_container(cfg, resolve=True))  # WB304
""",
        ),
        Invalid(
            """\
import hydra
import wandb
from omegaconf import DictConfig

@hydra.main(config_path="conf", config_name="train", version_base=None)
def main(cfg: DictConfig):
    run = wandb.init(project="demo", config=cfg)  # WB304
""",
            expected_replacement="""\
import hydra
import wandb
from omegaconf import OmegaConf, DictConfig

@hydra.main(config_path="conf", config_name="train", version_base=None)
def main(cfg: DictConfig):
    run = wandb.init(project="demo", config=OmegaConf.to_container(cfg, resolve=True))  # WB304
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
    )
    use_instead = """\
import wandb
from omegaconf import OmegaConf

cfg = OmegaConf.load("train.yaml")
wandb.init(project="demo", config=OmegaConf.to_container(cfg, resolve=True))
"""

    def visit_Call(self, node: ast.Call) -> None:
        for value in self._config_values(node):
            if isinstance(value, ast.Call) and self._unresolved(value):
                self._report_unresolved(value)
            elif isinstance(value, ast.Name):
                if is_dictconfig(self.ctx, value.id):
                    fix = Fix(
                        (wrap(self.ctx, value, "OmegaConf.to_container(", ", resolve=True)"),),
                        safe=True,
                        imports=OMEGACONF_IMPORT,
                    )
                    self.report(
                        value,
                        fix=fix,
                        problem=f"DictConfig {value.id!r} given to wandb (wandb 0.31 raises TypeError)",
                        advice=f"pass OmegaConf.to_container({value.id}, resolve=True)",
                    )
                else:
                    for assigned in _assigned_from(self.ctx.function(), value.id):
                        if isinstance(assigned, ast.Call) and self._unresolved(assigned):
                            self._report_unresolved(assigned)

    def _config_values(self, node: ast.Call):
        qual = self.ctx.qualname(node.func)
        if qual == "wandb.init":
            kw = keyword(node, "config")
            if kw is not None:
                yield kw.value
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "update":
            if self.ctx.qualname(node.func.value) in CONFIG_OBJECTS and node.args:
                yield node.args[0]

    def _unresolved(self, call: ast.Call) -> bool:
        if self.ctx.qualname(call.func) != "omegaconf.OmegaConf.to_container":
            return False
        kw = keyword(call, "resolve")
        return kw is None or (isinstance(kw.value, ast.Constant) and kw.value.value is False)

    def _report_unresolved(self, call: ast.Call) -> None:
        kw = keyword(call, "resolve")
        edit = replace(kw.value, "True") if kw is not None else add_keyword(call, "resolve=True")
        self.report(
            call,
            fix=Fix((edit,), safe=True),
            problem="OmegaConf.to_container() without resolve=True sends interpolation strings to wandb",
            advice="add resolve=True",
        )
