"""Project summaries: what the functions of this module and of the project's other modules are.

Each top-level function, each method (``Class.method``) and each class of a module gets a small
``Summary``: what it returns (an accelerate ``Accelerator`` whose trackers may hold wandb, a wandb
run or stand-in, a memory-allocated figure, a raw parameter count), whether it is a *log helper*
(its body makes a wandb log call with one of its parameters as the values; which parameter is the
step, and whether that one defaults to ``None``) or a *print helper*, and which expressions the
module's own callers pass for each parameter.

The project's other modules come in through imports: relative imports, and absolute imports whose
first name is a package or module beside the file or under the project root (the nearest folder
above it with ``pyproject.toml``, ``setup.py``, ``setup.cfg`` or ``.git``, and the working
directory). Installed packages are never read; a name that cannot be resolved stays unknown and
is never taken for wandb. A module is read and summarised at most once per process, keyed by its
path, size and modification time.
"""

from __future__ import annotations

import ast
import gc
import os
import re
import sys
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .positions import children
from .resolve import (
    ACCELERATOR,
    ALLOCATED,
    INSTANCE,
    LOCAL_CLASS,
    RUN,
    Resolver,
    Scope,
    call_name,
    own_nodes,
)
from .text import (
    TYPE_PARAMETERS,
    Definitions,
    call_texts,
    calls_a_handed_logger,
    def_blocks,
    signatures,
    word_matches,
)

#: what a summary's ``returns`` says
RETURNS_ACCELERATOR = ACCELERATOR
RETURNS_RUN = RUN
RETURNS_PARAM_COUNT = "<raw parameter count>"
#: a dict literal one of whose values is a raw parameter count (``{"params": n}``)
RETURNS_COUNT_DICT = "<dict holding a raw parameter count>"
#: the torch functions whose figure under-reports GPU memory (WB201)
_KEEPS_VALUE = (ast.Div, ast.FloorDiv, ast.Mult, ast.RShift)
_WRAPPERS = frozenset({"round", "float", "int", "str", "format"})
#: at most this many bytes of a project module are read (a generated file is no helper)
_MAX_BYTES = 2_000_000
_ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
_INSTALLED = ("site-packages", "dist-packages")
T = TypeVar("T")
#: first names that are never a module of the project (no file is looked for): the standard
#: library and the libraries training code imports most
_NEVER_PROJECT = frozenset(getattr(sys, "stdlib_module_names", ())) | {
    "torch", "numpy", "np", "accelerate", "transformers", "datasets", "diffusers", "tqdm",
    "lightning", "pytorch_lightning", "omegaconf", "hydra", "yaml", "scipy", "sklearn",
    "pandas", "PIL", "torchvision", "einops", "safetensors", "deepspeed", "peft", "timm",
}  # fmt: skip


@dataclass
class Summary:
    """What one function (or method, or class) is, seen from its callers."""

    name: str
    node: ast.AST
    #: parameter names in order (``self`` included for methods)
    params: tuple[str, ...] = ()
    #: ``RETURNS_ACCELERATOR``, ``RETURNS_RUN``, ``RETURNS_PARAM_COUNT``, a torch qualname of
    #: ``ALLOCATED`` (a memory-allocated figure), or None
    returns: str | None = None
    #: a log helper: the parameter passed as the logged values, the one passed as ``step=``
    log_values: str | None = None
    log_step: str | None = None
    #: the step parameter defaults to ``None``
    step_default_none: bool = False
    #: the helper's log call sits under an ``if`` that holds a ``%`` (its own frequency guard)
    log_guarded: bool = False
    #: the helper always passes a step of its own (``step=`` something that is not a parameter)
    logs_with_own_step: bool = False
    #: the parameter whose dict goes to the run as it is: ``wandb.log(P)``,
    #: ``run.summary.update(P)``, ``for k, v in P.items(): run.summary[k] = v``
    sends_param: str | None = None
    #: a print helper: only forwards its arguments to ``print``
    prints: bool = False
    #: the function resets the peak-memory statistics (what it reads after is a benchmark)
    resets_peak: bool = False

    @property
    def is_log_helper(self) -> bool:
        return self.log_values is not None

    def bind(self, call: ast.Call, method: bool) -> dict[str, ast.AST] | None:
        """The arguments of ``call`` by parameter name (``method``: called on an instance, so
        ``self`` is not among them); None when a ``*args`` / ``**kwargs`` hides the mapping."""
        params = self.params[1:] if method else self.params
        bound: dict[str, ast.AST] = {}
        for i, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred):
                return None
            if i < len(params):
                bound[params[i]] = arg
        for kw in call.keywords:
            if kw.arg is None:
                return None
            bound[kw.arg] = kw.value
        return bound


#: words without which a module's text cannot hold what a question asks about: a cheap question
#: asked before any parse (``None``: any question)
NEEDS = {
    "memory": ("memory_allocated",),
    "log": ("wandb", "log_with", "ccelerator", "Run"),
    # a log helper that forwards a step parameter defaulting to None (WB101 at its calls)
    "logstep": ("wandb", "log_with", "ccelerator", "Run"),
    # what the name table asks: does a call return an accelerator or a run
    "returns": ("Accelerator(", "wandb.init(", "wandb.run", "get_tracker("),
    # what a caller may pass to a parameter: wandb, a project logger class, an accelerator, a run
    "passes": ("andb", "ccelerator"),
    # a raw parameter count (or a dict holding one), and what sends a dict to the run
    "count": ("numel", "num_parameters", "prod"),
    "sends": ("wandb", "Run"),
}


