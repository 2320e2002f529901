from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import ClassVar

from ..analysis.wandb_model import CONSOLE_ATTRIBUTES
from ..engine import ITEM_ONLY, SAFE, UNSAFE, Fix, Invalid, Message, Rule
from ..versions import REINIT_FOR, REINIT_STRINGS_SINCE
from .calls import keyword, str_value
from .edits import replace, string_literal

VERSION_DOC = (
    " What the target wandb accepts is decided once per run: the `wandb-target-version` setting "
    "(`--wandb-target-version` for flake8 and wandb-fix) wins; else the wandb requirement the "
    "project declares (pyproject, requirements*.txt, setup.cfg, setup.py, environment.yml), and "
    "then a fix must hold for every version it allows; else the installed wandb, read without "
    "importing it; else wandb 0.31, the version the facts were measured on (docs/facts.md)."
)


def reinit_values(ctx, node: ast.Call) -> Iterator[ast.AST]:
    """``reinit=`` of ``wandb.init`` / ``wandb.Settings``, and the ``"reinit"`` key of
    accelerate's ``init_kwargs={"wandb": {...}}``."""
    if not node.keywords:
        return  # the cheap question first: ``reinit=`` and ``init_kwargs=`` are keywords
    init = ctx.init_call(node)
    if (init is not None and init.via == "wandb.init") or ctx.settings_call(node):
        kw = keyword(node, "reinit")
        if kw is not None:
            yield kw.value
        return
    if init is not None and init.via == "init_trackers":
        yield from init.argument("reinit")


def _quoted(ctx, literal: ast.AST, value: str) -> str:
    quote = "'" if ctx.segment(literal).lstrip("rRbBuU")[:1] == "'" else '"'
    return f"{quote}{value}{quote}"


class ReinitBoolOlderAllowed(Message):
    """The declared requirement also allows versions that reject the strings: no fix."""

    template: ClassVar[str] = (
        "reinit={value} is deprecated in wandb {since} and later; {requirement} also allows "
        "older ones that reject {replacement!r}: raise it to >={since} first"
    )
    value: bool
    since: str
    requirement: str
    replacement: str


class ReinitBool(Message):
    template: ClassVar[str] = (
        "reinit={value} is deprecated in wandb {version}; use reinit={replacement!r} (same "
        "behaviour)"
    )
    value: bool
    version: str
    replacement: str


