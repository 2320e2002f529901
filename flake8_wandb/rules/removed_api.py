from __future__ import annotations

import ast
import re
from typing import ClassVar

from wandb_runtime.api_changes import REMOVED_APIS

from ..analysis.wandb_model import api_name
from ..engine import SAFE, UNCHANGED, Fix, Invalid, Message, Rule, end_of
from .calls import keyword, str_value
from .edits import remove_argument, replace, transform
from .hardcoded_api_key import _alone_on_its_lines, _remove_lines
from .run_settings import VERSION_DOC

_FIX_TEXT = {"drop-keyword": "safe: removed", "drop-statement": "safe: removed"}

_EFFECT = {
    "no-op": "does nothing",
    "ValidationError": "raises ValidationError",
}


class ApiRemoved(Message):
    """``shape``, ``effect``, ``replacement``: from the API table (``wandb_runtime/api_changes.py``)"""

    template: ClassVar[str] = (
        "{shape} {effect} since wandb {since} (target wandb {version}); {replacement}"
    )
    shape: str
    effect: str
    since: str
    version: str
    replacement: str


def _needs() -> tuple[str, ...]:
    """What a removed API's use must spell out: the keyword (``start_method``), the argument
    (``"legacy-service"``) or the last name of the callable (``get_url``)."""
    words: set[str] = set()
    for api in REMOVED_APIS:
        kind, _, arg = api.what.partition(":")
        if kind in ("keyword", "argument"):
            words.add(arg)
        else:
            words.update(c.rpartition(".")[2] for c in api.callables)
    return tuple(sorted(words))


#: the last names of the callees any removed API's entry asks about, on any target wandb (and
#: ``init``, for a setting given to ``wandb.init``): a callee written as an attribute is judged
#: by its own name (``run.get_url()``), as the wandb model's questions are, so a call of any other
#: attribute is not asked (``Rule.attribute_names``; a method kept under another name,
#: ``self.done = run.finish``, is not followed)
_CALLEE_NAMES = frozenset(
    {c.rpartition(".")[2] for api in REMOVED_APIS for c in api.callables} | {"init"}
)