class ModuleSummary:
    """The summaries of one module's top-level functions, methods (``Class.method``) and classes,
    each computed when first asked for. A module of the project is parsed only when a question
    its text can answer is asked (``NEEDS``)."""

    def __init__(
        self,
        tree: ast.Module | None,
        names: Resolver | None,
        path: str | None,
        text: str = "",
    ) -> None:
        self.path = path
        self.names = names
        self.text = text
        self._tree = tree
        self._defs: dict[str, ast.AST] | None = None
        self._done: dict[str, Summary | None] = {}
        self._pending: set[str] = set()
        self._defines: dict[str, bool] = {}
        #: the project view of this module, once it is parsed here
        self.view: ProjectView | None = None
        self._called: frozenset[str] | None = None
        self._handed: bool | None = None
        self._nfkc: str | None = None
        #: the ``def``s and ``class``es of the text as written, and of its NFKC form
        self._definitions: dict[bool, Definitions] = {}
        self._mentions: dict[str, bool] = {}
        self._forwards: dict[str, bool] = {}

    def mentions(self, needs: str | None) -> bool:
        if needs is None:
            return True
        found = self._mentions.get(needs)
        if found is None:  # each module is asked by every module that imports it: once
            found = self._mentions[needs] = any(w in self.text for w in NEEDS[needs])
        if found:
            return True
        if needs not in ("log", "logstep"):
            return False
        # a module that never names wandb may log through a logger its callers hand it
        if self._handed is None:
            self._handed = calls_a_handed_logger(self.text)
        return self._handed

    def _may_define(self, name: str) -> bool:
        """The cheap question before a parse: the text defines each part of ``name``
        (``def`` or ``class``, then the name). Only an unparsed ASCII text is answered from its
        words (the parser normalises other identifiers)."""
        if self._tree is not None or self._defs is not None or not self.text.isascii():
            return True
        found = self._defines.get(name)
        if found is None:
            defs = self._defined(nfkc=False)
            found = self._defines[name] = all(
                defs.defines(part, ("def", "class")) for part in name.split(".")
            )
        return found

    def _defined(self, nfkc: bool) -> Definitions:
        """The definitions of the text as written, or as the parser reads identifiers (NFKC),
        found once."""
        found = self._definitions.get(nfkc)
        if found is None:
            text = self._identifiers_text() if nfkc else self.text
            same = self._definitions.get(not nfkc)
            found = self._definitions[nfkc] = (
                same if same is not None and same.source is text else Definitions(text)
            )
        return found

    def _identifiers_text(self) -> str:
        """The text as the parser reads identifiers: NFKC (``class Ｒun`` is ``Run``), once."""
        if self._nfkc is None:
            ascii_only = self.text.isascii()
            self._nfkc = self.text if ascii_only else unicodedata.normalize("NFKC", self.text)
        return self._nfkc

    def _only_a_class(self, name: str) -> bool:
        """The cheap question before a parse: the text defines ``name`` (a top-level name) as a
        class and nowhere as a function (wandb's ``Run``, ``Settings``: asked what a call of
        them returns, a parse of a 150 kB module would only say "an instance")."""
        if "." in name or self._tree is not None:
            return False
        defs = self._defined(nfkc=True)
        return bool(defs.places("class", name, line_start=True)) and not (
            defs.defines(name, ("def",))  # ``async def`` too
            or _found(defs.source, re.escape(name) + r"\s*=", line_start=True)
        )

    def _may_forward_none(self, name: str) -> bool:
        """The cheap question before a parse: some ``def`` of the name's last part in the text
        may forward a step that defaults to ``None``: a parameter whose default is ``None``
        (``= None`` in its text; an annotation's ``| None`` is not one) that it passes on, as
        it is, to a log call or another log helper (``step=step``, ``run.log(d, step)``,
        ``self._log(d, step)``: the only ways a helper's step is one of its parameters,
        ``_step``). Each such ``def`` is parsed alone (``text.def_blocks``: 3 kB, not wandb's
        150 kB ``wandb_run.py`` for ``Run.log_code``); one that does not parse alone, or none
        found: unknown, asked of the module's parse."""
        found = self._forwards.get(name)
        if found is None:
            last = name.rpartition(".")[2]
            # the text as written (NFKC would turn a fullwidth quote in a string into a real
            # one); a ``def`` whose name is written otherwise (the parser reads names in NFKC)
            # or that takes type parameters (``def f[T](...)``): unknown
            text, defs = self.text, self._defined(nfkc=False)
            heads = signatures(text, last, defs=defs)
            found = (
                not heads
                or bool(defs.places("def", last, TYPE_PARAMETERS))
                or (
                    not text.isascii()
                    and len(signatures(self._identifiers_text(), last, defs=self._defined(True)))
                    != len(heads)
                )
            )
            if not found and any(_defaults_to_none(h) for h in heads):
                found = any(
                    _defaults_to_none(head) and _forwards_none(block, last)
                    for head, block in zip(heads, def_blocks(text, last, defs=defs))
                )
            self._forwards[name] = found
        return found

    def _index(self) -> dict[str, ast.AST]:
        if self._defs is None:
            if self._tree is None and self.path is not None and self.text:
                self._parse()
            self._defs = {}
            for stmt in self._tree.body if self._tree is not None else ():
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    self._defs[stmt.name] = stmt
                if isinstance(stmt, ast.ClassDef):
                    for item in stmt.body:
                        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                            self._defs[f"{stmt.name}.{item.name}"] = item
        return self._defs

    def _parse(self) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(self.text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return
        names = Resolver(tree, mentions_wandb="wandb" in self.text, record=False)
        _UNSETTLED[0] += 1
        view = ProjectView(tree, names, self.path, self.text, kept=True)
        view._local = self
        view.install()
        self._tree, self.names, self.view = tree, names, view

    def calls_name(self, name: str) -> bool:
        """The text calls something named ``name`` (``name(``): a cheap question, no parse."""
        if name not in self.text:
            return False
        if self._called is None:
            self._called = frozenset(_CALLED.findall(self.text))
        return name in self._called

    def class_attr(self, cls: str, attr: str) -> str | None:
        """What ``self.<attr>`` means in class ``cls`` of this module (its assignments in the
        class's methods), when that meaning holds outside the module too."""
        node = self._index().get(cls)
        if not isinstance(node, ast.ClassDef) or self.names is None:
            return None
        found = self.names.attribute_of(node, attr)
        return found if _portable(found) else None

    def calls_named(self, name: str, words: tuple[str, ...] = ()) -> list[tuple[ast.Call, Scope]]:
        """The module's calls whose callee's last name is ``name`` (the module is parsed only
        when its text holds the name, and a call of it in the text holds each of ``words``)."""
        if name not in self.text:
            return []
        if words and not any(all(w in t for w in words) for t in call_texts(self.text, name)):
            return []
        self._index()
        return self.names.calls_named(name) if self.names is not None else []

    def get(self, name: str, needs: str | None = None) -> Summary | None:
        if name in self._done:
            return self._done[name]
        if not self.mentions(needs) or not self._may_define(name):
            return None
        if needs == "returns" and self._only_a_class(name):
            return None  # a class's call returns its instance: never a run or an accelerator
        if needs in ("log", "logstep") and self._only_a_class(name):
            return None  # a class's call makes an instance: it is no log helper
        if needs == "logstep" and not self._may_forward_none(name):
            return None  # it forwards no parameter that defaults to None
        node = self._index().get(name)
        if node is None or self.names is None:
            return None
        if name in self._pending:
            return None  # a function that calls itself: unknown while it is summarised
        self._pending.add(name)
        try:
            if isinstance(node, ast.ClassDef):
                found: Summary | None = Summary(name, node)
            else:
                from .wandb_model import WandbModel

                found = _summarise_function(node, name, self.names, WandbModel(self.names), self)
        finally:
            self._pending.discard(name)
        self._done[name] = found
        return found


def summarise(tree: ast.Module, names: Resolver, path: str | None, text: str = "") -> ModuleSummary:
    """Summaries of the module's top-level functions, methods and classes (computed lazily)."""
    return ModuleSummary(tree, names, path, text)


def _params(func: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    return tuple(a.arg for a in func.args.posonlyargs + func.args.args)


def _defaults(func: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.AST]:
    args = func.args
    out: dict[str, ast.AST]
    positional = args.posonlyargs + args.args
    out = {
        a.arg: d for a, d in zip(positional[len(positional) - len(args.defaults) :], args.defaults)
    }
    out.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    return out


def _summarise_function(func, qual: str, names: Resolver, model, local=None) -> Summary:
    scope = names.scope_of.get(id(func), names.module)
    params = _params(func)
    all_params = set(params) | {a.arg for a in func.args.kwonlyargs}
    summary = Summary(qual, func, params)
    returns: set[str | None] = set()
    nodes = list(own_nodes(func))
    for node in nodes:
        if isinstance(node, ast.Return) and node.value is not None:
            if isinstance(node.value, ast.Constant) and node.value.value is None:
                continue  # ``return None`` when there is no GPU: a fallback
            returns.add(_returned(node.value, names, scope, func, local))
        elif isinstance(node, ast.Call):
            name = call_name(node)  # the cheap question first: only these names matter
            if name == "reset_peak_memory_stats":
                summary.resets_peak = summary.resets_peak or (
                    names.qualname(node.func, scope) == "torch.cuda.reset_peak_memory_stats"
                )
            elif (
                name == "log"
                and summary.log_values is None
                and model.log_call(node, scope, lightning=False)
            ):
                _log_helper(summary, node, all_params, _defaults(func), nodes)
                summary.log_guarded = _frequency_guarded(nodes)
                if (
                    node.args
                    and isinstance(node.args[0], ast.Name)
                    and node.args[0].id in all_params
                ):
                    summary.sends_param = summary.sends_param or node.args[0].id
            elif (
                name is not None
                and summary.log_values is None
                and named_for_logging(name)  # the cheap question first
                and local is not None
                and local.view is not None
            ):
                _forwarding_helper(summary, node, func, nodes, all_params, local.view, scope)
            elif (
                name == "update"
                and summary.sends_param is None
                and len(node.args) == 1
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in all_params
                and isinstance(node.func, ast.Attribute)
                and model.run_object(node.func.value, scope)
            ):
                summary.sends_param = node.args[0].id
        elif isinstance(node, ast.For) and summary.sends_param is None:
            summary.sends_param = _item_loop_to_run(node, all_params, model, scope)
    returns.discard(None)
    if len(returns) == 1:
        summary.returns = returns.pop()
    if summary.returns in ALLOCATED and summary.resets_peak:
        summary.returns = None  # a benchmark: reset, run, read the peak
    summary.prints = _forwards_to_print(func, nodes)
    return summary


def _item_loop_to_run(loop: ast.For, params: set[str], model, scope: Scope) -> str | None:
    """``for k, v in P.items(): run.summary[k] = v``: the parameter ``P``, whose values go to
    the run unchanged."""
    it = loop.iter
    if not (
        isinstance(it, ast.Call)
        and isinstance(it.func, ast.Attribute)
        and it.func.attr == "items"
        and isinstance(it.func.value, ast.Name)
        and it.func.value.id in params
        and isinstance(loop.target, ast.Tuple)
        and len(loop.target.elts) == 2
        and all(isinstance(e, ast.Name) for e in loop.target.elts)
    ):
        return None
    key, value = (e.id for e in loop.target.elts)  # type: ignore[attr-defined]
    for stmt in loop.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Subscript)
            and isinstance(stmt.targets[0].slice, ast.Name)
            and stmt.targets[0].slice.id == key
            and isinstance(stmt.value, ast.Name)
            and stmt.value.id == value
            and model.run_object(stmt.targets[0].value, scope)
        ):
            return it.func.value.id
    return None


