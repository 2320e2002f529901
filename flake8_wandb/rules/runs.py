from __future__ import annotations

import ast
from typing import ClassVar

from ..analysis.counters import Loop
from ..analysis.wandb_model import INIT_ATTRIBUTES, SUMMARY_OBJECTS, may_finish_run
from ..engine import UNSAFE, Fix, Invalid, Message, Rule, Transform, end_of, start_of
from .calls import has_star_kwargs, keyword, str_value
from .control_flow import enclosing_loops
from .edits import last_simple_statement, template
from .imports import newline_at, runtime_fix


def _is_init(ctx, node: ast.AST) -> bool:
    return ctx.wandb_init(node)


class RunsNotGrouped(Message):
    template: ClassVar[str] = (
        "several runs made here without group=; pass group= so the runs of one experiment "
        "stay together"
    )


class RunsWithoutGroup(Rule):
    """
    ## What it does

    Reports `wandb.init(...)` that makes several runs (called in a loop, or with `reinit=` set)
    without `group=`.

    ## Why is this bad?

    The runs of one sweep, ablation or cross-validation land loose in the project, mixed with
    every other run. `group=` lets the UI aggregate them (mean and spread across seeds) and
    find them again.

    Opt-in: a convention. `wandb.init(**kwargs)` is not reported (the group may be inside).
    """

    code = "WB601"
    name = "runs-without-group"
    messages = (RunsNotGrouped,)
    default = False
    invalid = (
        """\
import wandb

for seed in range(5):
    run = wandb.init(project="demo", config={"seed": seed})  # WB601:11 several runs made here without group=; pass group= so the runs of one experiment stay together
    run.finish()
""",
    )
    valid = (
        """\
import wandb

for seed in range(5):
    run = wandb.init(project="demo", group="ablation-lr", config={"seed": seed})
    run.finish()
run = wandb.init(project="demo", config={})  # one run: no group needed
""",
    )
    use_instead = """\
import wandb

for seed in range(5):
    run = wandb.init(project="demo", group="seeds", config={"seed": seed})
    run.finish()
"""

    #: only these callees can start a run (``init_call``'s first question)
    attribute_names = {ast.Call: INIT_ATTRIBUTES.__contains__}

    def visit_Call(self, node: ast.Call) -> None:
        if not _is_init(self.ctx, node) or keyword(node, "group") or has_star_kwargs(node):
            return
        if enclosing_loops(self.ctx) or keyword(node, "reinit") is not None:
            self.report(node, RunsNotGrouped())


class InitInLoopNotFinished(Message):
    template: ClassVar[str] = (
        "wandb.init() in a loop without finish(); call {finish} at the end of the loop body, "
        "or use wandb.init() as a context manager"
    )
    finish: str