class DeprecatedReinitBool(Rule):
    """
    ## What it does

    Reports `wandb.init(reinit=True)` / `reinit=False` (and the same in `wandb.Settings`).

    ## Why is this bad?

    Boolean `reinit` is deprecated since wandb took the string values `"default"`,
    `"return_previous"`, `"finish_previous"` and `"create_new"` (wandb 0.19.10): the target wandb
    prints a deprecation warning on every init (measured on 0.31). `True` behaves as
    `"finish_previous"`, `False` as `"return_previous"`, so the strings say the same thing
    without the warning.

    Not reported: string values; a target wandb whose `reinit` is still a plain bool. Where the
    project's wandb requirement allows both (`wandb>=0.13.11`), the finding names the versions and
    has no fix: `reinit="finish_previous"` raises at `wandb.init` on 0.18.7 and 0.19.1.
    """

    code = "WB306"
    name = "deprecated-reinit-bool"
    # a bool `reinit` is a `reinit=` keyword or a `"reinit"` key
    needs = ("reinit",)
    messages = (ReinitBool, ReinitBoolOlderAllowed)
    applicability = (SAFE,)
    fix_doc = (
        'Safe: `True` becomes `"finish_previous"` and `False` becomes `"return_previous"`, the '
        "values wandb documents as their exact equivalents." + VERSION_DOC
    )
    invalid = (
        """\
import wandb

for seed in range(3):
    run = wandb.init(project="demo", config={"seed": seed}, reinit=True)  # WB306:61 reinit=True is deprecated in wandb 0.31.0; use reinit='finish_previous' (same behaviour)
    run.finish()
""",
        Invalid(
            """\
import wandb

run = wandb.init(project="demo", config={}, reinit=True)  # WB306:45 reinit=True is deprecated in wandb 0.31.0; use reinit='finish_previous' (same behaviour)
again = wandb.init(project="demo", config={}, reinit=False)  # WB306:47 reinit=False is deprecated in wandb 0.31.0; use reinit='return_previous' (same behaviour)
""",
            expected_replacement="""\
import wandb

run = wandb.init(project="demo", config={}, reinit="finish_previous")  # WB306:45 reinit=True is deprecated in wandb 0.31.0; use reinit='finish_previous' (same behaviour)
again = wandb.init(project="demo", config={}, reinit="return_previous")  # WB306:47 reinit=False is deprecated in wandb 0.31.0; use reinit='return_previous' (same behaviour)
""",
        ),
        """\
from accelerate import Accelerator

accelerator = Accelerator(log_with="wandb")
accelerator.init_trackers("demo", config={}, init_kwargs={"wandb": {"reinit": True}})  # WB306:79 reinit=True is deprecated in wandb 0.31.0; use reinit='finish_previous' (same behaviour)
""",
    )
    valid = (
        """\
import wandb

run = wandb.init(project="demo", config={}, reinit="finish_previous")
other = wandb.init(project="demo", config={}, reinit="create_new")
""",
    )
    use_instead = """\
import wandb

for seed in range(3):
    run = wandb.init(project="demo", config={"seed": seed}, reinit="finish_previous")
    run.finish()
"""

    def visit_Call(self, node: ast.Call) -> None:
        for value in reinit_values(self.ctx, node):
            if not isinstance(value, ast.Constant) or not isinstance(value.value, bool):
                continue
            facts = self.ctx.settings.wandb
            if not facts.reinit_strings_somewhere:
                return  # every targeted wandb takes a bool: nothing is deprecated there
            replacement = REINIT_FOR[value.value]
            parent = keyword(node, "reinit")
            where = parent if parent is not None and parent.value is value else value
            if not facts.reinit_strings:
                # the declared requirement also allows versions that reject the strings
                since = ".".join(map(str, REINIT_STRINGS_SINCE))
                self.report(
                    where,
                    ReinitBoolOlderAllowed(
                        value=value.value,
                        since=since,
                        requirement=facts.requirement or "the target",
                        replacement=replacement,
                    ),
                )
                continue
            literal = string_literal(self.ctx, replacement)  # the quote an f-string leaves free
            fix = None
            if literal is not None:
                fix = Fix(
                    (replace(value, literal),),
                    applicability=SAFE,
                    title=f'Use reinit="{replacement}"',
                )
            version = facts.version_text
            self.report(
                where,
                ReinitBool(value=value.value, version=version, replacement=replacement),
                fix=fix,
            )


class _ConsoleRule(Rule):
    """Shared detection of the console rules: every place a ``console`` value is set."""

    #: an assignment sets a console only to an item (``os.environ["WANDB_CONSOLE"] = ...``)
    attribute_names = {ast.Call: CONSOLE_ATTRIBUTES.__contains__, ast.Assign: ITEM_ONLY}

    def visit_Call(self, node: ast.Call) -> None:
        for literal in self.ctx.console_setting(node):
            self._check(literal)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:  # the cheap question first: ``os.environ[K] = v`` only
            if isinstance(target, ast.Subscript):
                break
        else:
            return
        literal = next(iter(self.ctx.console_setting(node)), None)
        if literal is not None:
            self._check(literal)

    def _check(self, literal: ast.AST) -> None:
        raise NotImplementedError


class ConsoleRejected(Message):
    template: ClassVar[str] = (
        "console={value!r} is rejected by wandb {version} (ValidationError at init); use "
        'console="wrap"'
    )
    value: str
    version: str


