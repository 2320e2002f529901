from __future__ import annotations

import ast
from typing import ClassVar

from ..analysis.flow import own_nodes
from ..analysis.project import RETURNS_COUNT_DICT, RETURNS_PARAM_COUNT, is_raw_count
from ..analysis.resolve import call_name
from ..analysis.wandb_model import SINK_CALL_NAMES
from ..engine import UNCHANGED, UNSAFE, Fix, Invalid, Message, Rule, into_an_object
from .calls import str_value
from .edits import attribute_name_edit, replace, template

SIMPLE = (ast.Name, ast.Call, ast.Attribute, ast.Subscript, ast.Constant)


class RawCountLogged(Message):
    template: ClassVar[str] = (
        "raw parameter count logged to wandb; log millions: n / 1e6 under a key ending in _M, "
        "or wandb_runtime.param_count_m(model)"
    )


class RawParamCount(Rule):
    """
    ## What it does

    Reports a raw parameter count (`sum(p.numel() for p in model.parameters())`,
    `sum(map(torch.numel, ...))`, `sum(np.prod(x.shape) for x in leaves)`, Hugging Face
    `model.num_parameters()`), directly or through a local name, logged to the wandb config, log
    or summary without being scaled.

    ## Why is this bad?

    `124439808` is unreadable in a runs table and sorts badly beside `1.3e9`; every reader
    converts it in their head. Counts in millions (`model/total_params_M: 124.4`) compare at a
    glance across runs.

    Not reported: counts divided by `1e6`, `1_000_000`, `10**6` or `1e9` anywhere on the way, and
    counts that only go to `print` or `logging`.
    """

    code = "WB401"
    name = "raw-param-count"
    messages = (RawCountLogged,)
    applicability = (UNSAFE,)
    fix_doc = (
        "Unsafe (it renames a logged key, which splits run-table columns and breaks filters on "
        "the old name): when the key is a string literal, the value is divided by `1e6` and the "
        'key gets the suffix `_M` (`"model/params"` becomes `"model/params_M"`). Both change '
        "together, so a chart never mixes raw and scaled values under one key. No fix for "
        'computed keys, nor where the module reads the key back (`wandb.config["n_params"]`): '
        "that read would raise `KeyError`."
    )
    invalid = (
        Invalid(
            """\
import wandb

def setup(model):
    n_params = sum(p.numel() for p in model.parameters())
    wandb.init(project="demo", config={"model/params": n_params})  # WB401:56 raw parameter count logged to wandb; log millions: n / 1e6 under a key ending in _M, or wandb_runtime.param_count_m(model)
""",
            expected_replacement="""\
import wandb

def setup(model):
    n_params = sum(p.numel() for p in model.parameters())
    wandb.init(project="demo", config={"model/params_M": n_params / 1e6})  # WB401:56 raw parameter count logged to wandb; log millions: n / 1e6 under a key ending in _M, or wandb_runtime.param_count_m(model)
""",
        ),
        """\
import torch
import wandb

run = wandb.init(project="demo", config={})
run.config["n_params"] = sum(map(torch.numel, model.parameters()))  # WB401:26 raw parameter count logged to wandb; log millions: n / 1e6 under a key ending in _M, or wandb_runtime.param_count_m(model)
""",
        """\
import wandb

def describe(model):
    run = wandb.init(project="demo", config={})
    run.summary.update({"params": model.num_parameters()})  # WB401:35 raw parameter count logged to wandb; log millions: n / 1e6 under a key ending in _M, or wandb_runtime.param_count_m(model)
""",
        Invalid(
            """\
import wandb

def setup(model):
    wandb.init(project="demo", config={})
    wandb.config["n_params"] = sum(p.numel() for p in model.parameters())  # WB401:32 raw parameter count logged to wandb; log millions: n / 1e6 under a key ending in _M, or wandb_runtime.param_count_m(model)
    print("params:", wandb.config["n_params"])  # read back: a renamed key would raise KeyError
""",
            expected_replacement=UNCHANGED,
        ),
        """\
from accelerate import Accelerator

accelerator = Accelerator(log_with="wandb")

def setup(model):
    n_params = sum(p.numel() for p in model.parameters())
    accelerator.init_trackers("demo", config={"n_params": n_params})  # WB401:59 raw parameter count logged to wandb; log millions: n / 1e6 under a key ending in _M, or wandb_runtime.param_count_m(model)
""",
    )
    valid = (
        """\
import wandb

def setup(model):
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model has {n_params} parameters")
    wandb.init(project="demo", config={"model/params_M": n_params / 1e6})
    wandb.config.update({"model/params_B": n_params / 1_000_000_000})
    scaled = n_params / 10**6
    wandb.config["model/total_params_M"] = scaled
""",
        """\
import logging

def describe(model):
    total = sum(p.numel() for p in model.parameters())
    logging.info("params: %d", total)
    return {"params": total}
""",
    )
    use_instead = """\
import wandb
from wandb_runtime import param_count_m

def setup(model):
    wandb.init(project="demo", config={"model/total_params_M": param_count_m(model)})
"""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._raw_names: dict[int, set[str]] = {}
        self._key_uses: dict[str, int] | None = None
        self._possible: bool | None = None

    @property
    def possible(self) -> bool:
        """Every raw count spells one of these (``numel``, ``prod``, ``num_parameters``): the
        text is looked at on first need (three scans of the module)."""
        if self._possible is None:
            source = self.ctx.source
            self._possible = any(w in source for w in ("prod", "numel", "num_parameters"))
        return self._possible

    def _is_raw(self, value: ast.AST) -> bool:
        if is_raw_count(value):
            return True
        if isinstance(value, ast.Name):
            return value.id in self._raw_names_of(self.ctx.function())
        if isinstance(value, ast.Call) and getattr(value.func, "id", None) in ("int", "float"):
            return len(value.args) == 1 and self._is_raw(value.args[0])
        if isinstance(value, ast.Call):
            # ``get_num_params(model)``, a function of the project that returns the raw count
            return self.ctx.project.count_call(value, self.ctx.scope) == RETURNS_PARAM_COUNT
        return False

    def _raw_names_of(self, func: ast.AST) -> set[str]:
        """Local names whose every assignment is a raw count."""
        key = id(func)
        if key not in self._raw_names:
            names: set[str] = set()
            for node in own_nodes(func):
                if isinstance(node, ast.Assign) and is_raw_count(node.value):
                    for t in node.targets:
                        if isinstance(t, ast.Name) and all(
                            is_raw_count(v) for v in self.ctx.flow.assignments(func, t.id)
                        ):
                            names.add(t.id)
            self._raw_names[key] = names
        return self._raw_names[key]

    def _reaches_run(self, node: ast.AST) -> bool:
        """Is this dict (or value) an argument of a call that sends it to the run?"""
        child = node
        for parent in reversed(self.ctx.ancestors):
            if isinstance(parent, ast.Dict) and child in parent.values:
                child = parent
                continue
            if isinstance(parent, ast.keyword):
                child = parent
                continue
            if isinstance(parent, ast.Call) and child is not parent.func:
                return self._sends(parent, child)
            if (
                isinstance(parent, ast.Assign)
                and child is parent.value
                and len(parent.targets) == 1
                and isinstance(parent.targets[0], ast.Name)
            ):
                return self._name_reaches_run(parent.targets[0].id, child)
            return False
        return False

    def _sends(self, call: ast.Call, arg: ast.AST) -> bool:
        """``call`` sends its argument ``arg`` to the run: a log call, a config or summary
        update, or a function of the project that does so with it unchanged."""
        return (
            self.ctx.is_wandb_log(call, self.ctx.scope)
            or self.ctx.wandb.sends_to_run(call, self.ctx.scope)
            or self.ctx.project.sends_argument(call, arg, self.ctx.scope)
        )

    def _name_reaches_run(self, name: str, value: ast.AST) -> bool:
        """``stats = {...}`` bound once in the function, then ``logger.log_stats(stats)``."""
        func = self.ctx.function()
        if list(self.ctx.flow.assignments(func, name)) != [value]:
            return False
        for node in own_nodes(func):
            if isinstance(node, ast.Call):
                for arg in node.args:
                    if isinstance(arg, ast.Name) and arg.id == name and self._sends(node, arg):
                        return True
        return False

    attribute_names = {ast.Call: SINK_CALL_NAMES.__contains__, ast.Assign: into_an_object}

    def visit_Call(self, node: ast.Call) -> None:
        """``wandb.log(model_info(model))``, where the project's ``model_info`` returns a dict
        whose value is the raw count (no fix: the key is in another function)."""
        if call_name(node) not in SINK_CALL_NAMES:
            return  # the cheap question first
        for arg in node.args:
            if (
                isinstance(arg, ast.Call)
                and isinstance(arg.func, (ast.Name, ast.Attribute))
                and self.ctx.project.count_call(arg, self.ctx.scope) == RETURNS_COUNT_DICT
                and (
                    self.ctx.is_wandb_log(node) or self.ctx.wandb.sends_to_run(node, self.ctx.scope)
                )
            ):
                self.report(arg, RawCountLogged())

    def visit_Dict(self, node: ast.Dict) -> None:
        if not node.keys or not self.possible:
            return
        for key, value in zip(node.keys, node.values):
            if key is not None and self._is_raw(value) and self._reaches_run(node):
                self._report(value, key)

    def visit_Assign(self, node: ast.Assign) -> None:
        # the cheap questions first: a store into an item or attribute, of a run's config or
        # summary, and only then whether the value is a raw count
        if len(node.targets) != 1:
            return
        target = node.targets[0]
        if not isinstance(target, (ast.Subscript, ast.Attribute)) or not self.possible:
            return
        if not self.ctx.wandb.run_object(target.value, self.ctx.scope):
            return
        if not self._is_raw(node.value):
            return
        if isinstance(target, ast.Subscript):
            self._report(node.value, target.slice)
        else:
            self._report(node.value, None, attribute=target)

    def _report(self, value: ast.AST, key: ast.AST | None, attribute=None) -> None:
        scaled = "{node} / 1e6" if isinstance(value, SIMPLE) else "({node}) / 1e6"
        fix = None
        key_text = self.ctx.segment(key) if key is not None else ""
        key_name = str_value(key)
        if (
            key is not None
            and key_name is not None
            and key_text[-1:] in "'\""
            and not key_text.endswith(("'''", '"""'))
        ):
            if not self._key_used_elsewhere(key_name):
                new_key = key_text[:-1] + "_M" + key_text[-1]
                title = f"Log millions under {new_key}"
                fix = Fix(
                    (replace(key, new_key), template(self.ctx, value, scaled)),
                    applicability=UNSAFE,
                    title=title,
                )
        elif attribute is not None and not self._key_used_elsewhere(attribute.attr):
            title = f"Log millions under {attribute.attr}_M"
            rename = attribute_name_edit(attribute, attribute.attr + "_M", self.ctx)
            fix = Fix(
                (rename, template(self.ctx, value, scaled)), applicability=UNSAFE, title=title
            )
        self.report(value, RawCountLogged(), fix=fix)

    def _key_used_elsewhere(self, key: str) -> bool:
        """The key is read back somewhere (``wandb.config["n_params"]``, ``config.n_params``):
        renaming it would break that read (KeyError), so there is no fix."""
        if self._key_uses is None:
            uses: dict[str, int] = {}
            for n in ast.walk(self.ctx.tree):
                name = n.value if isinstance(n, ast.Constant) else getattr(n, "attr", None)
                if isinstance(name, str):
                    uses[name] = uses.get(name, 0) + 1
            self._key_uses = uses
        return self._key_uses.get(key, 0) > 1