class InitInLoopWithoutFinish(Rule):
    """
    ## What it does

    Reports `wandb.init(...)` in a loop body that has no `finish()` in that body and is not
    used as a context manager (`with wandb.init(...) as run:`).

    ## Why is this bad?

    Without `finish()`, the next `wandb.init` returns the still-active run (the default
    `reinit` outside notebooks), so every iteration logs into the first run; or, with
    `reinit="create_new"`, runs pile up unfinished until the process exits.

    Opt-in: a convention of the guide.
    """

    code = "WB602"
    name = "init-in-loop-without-finish"
    messages = (InitInLoopNotFinished,)
    default = False
    applicability = (UNSAFE,)
    fix_doc = (
        "Unsafe: appends `run.finish()` (the name the run was assigned to, else `wandb.finish()`) "
        "as the last statement of the loop body. A `continue` or `break` earlier in the body still "
        "skips it: prefer `with wandb.init(...) as run:`."
    )
    invalid = (
        """\
import wandb

for lr in (1e-3, 1e-4):
    run = wandb.init(project="demo", group="lr", config={"lr": lr})  # WB602:11 wandb.init() in a loop without finish(); call run.finish() at the end of the loop body, or use wandb.init() as a context manager
    run.log({"lr": lr}, step=0)
""",
        Invalid(
            """\
import wandb

for lr in (1e-3, 1e-4):
    run = wandb.init(project="demo", group="lr", config={"lr": lr})  # WB602:11 wandb.init() in a loop without finish(); call run.finish() at the end of the loop body, or use wandb.init() as a context manager
    run.log({"lr": lr}, step=0)  # one row per run
""",
            expected_replacement="""\
import wandb

for lr in (1e-3, 1e-4):
    run = wandb.init(project="demo", group="lr", config={"lr": lr})  # WB602:11 wandb.init() in a loop without finish(); call run.finish() at the end of the loop body, or use wandb.init() as a context manager
    run.log({"lr": lr}, step=0)  # one row per run
    run.finish()
""",
        ),
    )
    valid = (
        """\
import wandb

for lr in (1e-3, 1e-4):
    run = wandb.init(project="demo", group="lr", config={"lr": lr})
    run.log({"lr": lr}, step=0)
    run.finish()
for lr in (1e-3, 1e-4):
    with wandb.init(project="demo", group="lr", config={"lr": lr}) as run:
        run.log({"lr": lr}, step=0)
for lr in (1e-3, 1e-4):
    run = wandb.init(project="demo", group="lr", config={"lr": lr}, reinit="finish_previous")
    with run:  # the run is finished when the block ends
        run.log({"lr": lr}, step=0)
""",
    )
    use_instead = """\
import wandb

for lr in (1e-3, 1e-4):
    with wandb.init(project="demo", group="lr", config={"lr": lr}) as run:
        run.log({"lr": lr}, step=0)
"""

    #: only these callees can start a run (``init_call``'s first question)
    attribute_names = {ast.Call: INIT_ATTRIBUTES.__contains__}

    def visit_Call(self, node: ast.Call) -> None:
        if not _is_init(self.ctx, node):
            return
        loops = enclosing_loops(self.ctx)
        if not loops or self._in_with(node):
            return
        loop = loops[0]
        if any(may_finish_run(n) for stmt in loop.body for n in ast.walk(stmt)):
            return
        parent = self.ctx.ancestors[-1]
        name = None
        if (
            isinstance(parent, ast.Assign)
            and parent in loop.body
            and isinstance(parent.targets[0], ast.Name)
        ):
            name = parent.targets[0].id
            # ``run = wandb.init(...)`` then ``with run:`` finishes the run when the block ends
            if any(
                isinstance(n, ast.withitem)
                and isinstance(n.context_expr, ast.Name)
                and n.context_expr.id == name
                for stmt in loop.body
                for n in ast.walk(stmt)
            ):
                return
        finish = f"{name}.finish()" if name else "wandb.finish()"
        self.report(node, InitInLoopNotFinished(finish=finish), fix=self._append(loop, finish))

    def _in_with(self, node: ast.Call) -> bool:
        parent = self.ctx.ancestors[-1] if self.ctx.ancestors else None
        return isinstance(parent, ast.withitem) and parent.context_expr is node

    def _append(self, loop: Loop, statement: str) -> Fix | None:
        first, last = loop.body[0], loop.body[-1]
        if first.lineno == loop.lineno:
            return None  # ``for x in y: body`` on one line: no block to append to
        last_line = end_of(last)[0]
        ending = last_simple_statement(last)  # the simple statement that ends the body
        if ending is None:
            return None
        line = self.ctx.lines[last_line - 1]
        content = line.rstrip("\r\n")
        newline = newline_at(self.ctx, last_line)
        indent_line = self.ctx.lines[first.lineno - 1]
        indent = indent_line[: len(indent_line) - len(indent_line.lstrip())]
        # the last statement's line, re-generated by libcst with the new statement after it, so
        # that a trailing comment stays where it is
        start, end = start_of(ending), (last_line, len(content.encode("utf-8")))
        original = self.ctx.text_between(start, end)
        append = Transform(start, end, original, "statement_after", (indent, newline, statement))
        return Fix(
            (append,),
            applicability=UNSAFE,
            title=f"Append {statement} to the loop body",
        )


class SummaryKeyOutsideFinal(Message):
    template: ClassVar[str] = (
        "summary key {key!r} is not under final/; use {final!r} for end-of-run figures"
    )
    key: str
    final: str