#: every spelling of ``log`` a name named for logging may hold (``named_for_logging`` asks the
#: lower case): a module whose text holds none calls no log helper and no log method
LOG_SPELLINGS = tuple(a + b + c for a in "lL" for b in "oO" for c in "gG")


def named_for_logging(name: str) -> bool:
    """The cheap question before any summary of a log helper: its name holds ``log`` (any
    case: ``tb_wandb_log``, ``_log_wandb``, ``logMetrics``)."""
    return "log" in name.lower()


def _defaults_to_none(signature: str) -> bool:
    """A parameter list (as ``text.signatures`` gives it) where some default may be ``None``:
    ``= None``, across spaces, line breaks and parentheses; with a comment inside, wherever
    ``None`` is (a comment may sit between the ``=`` and its value)."""
    if "#" in signature:
        return "None" in signature
    return re.search(r"=[\s(\\]*None\b", signature) is not None


def _forwards_none(block: str | None, name: str) -> bool:
    """A ``def`` taken out of its module's text (``text.def_blocks``) passes a parameter whose
    default is ``None``, as it is, to a call named for logging (the calls a summary follows for
    a step: ``log``, another log helper); True when unknown (no block, or one that does not
    parse alone)."""
    if block is None:
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(block)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    func = tree.body[0] if tree.body else None
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or func.name != name:
        return True
    nones = {
        p for p, d in _defaults(func).items() if isinstance(d, ast.Constant) and d.value is None
    }
    for node in ast.walk(func):
        # a log call (``log``) or another log helper: what ``_summarise_function`` follows
        if isinstance(node, ast.Call) and named_for_logging(call_name(node) or ""):
            for arg in (*node.args, *(k.value for k in node.keywords)):
                if isinstance(arg, ast.Name) and arg.id in nones:
                    return True
    return False


def _found(text: str, pattern: str, line_start: bool = False) -> bool:
    """``pattern`` is in the text at the start of a word (of a line with ``line_start``)."""
    return next(word_matches(text, pattern, line_start), None) is not None


_CALLED = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


def _portable(name: str | None) -> bool:
    """A meaning that holds in any module: wandb itself, a run, an accelerator that logs to
    wandb, an instance of a project class (not a name of one module's namespace)."""
    return bool(name) and (
        name in (RUN, ACCELERATOR)
        or name == "wandb"
        or name.startswith(("wandb.", RUN + ".", INSTANCE))  # type: ignore[union-attr]
    )


def _count_call(expr: ast.AST, local) -> bool:
    """A call of a function of the same module that returns a raw parameter count."""
    if local is None or not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Name):
        return False
    if not local.mentions("count"):
        return False  # the cheap question first: no count is spelled in the module
    found = local.get(expr.func.id)
    return found is not None and found.returns == RETURNS_PARAM_COUNT


def _returned(expr: ast.AST, names: Resolver, scope: Scope, func, local=None) -> str | None:
    if isinstance(expr, ast.Dict):
        # ``{"model/parameters": get_num_params(m)}``: the count itself, not scaled
        if any(v is not None and (is_raw_count(v) or _count_call(v, local)) for v in expr.values):
            return RETURNS_COUNT_DICT
        return None
    qual = names.qualname(expr, scope)
    if qual in (ACCELERATOR, RUN):
        return qual
    memory = _scaled_allocated(expr, names, scope)
    if memory is not None:
        return memory
    if is_raw_count(expr) or _count_call(expr, local):
        return RETURNS_PARAM_COUNT
    if isinstance(expr, ast.Name):
        values = [
            n.value
            for n in own_nodes(func)
            if isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == expr.id for t in n.targets)
        ]
        if values and all(is_raw_count(v) or _count_call(v, local) for v in values):
            return RETURNS_PARAM_COUNT
        # ``results = {"model/parameters": get_num_params(m), ...}`` in one branch and a dict
        # made elsewhere in the other: the count is returned on that branch
        dicts = [v for v in values if isinstance(v, ast.Dict)]
        if dicts and all(_returned(d, names, scope, func, local) for d in dicts):
            return RETURNS_COUNT_DICT
        # ``peak = max_memory_allocated() / 1e6``, then reduced across ranks into the same name
        kinds = {_scaled_allocated(v, names, scope) for v in values} - {None}
        if len(kinds) == 1:
            return kinds.pop()
    return None


def _scaled_allocated(expr: ast.AST, names: Resolver, scope: Scope) -> str | None:
    """``torch.cuda.max_memory_allocated(device) / 1e6`` (scaled, rounded or not)."""
    while True:
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, _KEEPS_VALUE):
            expr = expr.left
        elif (
            isinstance(expr, ast.Call) and getattr(expr.func, "id", None) in _WRAPPERS and expr.args
        ):
            expr = expr.args[0]
        else:
            break
    if isinstance(expr, ast.Call):
        qual = names.qualname(expr.func, scope)
        if qual in ALLOCATED:
            return qual
    return None


def _carried(values: ast.AST | None, params: set[str], nodes) -> str | None:
    """The parameter whose value the logged ``values`` carry: the parameter itself, a dict
    literal holding it, or a local name assigned (once) from an expression that reads it
    (``metrics = process(outputs["log"])``)."""
    if isinstance(values, ast.Name) and values.id in params:
        return values.id
    if isinstance(values, ast.Dict):  # ``wandb.log({key: value})``
        inside = [
            n.id
            for v in values.values
            for n in ast.walk(v)
            if isinstance(n, ast.Name) and n.id in params
        ]
        return inside[0] if inside else None
    if isinstance(values, ast.Name):
        assigned = [
            n.value
            for n in nodes
            if isinstance(n, ast.Assign)
            and len(n.targets) == 1
            and isinstance(n.targets[0], ast.Name)
            and n.targets[0].id == values.id
        ]
        if len(assigned) == 1:
            read = [
                n.id
                for n in ast.walk(assigned[0])
                if isinstance(n, ast.Name) and n.id in params and n.id not in ("self", "cls")
            ]
            return read[0] if read else None
    return None