class InvalidConsoleSetting(_ConsoleRule):
    """
    ## What it does

    Reports a `console` setting wandb rejects: `console=` in `wandb.Settings(...)`, a
    `"console"` key in `wandb.init(settings={...})` or `settings=dict(console=...)`, and
    `WANDB_CONSOLE` set in `os.environ` to such a value. The target wandb (0.31, as measured)
    accepts `auto`, `off`, `wrap`, `redirect`, `wrap_raw` and `wrap_emu`.

    ## Why is this bad?

    An unknown value is a `ValidationError` at `wandb.init`: the job dies before training
    starts (or, in code that catches it, runs without tracking). `"wrap_pty"`, advised by
    older guides, is the usual culprit.
    """

    code = "WB307"
    name = "invalid-console-setting"
    messages = (ConsoleRejected,)
    applicability = (SAFE,)
    fix_doc = (
        'Safe: the value becomes `"wrap"`, which captures stdout and stderr (tqdm bars end as '
        "one clean line); the program crashed before, so no working behaviour changes."
        + VERSION_DOC
    )
    triggers = ("wandb", "WANDB_CONSOLE")
    # a console value is set by a `console` keyword or key, or by `WANDB_CONSOLE`
    needs = ("console", "CONSOLE")
    invalid = (
        """\
import wandb

settings = wandb.Settings(console="wrap_pty")  # WB307:35 console='wrap_pty' is rejected by wandb 0.31.0 (ValidationError at init); use console="wrap"
run = wandb.init(project="demo", config={}, settings={"console": "pty"})  # WB307:66 console='pty' is rejected by wandb 0.31.0 (ValidationError at init); use console="wrap"
""",
        """\
import os

os.environ["WANDB_CONSOLE"] = "wrap_pty"  # WB307:31 console='wrap_pty' is rejected by wandb 0.31.0 (ValidationError at init); use console="wrap"
""",
        Invalid(
            """\
import wandb

settings = wandb.Settings(console='wrap_pty')  # WB307:35 console='wrap_pty' is rejected by wandb 0.31.0 (ValidationError at init); use console="wrap"
""",
            expected_replacement="""\
import wandb

settings = wandb.Settings(console='wrap')  # WB307:35 console='wrap_pty' is rejected by wandb 0.31.0 (ValidationError at init); use console="wrap"
""",
        ),
        """\
import os

from accelerate import Accelerator

os.environ.update({"WANDB_CONSOLE": "wrap_pty"})  # WB307:37 console='wrap_pty' is rejected by wandb 0.31.0 (ValidationError at init); use console="wrap"
accelerator = Accelerator(log_with="wandb")
accelerator.init_trackers(
    "demo", config={}, init_kwargs={"wandb": {"settings": {"console": "pty"}}}  # WB307:71 console='pty' is rejected by wandb 0.31.0 (ValidationError at init); use console="wrap"
)
""",
    )
    valid = (
        """\
import os

import wandb

settings = wandb.Settings(console="wrap")
run = wandb.init(project="demo", config={}, settings=wandb.Settings(console="off"))
os.environ["WANDB_CONSOLE"] = "redirect"
terminal = dict(console="wrap_pty")  # not a wandb setting
""",
    )
    use_instead = """\
import wandb

settings = wandb.Settings(console="wrap")
"""

    def _check(self, literal: ast.AST) -> None:
        value = str_value(literal)
        if value is None:
            return
        facts = self.ctx.settings.wandb
        if value in facts.console_values:
            return
        fix = Fix(
            (replace(literal, _quoted(self.ctx, literal, "wrap")),),
            applicability=SAFE,
            title='Use console="wrap"',
        )
        self.report(
            literal,
            ConsoleRejected(value=value, version=facts.version_text),
            fix=fix,
        )


class ConsoleOffDropsPrints(Message):
    template: ClassVar[str] = (
        "console={value!r} drops every printed diagnostic from the run's Logs tab; use "
        'console="wrap"'
    )
    value: str