class RemovedWandbApi(Rule):
    """
    ## What it does

    Reports a wandb API that the target wandb no longer accepts, no longer has, or has turned
    into a no-op. The facts are data, one table (`wandb_runtime/api_changes.py`), each entry
    checked against the real wandb by a test:

    {table}

    The module functions count as the run's methods (`wandb.log(..., sync=...)`,
    `wandb.finish(quiet=...)`), and `start_method` also as a key of
    `wandb.init(settings={...})` or `settings=dict(...)`, which wandb validates the same way.

    A run is what `wandb.init()` returns (and `wandb.run`, a Lightning `WandbLogger`'s
    `experiment`, accelerate's wandb tracker's `run`), recognised by what the name resolves to.

    ## Why is this bad?

    These calls worked on the wandb the code was written for and crash the job after an upgrade,
    at its start, before any training (`start_method`: leggedrobotics/rsl_rl's `--logger wandb`
    crashed on startup with wandb 0.29, fixed in its PR 232), or at the very end of a long run
    (`run.finish(quiet=True)`), after the compute is spent. `wandb.require("service")` crashes
    nothing but warns on every start and misleads readers into thinking it does something.

    Not reported: the same calls where the target wandb still accepts them (the target is the
    `wandb-target-version` setting, else the installed wandb, else 0.31); `wandb.join()` (the
    module function still exists); `.log`, `.finish`, `.join` of anything that is not a wandb
    run (a thread, a process, a logger); a parameter merely named `run`.
    """

    code = "WB308"
    name = "removed-wandb-api"
    messages = (ApiRemoved,)
    applicability = (SAFE,)
    fix_doc = (
        "Safe, and only where the table says the replacement is certain: `run.get_url()` becomes "
        "`run.url` (the same value: the method returned the property), likewise "
        "`get_project_url()`, `get_sweep_url()` and `project_name()`; `sync=` and `quiet=` are "
        "removed (on the target wandb they raise `TypeError`; `sync` did nothing before); a "
        '`wandb.require("service")` statement is removed (it does nothing but warn), and '
        "becomes `pass` when it is alone in its block. No fix for `start_method`, `run.join()` "
        'and `wandb.require("legacy-service")`: the message says what to do.' + VERSION_DOC
    )
    triggers = ("wandb", "Wandb")
    needs = _needs()
    attribute_names = {ast.Call: _CALLEE_NAMES.__contains__}
    invalid = (
        Invalid(
            """\
import wandb

run = wandb.init(project="demo", config={})
print(f"tracking at {run.get_url()}")  # WB308:22 run.get_url() raises AttributeError since wandb 0.29.0 (target wandb 0.31.0); use run.url
run.log({"loss": 0.1}, step=0, sync=False)  # WB308:32 run.log(..., sync=...) raises TypeError since wandb 0.20.0 (target wandb 0.31.0); remove sync= (it had no effect)
run.finish(quiet=True)  # WB308:12 run.finish(quiet=...) raises TypeError since wandb 0.29.0 (target wandb 0.31.0); remove quiet= (set wandb.Settings(quiet=...) at init instead)
""",
            expected_replacement="""\
import wandb

run = wandb.init(project="demo", config={})
print(f"tracking at {run.url}")  # WB308:22 run.get_url() raises AttributeError since wandb 0.29.0 (target wandb 0.31.0); use run.url
run.log({"loss": 0.1}, step=0)  # WB308:32 run.log(..., sync=...) raises TypeError since wandb 0.20.0 (target wandb 0.31.0); remove sync= (it had no effect)
run.finish()  # WB308:12 run.finish(quiet=...) raises TypeError since wandb 0.29.0 (target wandb 0.31.0); remove quiet= (set wandb.Settings(quiet=...) at init instead)
""",
        ),
        Invalid(
            """\
import wandb

wandb.require("service")  # WB308:1 wandb.require("service") does nothing since wandb 0.21.0 (target wandb 0.31.0); remove it (the service is the default; the call only warns)
if __name__ == "__main__":
    wandb.require("service")  # WB308:5 wandb.require("service") does nothing since wandb 0.21.0 (target wandb 0.31.0); remove it (the service is the default; the call only warns)
    wandb.init(project="demo", config={})
""",
            expected_replacement="""\
import wandb

if __name__ == "__main__":
    wandb.init(project="demo", config={})
""",
        ),
        Invalid(
            """\
import wandb

def setup():
    wandb.require("service")  # WB308:5 wandb.require("service") does nothing since wandb 0.21.0 (target wandb 0.31.0); remove it (the service is the default; the call only warns)

run = wandb.init(project="demo", config={})
""",
            expected_replacement="""\
import wandb

def setup():
    pass  # WB308:5 wandb.require("service") does nothing since wandb 0.21.0 (target wandb 0.31.0); remove it (the service is the default; the call only warns)

run = wandb.init(project="demo", config={})
""",
        ),
        Invalid(
            """\
import wandb

run = wandb.init(
    project="demo",
    config={},
    settings=wandb.Settings(start_method="thread"),  # WB308:29 wandb.Settings(start_method=...) raises ValidationError since wandb 0.29.0 (target wandb 0.31.0); remove start_method (it has had no effect since wandb 0.20)
)
""",
            expected_replacement=UNCHANGED,
        ),
        """\
import wandb

run = wandb.init(project="demo", config={}, settings={"start_method": "fork"})  # WB308:55 wandb.Settings(start_method=...) raises ValidationError since wandb 0.29.0 (target wandb 0.31.0); remove start_method (it has had no effect since wandb 0.20)
wandb.require("legacy-service")  # WB308:1 wandb.require("legacy-service") raises UnsupportedError since wandb 0.21.0 (target wandb 0.31.0); remove it (the legacy service no longer exists)
run.join()  # WB308:1 run.join() raises AttributeError since wandb 0.20.0 (target wandb 0.31.0); use run.finish()
""",
        Invalid(
            """\
import wandb as wb

class Trainer:
    def __init__(self):
        self.run = wb.init(project="demo", config={})

    def close(self):
        print(self.run.get_project_url())  # WB308:15 run.get_project_url() raises AttributeError since wandb 0.29.0 (target wandb 0.31.0); use run.project_url
        print(wb.run.project_name())  # WB308:15 run.project_name() raises AttributeError since wandb 0.29.0 (target wandb 0.31.0); use run.project
        wb.finish(quiet=True, exit_code=0)  # WB308:19 run.finish(quiet=...) raises TypeError since wandb 0.29.0 (target wandb 0.31.0); remove quiet= (set wandb.Settings(quiet=...) at init instead)
""",
            expected_replacement="""\
import wandb as wb

class Trainer:
    def __init__(self):
        self.run = wb.init(project="demo", config={})

    def close(self):
        print(self.run.project_url)  # WB308:15 run.get_project_url() raises AttributeError since wandb 0.29.0 (target wandb 0.31.0); use run.project_url
        print(wb.run.project)  # WB308:15 run.project_name() raises AttributeError since wandb 0.29.0 (target wandb 0.31.0); use run.project
        wb.finish(exit_code=0)  # WB308:19 run.finish(quiet=...) raises TypeError since wandb 0.29.0 (target wandb 0.31.0); remove quiet= (set wandb.Settings(quiet=...) at init instead)
""",
        ),
    )
    valid = (
        """\
import threading

import wandb

worker = threading.Thread(target=print)
worker.start()
worker.join()  # a thread, not a run
wandb.join()  # the module function still exists
wandb.require("core")
""",
        """\
import logging

import wandb

def report(run, logger: logging.Logger):
    logger.log(logging.INFO, "done")
    run.finish(quiet=True)  # a parameter named run: nothing says it is wandb's
""",
        """\
import mlflow
import wandb

with mlflow.start_run() as run:
    print(run.info.artifact_uri)
settings = wandb.Settings(mode="offline")
""",
    )
    use_instead = """\
import wandb

run = wandb.init(project="demo", config={})
print(f"tracking at {run.url}")
run.log({"loss": 0.1}, step=0)
run.finish()
"""

    #: the callees the removed APIs' entries ask about (set on the first call of a module)
    _asked: frozenset[str] | None = None

    def visit_Call(self, node: ast.Call) -> None:
        removed = self.ctx.settings.wandb.removed_apis()
        if not removed:
            return
        if self._asked is None:
            self._asked = _asked(removed)
        name = api_name(self.ctx.qualname(node.func))
        if name is None or name not in self._asked:
            return  # the cheap question first: a callee no entry names
        for api in removed:
            if name in api.callables:
                self._check(node, api)
            elif name == "wandb.init" and "wandb.Settings" in api.callables:
                self._check_init_settings(node, api)

    def _check(self, node: ast.Call, api) -> None:
        kind, _, arg = api.what.partition(":")
        if kind == "call":
            fix = None
            if (
                api.fix
                and api.fix.startswith("attribute:")
                and isinstance(node.func, ast.Attribute)
            ):
                if not node.args and not node.keywords:
                    attr = api.fix.partition(":")[2]
                    edit = transform(self.ctx, node, "call_to_attribute", attr)
                    fix = Fix((edit,), applicability=SAFE, title=f"Use .{attr}")
            self._report(node, api, fix)
        elif kind == "keyword":
            kw = keyword(node, arg)
            if kw is None:
                return
            fix = None
            if api.fix == "drop-keyword":
                fix = Fix(
                    (remove_argument(node, kw, self.ctx),),
                    applicability=SAFE,
                    title=f"Remove {arg}=",
                )
            self._report(kw, api, fix)
        elif kind == "argument":
            if node.args and str_value(node.args[0]) == arg and len(node.args) == 1:
                fix = self._drop_statement(node) if api.fix == "drop-statement" else None
                self._report(node, api, fix)

    def _check_init_settings(self, node: ast.Call, api) -> None:
        """``wandb.init(settings={"start_method": ...})`` / ``settings=dict(start_method=...)``:
        wandb builds its Settings from the dict, with the same validation."""
        kind, _, arg = api.what.partition(":")
        settings = keyword(node, "settings")
        if kind != "keyword" or settings is None:
            return
        value = settings.value
        if isinstance(value, ast.Dict):
            for k in value.keys:
                if k is not None and str_value(k) == arg:
                    self._report(k, api, None)
        elif isinstance(value, ast.Call) and self.ctx.qualname(value.func) == "dict":
            kw = keyword(value, arg)
            if kw is not None:
                self._report(kw, api, None)

    def _report(self, node: ast.AST, api, fix: Fix | None) -> None:
        facts = self.ctx.settings.wandb
        effect = _EFFECT.get(api.effect, f"raises {api.effect}")
        self.report(
            node,
            ApiRemoved(
                shape=api.shape,
                effect=effect,
                since=".".join(map(str, api.since)),
                version=facts.version_text,
                replacement=api.replacement,
            ),
            fix=fix,
        )

    def _drop_statement(self, call: ast.Call) -> Fix | None:
        """Remove the statement that is nothing but ``call``; ``pass`` where it is alone in its
        block. Not when the call is part of something else, shares its line, or is the module's
        only use of the name it reaches wandb through (the import would be left unused)."""
        chain = self.ctx.ancestors
        if len(chain) < 2 or not isinstance(chain[-1], ast.Expr) or chain[-1].value is not call:
            return None
        stmt, parent = chain[-1], chain[-2]
        if not _alone_on_its_lines(self.ctx.lines, stmt):
            return None
        root = call.func
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name):
            uses = [
                n for n in ast.walk(self.ctx.tree) if isinstance(n, ast.Name) and n.id == root.id
            ]
            if len(uses) < 2:
                return None
        block = next(
            (
                getattr(parent, f)
                for f in ("body", "orelse", "finalbody")
                if stmt in getattr(parent, f, ())
            ),
            None,
        )
        if block is None:
            return None
        title = "Remove the statement"
        if len(block) == 1 and not isinstance(parent, ast.Module):
            return Fix((replace(stmt, "pass"),), applicability=SAFE, title=title)
        gone = set(range(stmt.lineno, end_of(stmt)[0] + 1))
        return Fix(tuple(_remove_lines(self.ctx.lines, gone)), applicability=SAFE, title=title)