def _forwarding_helper(
    summary: Summary, call: ast.Call, func, nodes, params: set[str], view, scope: Scope
) -> None:
    """A function whose call of another log helper (of this module or of the project, or a
    method of a project logger it holds: ``self.logger.log_metrics(metrics)``) carries one of
    its parameters is a log helper too."""
    found = view.summary(call.func, scope, "log")
    if found is None or not found[0].is_log_helper:
        return
    helper, method = found
    bound = helper.bind(call, method)
    if bound is None:
        return
    carried = _carried(bound.get(helper.log_values or ""), params, nodes)
    if carried is None:
        return
    summary.log_values = carried
    summary.log_guarded = helper.log_guarded or _frequency_guarded(nodes)
    if helper.log_step is not None:
        _step(summary, bound.get(helper.log_step), params, _defaults(func))
    elif helper.logs_with_own_step:
        summary.logs_with_own_step = True


def _log_helper(summary: Summary, call: ast.Call, params: set[str], defaults, nodes=()) -> None:
    """The helper's log call: which parameter holds the values, which the step."""
    values = call.args[0] if call.args else None
    for kw in call.keywords:
        if kw.arg in ("data", "values", "row"):
            values = kw.value
    carried = _carried(values, params, nodes)
    if carried is None:
        return
    summary.log_values = carried
    step = next((kw.value for kw in call.keywords if kw.arg == "step"), None)
    if step is None and len(call.args) >= 2:
        step = call.args[1]
    _step(summary, step, params, defaults)


def _step(summary: Summary, step: ast.AST | None, params: set[str], defaults) -> None:
    """The step a helper's log call passes: one of its parameters (``log_step``, and whether
    it defaults to ``None``), or a step of its own."""
    if isinstance(step, ast.Name) and step.id in params:
        summary.log_step = step.id
        default = defaults.get(step.id)
        summary.step_default_none = isinstance(default, ast.Constant) and default.value is None
    elif step is not None:
        summary.logs_with_own_step = True


def _frequency_guarded(nodes) -> bool:
    """An ``if`` of the function tests a ``%`` expression (``if step % n == 0``)."""
    return any(
        isinstance(n, ast.If)
        and any(isinstance(m, ast.BinOp) and isinstance(m.op, ast.Mod) for m in ast.walk(n.test))
        for n in nodes
    )


def _forwards_to_print(func, nodes) -> bool:
    """The body only forwards its arguments to ``print`` (with or without a rank check)."""
    params = {a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs}
    params |= {a.arg for a in (func.args.vararg, func.args.kwarg) if a is not None}
    prints = 0
    for node in nodes:
        if isinstance(node, ast.Call):
            if getattr(node.func, "id", None) == "print":
                args = [*node.args, *(k.value for k in node.keywords)]
                used = {n.id for a in args for n in ast.walk(a) if isinstance(n, ast.Name)}
                if not used or not used <= params:
                    return False
                prints += 1
        elif isinstance(
            node, (ast.Assign, ast.AugAssign, ast.Return, ast.For, ast.While, ast.With)
        ):
            return False
    return prints > 0