class SummaryWithoutFinalPrefix(Rule):
    """
    ## What it does

    Reports `run.summary["key"] = value` (and `run.summary.key = value`) with a literal key not
    under `final/`.

    ## Why is this bad?

    By default the summary holds the *last* logged value of every metric. Hand-written summary
    values under the same names silently replace those, and readers cannot tell a final,
    deliberate figure (best accuracy, test score) from the last logged one. The guide keeps
    them under `final/`.

    Opt-in: a convention.
    """

    code = "WB603"
    name = "summary-without-final-prefix"
    messages = (SummaryKeyOutsideFinal,)
    default = False
    invalid = (
        """\
import wandb

run = wandb.init(project="demo", config={})
run.summary["best_acc"] = 0.93  # WB603:1 summary key 'best_acc' is not under final/; use 'final/best_acc' for end-of-run figures
""",
    )
    valid = (
        """\
import wandb

run = wandb.init(project="demo", config={})
run.summary["final/best_acc"] = 0.93
scores = {}
scores["best_acc"] = 0.93  # not a run summary
""",
    )
    use_instead = """\
import wandb

run = wandb.init(project="demo", config={})
run.summary["final/best_acc"] = 0.93
"""

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            key = None
            if (
                isinstance(target, ast.Subscript)
                and self.ctx.qualname(target.value) in SUMMARY_OBJECTS
            ):
                key = str_value(target.slice)
            elif (
                isinstance(target, ast.Attribute)
                and self.ctx.qualname(target.value) in SUMMARY_OBJECTS
            ):
                key = target.attr
            if key is not None and not key.startswith("final/"):
                self.report(target, SummaryKeyOutsideFinal(key=key, final=f"final/{key}"))


class LiteralRunName(Message):
    template: ClassVar[str] = (
        "constant run name {name!r}; use run_name({name!r}) from the wandb-runtime package "
        "(adds the version and Slurm job id)"
    )
    name: str


class ConstantRunName(Rule):
    """
    ## What it does

    Reports `wandb.init(name="<literal>")`.

    ## Why is this bad?

    Every run of the script gets the same name: the runs table shows ten "baseline" rows that
    differ by nothing visible, and a run cannot be traced back to its Slurm job or code
    version.

    Opt-in: a convention of the guide.
    """

    code = "WB604"
    name = "constant-run-name"
    messages = (LiteralRunName,)
    default = False
    applicability = (UNSAFE,)
    fix_doc = (
        'Unsafe: `name="x"` becomes `name=run_name("x")` from the runtime shim '
        "(`x_<SLURM_JOB_ID>` on Slurm, `x-<HHMM>` elsewhere), adding "
        "`from wandb_runtime import run_name` next to the module's own `import wandb` (as "
        "`wandb_run_name` when the module already uses the name `run_name`). Run names change: "
        "dashboards filtered on the old name need updating. Needs the `wandb-runtime` package."
    )
    invalid = (
        Invalid(
            """\
import wandb

run = wandb.init(project="demo", name="baseline", config={})  # WB604:34 constant run name 'baseline'; use run_name('baseline') from the wandb-runtime package (adds the version and Slurm job id)
""",
            expected_replacement="""\
import wandb
from wandb_runtime import run_name

run = wandb.init(project="demo", name=run_name("baseline"), config={})  # WB604:34 constant run name 'baseline'; use run_name('baseline') from the wandb-runtime package (adds the version and Slurm job id)
""",
        ),
    )
    valid = (
        """\
import os

import wandb

run = wandb.init(project="demo", name=f"baseline-{os.environ['SLURM_JOB_ID']}", config={})
""",
    )
    use_instead = """\
import wandb
from wandb_runtime import run_name

run = wandb.init(project="demo", name=run_name("baseline", version=2), config={})
"""

    #: only these callees can start a run (``init_call``'s first question)
    attribute_names = {ast.Call: INIT_ATTRIBUTES.__contains__}

    def visit_Call(self, node: ast.Call) -> None:
        if not _is_init(self.ctx, node):
            return
        kw = keyword(node, "name")
        value = str_value(kw.value) if kw is not None else None
        if kw is None or value is None:
            return
        target = kw.value
        fix = runtime_fix(
            self.ctx,
            kw,
            "run_name",
            lambda local: template(self.ctx, target, local + "({node})"),
            "Wrap the name in {local}()",
        )
        self.report(kw, LiteralRunName(name=value), fix=fix)