def _version(v: tuple[int, ...]) -> str:
    return ".".join(map(str, v))


def _table() -> list[str]:
    """The rule page's table, row by row, written from the data (wandb_runtime/api_changes.py)."""
    rows = [
        "| call | since wandb | deprecated in | what happens there | instead | fix |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for api in REMOVED_APIS:
        effect = "a warning, nothing else" if api.effect == "no-op" else f"`{api.effect}`"
        fix = "none"
        if api.fix is not None:
            fix = _FIX_TEXT.get(api.fix, f"safe: `.{api.fix.partition(':')[2]}`")
        deprecated = _version(api.deprecated) if api.deprecated else ""
        rows.append(
            f"| `{api.shape}` | {_version(api.since)} | {deprecated} | {effect} "
            f"| {api.replacement} | {fix} |"
        )
    return rows


def _with_table(doc: str) -> str:
    """The docstring with its ``{table}`` line replaced by the table, at that line's indentation.

    The indentation is read, not assumed: Python 3.13 strips a docstring's common indentation at
    compile time, earlier versions keep it, and the rule page must read the same on both.
    """
    match = re.search(r"^([ \t]*)\{table\}$", doc, re.MULTILINE)
    if match is None:
        return doc
    indent = match.group(1)
    return doc[: match.start()] + "\n".join(indent + row for row in _table()) + doc[match.end() :]


RemovedWandbApi.__doc__ = _with_table(RemovedWandbApi.__doc__ or "")


def _asked(removed: tuple) -> frozenset[str]:
    """The callees the entries of ``removed`` are asked about by (``wandb.init`` for a
    setting)."""
    names = {name for api in removed for name in api.callables}
    if "wandb.Settings" in names:
        names.add("wandb.init")
    return frozenset(names)