def _is_numel(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "numel"


def _is_prod(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (
        getattr(node.func, "attr", None) == "prod" or getattr(node.func, "id", None) == "prod"
    )


def is_raw_count(node: ast.AST) -> bool:
    """``sum(p.numel() for p in m.parameters())``, ``sum(map(torch.numel, ...))``,
    ``sum(np.prod(x.shape) for x in leaves)``, ``model.num_parameters()``, and ``int()`` of one."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name) and func.id in ("int", "float") and len(node.args) == 1:
        return is_raw_count(node.args[0])
    if isinstance(func, ast.Attribute) and func.attr == "num_parameters":
        return True
    if not (isinstance(func, ast.Name) and func.id == "sum" and node.args):
        return False
    arg = node.args[0]
    if isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
        elt = arg.elt
        return (isinstance(elt, ast.Call) and _is_numel(elt.func)) or _is_prod(elt)
    if isinstance(arg, ast.Call) and getattr(arg.func, "id", None) == "map" and arg.args:
        return _is_numel(arg.args[0])
    return False


# -- the project's other modules -----------------------------------------------------------------


def observe(kind: str, path: str) -> object:
    """The observation ``kind`` of ``path`` as the project view makes it: ``stat`` (size and
    modification time, None when unreadable), ``isfile``, ``isdir``, ``exists``, ``listing``
    (the ``.py`` files of a folder)."""
    if kind == "stat":
        try:
            st = os.stat(path)
        except OSError:
            return None
        return [st.st_size, st.st_mtime_ns]
    if kind == "isfile":
        return os.path.isfile(path)
    if kind == "exists":
        return os.path.exists(path)
    if kind == "isdir":
        return os.path.isdir(path)
    if kind == "listing":
        return _list_python_files(path)
    raise ValueError(kind)


_CACHE: dict[tuple[str, int, int], ModuleSummary | None] = {}
#: answers of ``ProjectView.probe`` (``isfile``, ``isdir``, ``exists``, ``listing``), once per
#: process
_PROBES: dict[tuple[str, str], object] = {}
#: answers derived from probes alone (``ProjectView.derived``): the answer and the probes it
#: rests on, once per process
_DERIVED: dict[tuple, tuple[object, tuple[tuple[tuple[str, str], object], ...], tuple]] = {}


#: project modules parsed since the collector was last told to keep what is read (``settle``),
#: and how many make the next call act (doubled each time)
_UNSETTLED = [0]
_SETTLE_AT = [1]


def settle() -> None:
    """Between two files of one run: the project modules read so far (their trees, name tables
    and summaries) are kept for the rest of the process, so the cyclic collector need not walk
    them again at every full collection (over the wandb package they were three quarters of
    the objects it walked, and a third of the plugin's time). Once enough were parsed since the
    last call (1, then 2, 4, 8...: a logarithmic number of times in a run): one collection (so
    that no garbage is kept with them), then ``gc.freeze()``. Objects freed by their last
    reference are freed as before; an object alive then and dropped later in a reference cycle
    is kept to the end of the process, which the doubling bounds. For front ends that run one
    file after another in a process of their own (flake8's plugin)."""
    if _UNSETTLED[0] >= _SETTLE_AT[0]:
        _SETTLE_AT[0] = 2 * max(_SETTLE_AT[0], _UNSETTLED[0])
        _UNSETTLED[0] = 0
        gc.collect()
        gc.freeze()


#: not read yet by a view (``ProjectView.read``)
_UNREAD = object()


def read_module(path: str, view: ProjectView | None = None) -> ModuleSummary | None:
    """The summary of a project module on disk, kept once per process per version of the file
    (path, size, modification time); None when it cannot be read. Its text is read here; it is
    parsed only when a question its text can answer is asked. ``view``: the view that reads it
    (it records what it saw: ``ProjectView.observations``)."""
    try:
        st = os.stat(path)
    except OSError:
        if view is not None:
            view.see("stat", path, None)
        return None
    key = (path, st.st_size, st.st_mtime_ns)
    if key not in _CACHE:
        result = None
        if st.st_size <= _MAX_BYTES:
            try:
                with open(path, "rb") as f:
                    text = f.read().decode("utf-8", "replace")
                result = ModuleSummary(None, None, path, text)
            except OSError:
                result = None
        _CACHE[key] = result
    result = _CACHE[key]
    if view is not None:
        view.see("stat", path, [st.st_size, st.st_mtime_ns])
        if result is not None:
            view.touched[id(result)] = result
    return result


class ProjectView:
    """One module's view of its own functions and of the project modules it imports."""

    def __init__(
        self,
        tree: ast.Module,
        names: Resolver,
        path: str | None,
        text: str = "",
        kept: bool = False,
    ) -> None:
        """``kept``: the view of a project module, kept for the process (it reads files afresh
        at every question: ``read``)."""
        self.tree = tree
        self.text = text
        self.names = names
        #: what this view saw of the file system, and the project modules it read
        #: (``observations``: the persistent cache's dependencies)
        self.seen: dict[tuple[str, str], object] = {}
        #: the derived answers (``derived``) this view used: their probes are its too
        self.uses: set[tuple] = set()
        self.touched: dict[int, ModuleSummary] = {}
        self.path = (
            os.path.abspath(path) if path and self.probe("isfile", os.path.abspath(path)) else None
        )
        self._local: ModuleSummary | None = None
        self._cwd_at: str | None = None
        self._roots: list[str] | None = None
        self._roots_key: tuple = ()
        self._callers: dict[str, dict[str, list[ast.AST]] | None] = {}
        self._defs: set[str] | None = None
        self._may_hold: dict[str, bool] = {}
        self._top_imports: dict[bool, list[ModuleSummary]] = {}
        self._imported_cache: dict[tuple[str, str | None], Summary | None] = {}
        self._param_memo: dict[tuple[int, str], str | None] = {}
        self._callers_memo: dict[str, list | None] = {}
        self._load_counts: dict[str, int] | None = None
        self._read: dict[str, object] | None = None if kept else {}

    def read(self, path: str) -> ModuleSummary | None:
        """``read_module``, once per path for the view of the module being analysed: within
        its analysis a file does not change (its size and time are seen at the first read).
        A project module's view, kept for the process, asks every time (``wandb-fix --apply``
        rewrites files between modules)."""
        if self._read is None:
            return read_module(path, self)
        found = self._read.get(path, _UNREAD)
        if found is _UNREAD:
            found = self._read[path] = read_module(path, self)
        return found  # type: ignore[return-value]

    def see(self, kind: str, path: str, value: object) -> object:
        """Record an observation of the file system (``observe``) and return its value."""
        self.seen.setdefault((kind, path), value)
        return value

    def probe(self, kind: str, path: str) -> object:
        """Ask the file system (``observe``) and record the answer. All but ``stat`` are asked
        once per process (a file's size and time tell the module cache about edits): every
        module's view asks the same questions about the project's import paths and folders."""
        key = (kind, path)
        found = _PROBES.get(key, _PROBES)
        if found is _PROBES:
            found = observe(kind, path)
            if kind != "stat":
                _PROBES[key] = found
        return self.see(kind, path, found)

    def derived(self, key: tuple, compute: Callable[[], T]) -> T:
        """An answer that rests on probes alone (where the project's roots are, which file an
        import names), computed once per process: every module of a folder asks the same.
        The probes it rests on count as this view's (``observations``), as if it had made
        them."""
        hit = _DERIVED.get(key)
        if hit is None:
            saved = self.seen, self.uses
            self.seen, self.uses = {}, set()
            try:
                value = compute()
            finally:
                (made, inner), (self.seen, self.uses) = (self.seen, self.uses), saved
            hit = _DERIVED[key] = (value, tuple(made.items()), tuple(inner))
        self.uses.add(key)
        return hit[0]  # type: ignore[return-value]

    def observations(self) -> dict[tuple[str, str], object]:
        """Everything the answers about this module may depend on outside its own text: what
        this view saw (itself, and through the derived answers it used), and what the views of
        the project modules it read saw, transitively (their summaries are kept for the whole
        process, so their observations count for every module that uses them)."""
        found = dict(self.seen)
        uses = set(self.uses)
        stack = list(self.touched.values())
        done: set[int] = set()
        while stack:
            module = stack.pop()
            if id(module) in done:
                continue
            done.add(id(module))
            view = module.view
            if view is not None:
                for key, value in view.seen.items():
                    found.setdefault(key, value)
                uses |= view.uses
                stack.extend(view.touched.values())
        expanded: set[tuple] = set()
        pending = list(uses)
        while pending:
            key = pending.pop()
            if key in expanded:
                continue
            expanded.add(key)
            _value, probes, inner = _DERIVED[key]
            for probe, answer in probes:
                found.setdefault(probe, answer)
            pending.extend(inner)
        return found

    def install(self) -> None:
        """Answer the name table's questions about project calls, parameters and instances."""
        self.names.call_hook = self.call_result
        self.names.param_hook = self.param_value_name
        self.names.attr_hook = self.instance_attr

    # -- summaries -----------------------------------------------------------------------------

    @property
    def local(self) -> ModuleSummary:
        if self._local is None:
            self._local = summarise(self.tree, self.names, self.path, self.text)
            self._local.view = self  # its functions ask the view about the helpers they call
        return self._local

    def summary(
        self, func: ast.AST, scope: Scope, needs: str | None = None
    ) -> tuple[Summary, bool] | None:
        """The summary of a call's callee, and whether it is called as a bound method
        (``self.helper(...)``); None when unknown."""
        found: Summary | None = None
        method = False
        if isinstance(func, ast.Name):
            where = self.names.binding_scope(func.id, scope)
            if where is self.names.module and func.id in self._top_level_defs():
                found = self._local_summary(func.id, needs)
            else:
                found = self._imported(self.names.qualname(func, scope), needs)
        elif isinstance(func, ast.Attribute):
            cls = (
                self.names.self_class(func.value.id, scope)
                if isinstance(func.value, ast.Name)
                else None
            )
            if cls is not None:
                found = self._local_summary(f"{cls.node.name}.{func.attr}", needs)
                method = True
            else:
                base = self.names.qualname(func.value, scope)
                if base and base.endswith("()") and "(" not in base[:-2]:
                    # a method of an instance of a class of this module or of the project
                    cls_name = base[:-2]
                    method = True
                    if cls_name.startswith(LOCAL_CLASS):
                        found = self._local_summary(
                            f"{cls_name[len(LOCAL_CLASS) :]}.{func.attr}", needs
                        )
                    else:
                        found = self._imported(f"{cls_name}.{func.attr}", needs)
                elif base and base.startswith(INSTANCE):
                    owner = self._instance_module(base)
                    if owner is not None:
                        found = owner[0].get(f"{owner[1]}.{func.attr}", needs)
                        method = True
                elif base and not base.startswith("<"):
                    found = self._imported(base + "." + func.attr, needs)
        return (found, method) if found is not None else None

    def _top_level_defs(self) -> set[str]:
        if self._defs is None:
            self._defs = {
                s.name
                for s in self.tree.body
                if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            }
        return self._defs

    def _local_summary(self, name: str, needs: str | None = None) -> Summary | None:
        return self.local.get(name, needs)

    def call_result(self, call: ast.Call, scope: Scope) -> str | None:
        """What a call of a project function returns, for the name table (resolve.py):
        an accelerator or a run; None when unknown."""
        found = self.summary(call.func, scope, "returns")
        if found is None:
            return None
        returns = found[0].returns
        return returns if returns in (ACCELERATOR, RUN) else None

    def plain_class(self, expr: ast.AST, scope: Scope, not_from: tuple[str, ...]) -> bool:
        """``expr`` names a class of this module or of the project whose bases end in none of
        ``not_from`` (a project's own ``Trainer``, not Hugging Face's)."""
        found = self.summary(expr, scope)
        node = found[0].node if found is not None else None
        if not isinstance(node, ast.ClassDef):
            return False
        for base in node.bases:
            last = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
            if not last or last.endswith(not_from):
                return False
        return True

    def may_hold(self, needs: str) -> bool:
        """The cheap question before any summary: does this module's text, or the text of a
        project module whose names it calls (``helper()``, ``utils.helper()``), imported at
        its top level, hold the words ``needs`` asks for? (A summary is asked for a call.)"""
        if needs not in self._may_hold:
            self._may_hold[needs] = self.local.mentions(needs) or any(
                m.mentions(needs) for m in self._imported_modules(called=True)
            )
        return self._may_hold[needs]

    def _imported_modules(self, called: bool = False) -> list[ModuleSummary]:
        """The project modules this module imports at its top level (also under ``if`` and
        ``try``), each read once per process; ``called``: only those that a name this module
        calls comes from (an import for its side effects, or for annotations, left out)."""
        if called not in self._top_imports:
            found: list[ModuleSummary] = []
            statements = self._top_import_statements() if self.path is not None else []
            if any(not _never_project(s) for s in statements):
                roots = self._called_roots() if called else None
                imports: list[tuple[str, str | None, tuple[str, ...]]] = []
                for stmt in statements:
                    if _never_project(stmt):
                        continue
                    if isinstance(stmt, ast.Import):
                        imports += [
                            (a.name, None, ())
                            for a in stmt.names
                            if roots is None or (a.asname or a.name.partition(".")[0]) in roots
                        ]
                    else:
                        base = "." * stmt.level + (stmt.module or "")
                        names = tuple(
                            a.name
                            for a in stmt.names
                            if roots is None or (a.asname or a.name) in roots
                        )
                        if names:
                            imports.append((base, stmt.module or "", names))
                # every module of a folder that imports the same asks the same
                assert self.path is not None
                key = ("imports", os.path.dirname(self.path), self._cwd(), tuple(imports))
                for path in self.derived(key, lambda: self._import_paths(imports)):
                    summary = self.read(path)
                    if summary is not None:
                        found.append(summary)
            self._top_imports[called] = found
        return self._top_imports[called]

    def _top_import_statements(self) -> list[ast.Import | ast.ImportFrom]:
        stmts = list(self.tree.body)
        for stmt in list(stmts):
            if isinstance(stmt, (ast.If, ast.Try)):
                stmts += [*stmt.body, *getattr(stmt, "orelse", [])]
                for h in getattr(stmt, "handlers", []):
                    stmts += h.body
        return [s for s in stmts if isinstance(s, (ast.Import, ast.ImportFrom))]

    def _called_roots(self) -> set[str]:
        """The names the module's calls start from: ``helper`` in ``helper()``, ``utils`` in
        ``utils.helper()``, ``Logger`` in ``Logger(args).log()``."""
        roots: set[str] = set()
        name, attribute, subscript, call_ = ast.Name, ast.Attribute, ast.Subscript, ast.Call
        for calls in self.names.calls.values():  # every call of the module: no isinstance
            for call, _scope in calls:
                func = call.func
                kind = type(func)
                while kind is not name:
                    if kind is attribute or kind is subscript:
                        func = func.value  # type: ignore[attr-defined]
                    elif kind is call_:
                        func = func.func  # type: ignore[attr-defined]
                    else:
                        break
                    kind = type(func)
                else:
                    roots.add(func.id)  # type: ignore[attr-defined]
        return roots

    def _import_paths(self, imports: list[tuple[str, str | None, tuple[str, ...]]]) -> list[str]:
        """The files of the project modules that ``imports`` name: ``(module, None, ())`` for
        ``import module``, ``(base, module, names)`` for ``from base import names`` (``module``
        empty in ``from . import names``)."""
        quals: list[str] = []
        for base, module, names in imports:
            if module is None:
                quals.append(base)
                continue
            if module:
                # the cheap question first: the names of a module that is no package are in
                # that module, none is a module of its own
                path = self._module_path(base)
                if path is not None and not path.endswith("__init__.py"):
                    quals.append(base)
                    continue
            quals += [f"{base}.{name}" if module else base + name for name in names]
            if module:
                quals.append(base)
        paths: list[str] = []
        for qual in quals:
            path = self._module_path(qual)
            if path is not None and path not in paths:
                paths.append(path)
        return paths

    def _cwd(self) -> str:
        if self._cwd_at is None:
            self._cwd_at = os.getcwd()
        return self._cwd_at

    def _module_path(self, qual: str) -> str | None:
        """The file of the project module ``qual`` names, or of the longest module its prefix
        names."""
        parts, base = self._split(qual)
        if base is None or not parts or not all(parts):
            return None
        return self._longest_module(base, parts)[0]

    def _longest_module(self, base: str, parts: list[str]) -> tuple[str | None, int]:
        """The longest of ``parts``' prefixes that is a module file under ``base``: its file and
        how many parts it takes; ``(None, 0)`` when none is. Once per process (``derived``)."""
        return self.derived(("longest", base, *parts), lambda: self._find_longest(base, parts))

    def _find_longest(self, base: str, parts: list[str]) -> tuple[str | None, int]:
        for cut in range(len(parts), 0, -1):
            module = self._module_file(base, parts[:cut])
            if module is not None:
                return module, cut
        return None, 0

    def returns(self, call: ast.Call, scope: Scope) -> str | None:
        """What a call of a function of this module or of the project returns (see
        ``Summary.returns``); None when unknown or nothing the rules ask about."""
        if not isinstance(call.func, (ast.Name, ast.Attribute)) or not self.may_hold("memory"):
            return None
        found = self.summary(call.func, scope, "memory")
        return found[0].returns if found is not None else None

    def count_call(self, call: ast.Call, scope: Scope) -> str | None:
        """``RETURNS_PARAM_COUNT`` or ``RETURNS_COUNT_DICT`` when ``call`` calls a function of
        this module or of the project that returns a raw parameter count, or a dict holding one;
        None otherwise."""
        if not isinstance(call.func, (ast.Name, ast.Attribute)):
            return None
        found = self.summary(call.func, scope, "count")
        if found is None or found[1]:
            return None
        returns = found[0].returns
        return returns if returns in (RETURNS_PARAM_COUNT, RETURNS_COUNT_DICT) else None

    def sends_argument(self, call: ast.Call, arg: ast.AST, scope: Scope) -> bool:
        """``arg``, an argument of ``call``, goes to the run unchanged inside the callee, a
        function or method of this module or of the project (``logger.log_stats(stats)``)."""
        if not isinstance(call.func, (ast.Name, ast.Attribute)):
            return False
        found = self.summary(call.func, scope, "sends")
        if found is None or found[0].sends_param is None:
            return False
        summary, method = found
        param = summary.sends_param
        bound = summary.bind(call, method)
        return param is not None and bound is not None and bound.get(param) is arg

    def imported_calls_named(self, name: str, words: tuple[str, ...] = ()) -> list[ast.Call]:
        """The calls named ``name`` in the project modules this module imports at its top
        level (``define_metric`` in the project's ``utils/logging.py``); ``words``: the cheap
        question first, a module whose text lacks one of them is not parsed (a call the asker
        wants holds them: ``step_metric=``)."""
        return [c for m in self._imported_modules() for c, _ in m.calls_named(name, words)]

    # -- parameters: what every in-project caller passes --------------------------------------

    def param_value_name(self, func: ast.AST, name: str) -> str | None:
        """What parameter ``name`` of ``func`` (a top-level function, or ``__init__`` of a
        top-level class) holds when every call in the project that passes it passes the same
        wandb, run, accelerator or instance of a project class that mentions wandb (``None``
        passed or left to a ``None`` default aside: logging is off then). None: unknown."""
        key = (id(func), name)
        if key in self._param_memo:
            return self._param_memo[key]
        self._param_memo[key] = None  # a chain that comes back here: unknown
        try:
            found = self._param_value_name(func, name)
        except RecursionError:
            found = None
        self._param_memo[key] = found
        return found

    def _param_value_name(self, func: ast.AST, name: str) -> str | None:
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        method = False
        callee = func.name
        if func not in self.tree.body:
            owner = next(
                (c for c in self.tree.body if isinstance(c, ast.ClassDef) and func in c.body),
                None,
            )
            if owner is None or func.name != "__init__":
                return None
            callee, method = owner.name, True
        params = _params(func)
        if method and (not params or name == params[0]):
            return None
        if not _HOLDER_WORDS.intersection(name.lower().strip("_").split("_")):
            return None  # the cheap question first: a parameter named for what it may hold
        summary = Summary(callee, func, params)
        default = _defaults(func).get(name)
        # the cheap question first: the module's own calls come first among the callers, and
        # one that hides the argument or leaves it to a default other than None (``same(a, b)``
        # with ``log_error=log.error``) settles "unknown" before any value is judged; so it
        # spares the walk that counts the name's uses and reading and parsing the modules
        # beside it. Only until the first value to judge: judging one builds summaries, whose
        # order must stay that of the loop below
        for call, _scope in self._calls_of(callee, None):
            arg = _argument(summary, call, method, name, default)
            if arg is _UNKNOWN:
                return None
            if arg is not _NOTHING:
                break
        callers = self._callers_of(callee)
        if not callers:
            return None
        values: set[str] = set()
        for view, call, scope in callers:
            arg = _argument(summary, call, method, name, default)
            if arg is _UNKNOWN:
                return None
            if arg is _NOTHING:
                continue
            meaning = view.portable_meaning(arg, scope)  # type: ignore[arg-type]
            if meaning is None:
                return None
            values.add(meaning)
        return values.pop() if len(values) == 1 else None

    def _callers_of(self, callee: str) -> list[tuple[ProjectView, ast.Call, Scope]] | None:
        """The calls of this module's top-level ``callee`` in this module and in the project's
        modules beside it or at its root that import it; None when it is also used as a value
        (passed around: callers out of sight)."""
        if callee in self._callers_memo:
            return self._callers_memo[callee]
        self._callers_memo[callee] = None
        found: list[tuple[ProjectView, ast.Call, Scope]] = []
        own = self._direct_calls(callee, None)
        if own is None:
            return None
        found += [(self, c, sc) for c, sc in own]
        if self.path is not None:
            for module in self._neighbours():
                if not module.mentions("passes") or not module.calls_name(callee):
                    continue  # the cheap questions first
                module._index()
                view = module.view
                if view is None:
                    continue
                calls = view._direct_calls(callee, self.path)
                if calls is None:
                    return None
                found += [(view, c, sc) for c, sc in calls]
        self._callers_memo[callee] = found
        return found

    def _direct_calls(self, callee: str, path: str | None) -> list[tuple[ast.Call, Scope]] | None:
        """The calls of ``callee`` (this module's own when ``path`` is None, else the one that
        ``path`` defines, imported here); None when that name is used other than as a callee."""
        calls = self._calls_of(callee, path)
        if self._loads().get(callee, 0) != len(self.names.calls_named(callee)):
            return None  # also used as a value: its callers are out of sight
        return calls

    def _calls_of(self, callee: str, path: str | None) -> list[tuple[ast.Call, Scope]]:
        """``_direct_calls`` without asking whether the name is also used as a value."""
        calls: list[tuple[ast.Call, Scope]] = []
        for call, scope in self.names.calls_named(callee):
            if path is None:
                if not isinstance(call.func, ast.Name):
                    continue
                if self.names.binding_scope(callee, scope) is not self.names.module:
                    continue
            elif self._defined_in(call.func, scope) != path:
                continue
            calls.append((call, scope))
        return calls

    def _loads(self) -> dict[str, int]:
        """How often each name is read in the module (``f`` and ``x.f`` alike): one walk."""
        if self._load_counts is None:
            counts: dict[str, int] = {}
            name, attribute, load = ast.Name, ast.Attribute, ast.Load
            stack: list[ast.AST] = [self.tree]  # every node once (in no particular order)
            while stack:
                node = stack.pop()
                kind = type(node)
                if kind is name:
                    if type(node.ctx) is load:  # type: ignore[attr-defined]
                        counts[node.id] = counts.get(node.id, 0) + 1  # type: ignore[attr-defined]
                    continue
                if kind is attribute and type(node.ctx) is load:  # type: ignore[attr-defined]
                    counts[node.attr] = counts.get(node.attr, 0) + 1  # type: ignore[attr-defined]
                stack += children(node)
            self._load_counts = counts
        return self._load_counts

    def _defined_in(self, func: ast.AST, scope: Scope) -> str | None:
        """The path of the project module that defines what ``func`` names."""
        qual = self.names.qualname(func, scope)
        if not qual or self.path is None or qual.startswith("<"):
            return None
        return self._top_level_module(qual)

    def _top_level_module(self, qual: str) -> str | None:
        """The absolute path of the project module of which ``qual`` names a top-level member
        (``utils.WandbLogger`` -> ``/abs/utils.py``); None when the longest module that
        ``qual`` reaches is not its parent, or none is found."""
        parts, base = self._split(qual)
        if base is None:
            return None
        for cut in range(len(parts) - 1, 0, -1):
            module = self._module_file(base, parts[:cut])
            if module is not None:
                return os.path.abspath(module) if cut == len(parts) - 1 else None
        return None

    def _neighbours(self) -> list[ModuleSummary]:
        """The project's modules beside this one, in the packages above it (``pkg/train.py``
        for ``pkg/utils/train_utils.py``) and at its roots (not in other sub-folders)."""
        assert self.path is not None
        folders = [os.path.dirname(self.path)]
        while self.see(
            "isfile",
            os.path.join(folders[-1], "__init__.py"),
            os.path.isfile(os.path.join(folders[-1], "__init__.py")),
        ):
            parent = os.path.dirname(folders[-1])
            if parent == folders[-1] or len(folders) > 8:
                break
            folders.append(parent)
        folders += [f for f in self._project_roots() if f not in folders]
        found: list[ModuleSummary] = []
        seen: set[str] = {self.path}
        for folder in folders:
            for path in _python_files(folder, self):
                if path not in seen:
                    seen.add(path)
                    module = self.read(path)
                    if module is not None:
                        found.append(module)
        return found

    def portable_meaning(self, expr: ast.AST, scope: Scope) -> str | None:
        """What ``expr`` means in a form another module can use: wandb, a run, an accelerator
        that logs to wandb, or an instance of a project class whose module mentions wandb."""
        qual = self.names.qualname(expr, scope)
        if _portable(qual):
            return qual
        if not qual or not qual.endswith("()") or "(" in qual[:-2]:
            return None
        cls = qual[:-2]
        if cls.startswith(LOCAL_CLASS):
            if self.path is None or "wandb" not in self.text:
                return None
            return f"{INSTANCE}{self.path}:{cls[len(LOCAL_CLASS) :]}>"
        if self.path is None or cls.startswith("<"):
            return None
        path = self._top_level_module(cls)
        if path is None:
            return None
        summary = self.read(path)
        if summary is None or "wandb" not in summary.text:
            return None
        return f"{INSTANCE}{path}:{cls.rpartition('.')[2]}>"

    def _instance_module(self, token: str) -> tuple[ModuleSummary, str] | None:
        path, _, cls = token[len(INSTANCE) : -1].rpartition(":")
        module = self.local if path == self.path else self.read(path)
        return (module, cls) if module is not None else None

    def instance_attr(self, token: str, attr: str) -> str | None:
        """``wandb_logger._wandb`` where ``wandb_logger`` is an instance of a project class:
        what ``self._wandb`` means in that class, when it holds outside its module."""
        found = self._instance_module(token)
        return found[0].class_attr(found[1], attr) if found is not None else None

    # -- callers -------------------------------------------------------------------------------

    def callers_pass(self, func: ast.AST, param: str) -> list[ast.AST] | None:
        """The expressions the module's own calls of ``func`` (a top-level function or a method)
        pass for ``param``; None when a call hides it (``*args``), leaves it to its default, or
        there is no call."""
        name = getattr(func, "name", None)
        if name is None:
            return None
        key = f"{id(func)}"
        table = self._callers.get(key)
        if key not in self._callers:
            table = self._callers[key] = self._collect_callers(func)
        if table is None:
            return None
        values = table.get(param)
        return values if values else None

    def _collect_callers(self, func) -> dict[str, list[ast.AST]] | None:
        params = _params(func)
        method = bool(params) and params[0] in ("self", "cls")
        summary = Summary(func.name, func, params)
        calls = self.names.calls_named(func.name)
        if not calls:
            return None
        table: dict[str, list[ast.AST]] = {}
        for call, _scope in calls:
            if method != isinstance(call.func, ast.Attribute):
                continue
            if method and getattr(call.func, "value", None).__class__ is not ast.Name:
                continue
            if method and call.func.value.id not in ("self", "cls"):  # type: ignore[attr-defined]
                continue
            bound = summary.bind(call, method)
            if bound is None:
                return None
            for p in params[1:] if method else params:
                if p not in bound:
                    table.setdefault(p, []).append(ast.Constant(value=...))  # left to default
                else:
                    table.setdefault(p, []).append(bound[p])
        return table or None

    def parameter_value(self, expr: ast.AST, func: ast.AST) -> ast.AST:
        """``expr`` itself, or, when it is a parameter of ``func`` and every call of ``func`` in
        the module passes the same expression for it, that expression."""
        if not isinstance(expr, ast.Name) or not isinstance(
            func, (ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            return expr
        if expr.id not in _params(func) and expr.id not in {a.arg for a in func.args.kwonlyargs}:
            return expr
        passed = self.callers_pass(func, expr.id)
        if not passed:
            return expr
        first = ast.dump(passed[0])
        if any(ast.dump(p) != first for p in passed[1:]):
            return expr
        if isinstance(passed[0], ast.Constant) and passed[0].value is ...:
            return expr  # every call leaves it to its default
        return passed[0]

    # -- imports -------------------------------------------------------------------------------

    def _imported(self, qual: str | None, needs: str | None = None) -> Summary | None:
        """``library.train_util.prepare_accelerator`` -> that function's summary, when
        ``library`` is a package of this project."""
        if not qual or self.path is None or qual.startswith("<") or qual.endswith("()"):
            return None
        key = (qual, needs)
        if key in self._imported_cache:
            return self._imported_cache[key]
        found = self._find_imported(qual, needs)
        self._imported_cache[key] = found
        return found

    def _find_imported(self, qual: str, needs: str | None) -> Summary | None:
        parts, base = self._split(qual)
        if base is None or not parts:
            return None
        # the longest prefix that is a module file
        module, cut = self._longest_module(base, parts[:-1]) if len(parts) > 1 else (None, 0)
        if module is None:
            return None
        summary = self.read(module)
        if summary is None:
            return None
        return summary.get(".".join(parts[cut:]), needs)

    def _split(self, qual: str) -> tuple[list[str], str | None]:
        """The dotted parts of a qualified name and the folder its first part lives in."""
        assert self.path is not None
        if qual.startswith("."):
            dots = len(qual) - len(qual.lstrip("."))
            folder = os.path.dirname(self.path)
            for _ in range(dots - 1):
                folder = os.path.dirname(folder)
            return qual[dots:].split("."), folder
        parts = qual.split(".")
        if parts[0] in _NEVER_PROJECT:
            return parts, None  # the cheap question first: the standard library, torch...
        roots = self._project_roots()
        # the first root that holds the first part as a module, the same for every module
        # with these roots
        first = parts[:1]
        root = self.derived(
            ("first", parts[0], *roots),
            lambda: next((r for r in roots if self._module_file(r, first) is not None), None),
        )
        if root is None and len(parts) > 1:
            # namespace packages (folders without ``__init__.py``) holding a module:
            # ``from src.trainer.trainer import Trainer``
            root = self.derived(("namespace", qual, *roots), lambda: self._namespace(roots, parts))
        return parts, root

    def _namespace(self, roots: list[str], parts: list[str]) -> str | None:
        for root in roots:
            if self.probe("isdir", os.path.join(root, parts[0])) and any(
                self._module_file(root, parts[:cut]) is not None for cut in range(len(parts), 1, -1)
            ):
                return root
        return None

    def _module_file(self, folder: str, parts: list[str]) -> str | None:
        # no memo of its own: every answer must record its probes (``derived``); they are
        # asked of the file system once per process (``probe``)
        base = os.path.join(folder, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if any(p in candidate for p in _INSTALLED):
                continue
            if self.probe("isfile", candidate):
                return candidate
        return None

    def _project_roots(self) -> list[str]:
        """Beside the file, above its packages, the nearest folder with a project marker, and
        the working directory."""
        if self._roots is None:
            assert self.path is not None
            here, cwd = os.path.dirname(self.path), self._cwd()
            self._roots_key = ("roots", here, cwd)
            self._roots = self.derived(self._roots_key, lambda: self._find_roots(here, cwd))
        else:
            self.uses.add(self._roots_key)  # asked inside another derived answer, it is its too
        return self._roots

    def _find_roots(self, here: str, cwd: str) -> list[str]:
        roots = [here]
        top = here
        while self.probe("isfile", os.path.join(top, "__init__.py")):
            top = os.path.dirname(top)
        roots.append(top)
        up = here
        for _ in range(8):
            if any(self.probe("exists", os.path.join(up, m)) for m in _ROOT_MARKERS):
                roots.append(up)
                break
            parent = os.path.dirname(up)
            if parent == up:
                break
            up = parent
        if (here + os.sep).startswith(cwd + os.sep):
            roots.append(cwd)
        seen: list[str] = []
        for r in roots:
            if r not in seen and not any(p in r for p in _INSTALLED):
                seen.append(r)
        return seen


def _never_project(stmt: ast.Import | ast.ImportFrom) -> bool:
    """An import of the standard library or of a library training code uses (``import os``,
    ``from torch import nn``): no file of the project is looked for."""
    if isinstance(stmt, ast.ImportFrom):
        return not stmt.level and (stmt.module or "").partition(".")[0] in _NEVER_PROJECT
    return all(a.name.partition(".")[0] in _NEVER_PROJECT for a in stmt.names)


#: what ``_argument`` says of a call that hides the argument or leaves it to a default other
#: than None, and of one that passes None or leaves it to a None default (logging off then)
_UNKNOWN, _NOTHING = object(), object()


def _argument(
    summary: Summary, call: ast.Call, method: bool, name: str, default: ast.AST | None
) -> ast.AST | object:
    """What ``call`` passes for parameter ``name`` of the function ``summary`` describes: the
    expression, ``_UNKNOWN`` or ``_NOTHING``."""
    bound = summary.bind(call, method)
    if bound is None:
        return _UNKNOWN
    arg = bound.get(name)
    if arg is None:
        return _NOTHING if _is_none(default) else _UNKNOWN
    return _NOTHING if _is_none(arg) else arg


def _is_none(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


#: a parameter that may hold wandb, a run, an accelerator or a project logger is named for it
#: (one of the words of its name: ``wandb_logger``, ``logger``, ``run``, ``tracker``, ``wb``...)
_HOLDER_WORDS = frozenset(
    {"log", "logger", "loggers", "wandb", "wb", "run", "tracker", "writer", "accelerator"}
)


def _python_files(folder: str, view: ProjectView) -> list[str]:
    """The ``.py`` files of a folder (not of its sub-folders), listed once per process (as every
    probe is); none in installed packages."""
    return view.probe("listing", folder)  # type: ignore[return-value]


def _list_python_files(folder: str) -> list[str]:
    files: list[str] = []
    if not any(p in folder for p in _INSTALLED):
        try:
            with os.scandir(folder) as it:
                files = sorted(
                    os.path.abspath(e.path) for e in it if e.name.endswith(".py") and e.is_file()
                )
        except OSError:
            files = []
    return files[:200]


def callee_name(call: ast.Call) -> str | None:
    return call_name(call)