class ConsoleRedirectLosesTqdm(Message):
    template: ClassVar[str] = (
        "console={value!r} loses tqdm bars when stdout is not a terminal (Slurm, CI); use "
        'console="wrap"'
    )
    value: str


class LossyConsoleSetting(_ConsoleRule):
    """
    ## What it does

    Reports `console="off"` in a module that prints diagnostics (a `print` of a computed
    value), and `console="redirect"` in a module that uses tqdm.

    ## Why is this bad?

    With `console="off"`, wandb writes no `output.log`: every printed diagnostic is missing
    from the run's Logs tab, so nobody can debug the run from W&B. With `"redirect"` and a
    parent that is not a terminal (Slurm, CI), a tqdm bar is lost entirely (measured with
    wandb 0.31); under `"wrap"` it lands as one clean final line.

    Opt-in: `"off"` can be a deliberate choice for very chatty jobs.
    """

    code = "WB502"
    name = "lossy-console-setting"
    messages = (ConsoleOffDropsPrints, ConsoleRedirectLosesTqdm)
    default = False
    applicability = (UNSAFE,)
    fix_doc = (
        'Unsafe: the value becomes `"wrap"`, so wandb captures (and uploads) the console '
        "output it previously left out."
    )
    triggers = ("wandb", "WANDB_CONSOLE")
    # a console value is set by a `console` keyword or key, or by `WANDB_CONSOLE`
    needs = ("console", "CONSOLE")
    invalid = (
        """\
import wandb

run = wandb.init(project="demo", config={}, settings=wandb.Settings(console="off"))  # WB502:77 console='off' drops every printed diagnostic from the run's Logs tab; use console="wrap"
for step in range(10):
    loss = 1.0 / (step + 1)
    print(f"step {step} loss {loss}")
""",
        """\
import wandb
from tqdm import tqdm

settings = wandb.Settings(console="redirect")  # WB502:35 console='redirect' loses tqdm bars when stdout is not a terminal (Slurm, CI); use console="wrap"
for batch in tqdm(range(100)):
    pass
""",
        Invalid(
            """\
import wandb
from tqdm import tqdm

settings = wandb.Settings(console="redirect")  # WB502:35 console='redirect' loses tqdm bars when stdout is not a terminal (Slurm, CI); use console="wrap"
bar = tqdm(range(10))
""",
            expected_replacement="""\
import wandb
from tqdm import tqdm

settings = wandb.Settings(console="wrap")  # WB502:35 console='redirect' loses tqdm bars when stdout is not a terminal (Slurm, CI); use console="wrap"
bar = tqdm(range(10))
""",
        ),
    )
    valid = (
        """\
import wandb

run = wandb.init(project="demo", config={}, settings=wandb.Settings(console="off"))
print("starting")  # a banner, no diagnostic value
""",
        """\
import wandb

settings = wandb.Settings(console="redirect")  # no tqdm in this module
""",
    )
    use_instead = """\
import wandb

run = wandb.init(project="demo", config={}, settings=wandb.Settings(console="wrap"))
"""

    def _check(self, literal: ast.AST) -> None:
        value = str_value(literal)
        message: Message
        if value == "off" and self._prints_diagnostics():
            message = ConsoleOffDropsPrints(value=value)
        elif value == "redirect" and self._uses_tqdm():
            message = ConsoleRedirectLosesTqdm(value=value)
        else:
            return
        fix = Fix(
            (replace(literal, _quoted(self.ctx, literal, "wrap")),),
            applicability=UNSAFE,
            title='Use console="wrap"',
        )
        self.report(literal, message, fix=fix)

    def _prints_diagnostics(self) -> bool:
        for call, scope in self.ctx.names.calls_named("print"):
            if self.ctx.names.qualname(call.func, scope) == "print":
                if any(not isinstance(a, ast.Constant) for a in call.args):
                    return True
        return False

    def _uses_tqdm(self) -> bool:
        names = self.ctx.names
        return any(
            (names.lookup(n, names.module) or "").startswith("tqdm") for n in names.module.bindings
        )
