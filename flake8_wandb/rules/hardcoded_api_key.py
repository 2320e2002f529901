from __future__ import annotations

import ast
from collections.abc import Sequence

from ..analysis import secrets
from ..engine import UNSAFE, Change, Edit, Fix, Invalid, Rule, end_of, start_of
from .edits import replace


def _alone_on_its_lines(lines: Sequence[str], stmt: ast.stmt) -> bool:
    (line1, col1), (line2, col2) = start_of(stmt), end_of(stmt)
    first = lines[line1 - 1].encode()
    last = lines[line2 - 1].encode()
    rest = last[col2:].decode().strip()
    return not first[:col1].strip() and (not rest or rest.startswith("#"))


def _root_name(stmt: ast.stmt) -> str | None:
    """``os`` in ``os.environ[...] = ...`` / ``os.environ.update(...)``; ``environ`` after
    ``from os import environ``."""
    node: ast.AST = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        node = node.target
    if isinstance(node, ast.Expr):
        node = node.value
    if isinstance(node, ast.Call):
        node = node.func
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _bound(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, ast.Import):
        return {a.asname or a.name.split(".")[0] for a in stmt.names}
    return {a.asname or a.name for a in stmt.names}  # type: ignore[attr-defined]


def _inside(node: ast.AST, outer: ast.AST) -> bool:
    start = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
    begin = (getattr(outer, "lineno", 0), getattr(outer, "col_offset", 0))
    end = (getattr(outer, "end_lineno", 0), getattr(outer, "end_col_offset", 0))
    return begin <= start < end


def _remove_lines(lines: Sequence[str], gone: set[int]) -> list[Edit]:
    """Edits deleting whole lines, and the blank lines the deletion would leave in a run: the
    gap left keeps as many blank lines as the wider of its two sides had (none at the start or
    the end of the file), so the file is as clean as before."""
    gone = set(gone)
    n = len(lines)

    def blank(i: int) -> bool:
        return not lines[i - 1].strip()

    for a, b in _runs(gone):
        before = [i for i in range(a - 1, 0, -1) if i not in gone]
        after = [i for i in range(b + 1, n + 1) if i not in gone]
        bb = 0
        while bb < len(before) and blank(before[bb]):
            bb += 1
        ba = 0
        while ba < len(after) and blank(after[ba]):
            ba += 1
        if bb == len(before):  # only blank lines above: the file now starts here
            gone.update(after[:ba])
        elif ba == len(after):  # only blank lines below: the file now ends here
            gone.update(before[:bb])
        else:
            gone.update(after[: min(bb, ba)])
    # a form feed in a deleted line's indentation is layout outside the fix: it stays
    return [
        Edit((a, 0), (b + 1, 0), "".join(_form_feeds(lines[i - 1]) for i in range(a, b + 1)))
        for a, b in _runs(gone)
    ]


def _form_feeds(line: str) -> str:
    indent = line[: len(line) - len(line.lstrip(" \t\f"))]
    return "\f" * indent.count("\f")


def _runs(numbers: set[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for i in sorted(numbers):
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


class HardcodedApiKey(Rule):
    """
    ## What it does

    Reports a W&B API key written in source, in any of its formats — legacy (40 hex
    characters), `wandb_v1_` followed by 77 letters, digits and `_` (since wandb 0.22.3), on-prem
    `<prefix>-<secret of 40 or more characters>` — wherever it travels to wandb:

    - given to `wandb.login(key=...)`, `wandb.Api(api_key=...)` or `wandb.Settings(api_key=...)`
      (by keyword, by position, or in `**{"key": ...}`), directly, through a name bound to it
      (`API_TOKEN = "..."` then `wandb.login(key=API_TOKEN)`) or as the default of
      `os.environ.get(...)` / `os.getenv(...)`;
    - set as `WANDB_API_KEY` (`os.environ[...] = `, `update(...)` with a keyword, a dict or
      `dict(...)`, `setdefault`, `putenv`, `os.environ |= {...}`), or as the default of
      `os.environ.get("WANDB_API_KEY", ...)`; in a notebook also `%env WANDB_API_KEY=...` and
      `!wandb login <key>`;
    - in a key format: assigned to a name for a W&B key (`WANDB_KEY`, `wb_token`, in any module:
      the settings file that holds `WANDB_KEY = "..."` often imports nothing), passed as such a
      keyword argument or parameter default (`train(wandb_key=...)`), the default of an
      argparse option named for a key (`--wandb_key`, `--wandb-api-key`: it ends up in
      `config=vars(args)`), or an entry of a config given to a run (`wandb.init(config=...)`,
      `run.config.update(...)`, nested dicts too), which uploads it to the W&B UI;
    - in a notebook, a key in a cell's saved outputs (a committed notebook that once printed it),
      reported at that cell.

    A literal is any string written without computing it: adjacent literals over several lines,
    escapes, bytes, f-strings without placeholders and `+` of literals. Where only a key belongs
    (a key argument, `WANDB_API_KEY`), placeholders (`"<your-key>"`) are reported too: such a
    line is where users paste their real key. An empty string is not reported. A 40-hex value
    named for a hash (`GIT_SHA = "..."`, `revision=`, `commit`, `sha`, a run id) is a git SHA, not
    a key, and is never reported.

    ## Why is this bad?

    Anyone with read access to the repository (and every fork, CI log and wheel built from it)
    can log runs as you and read your projects; a key in a run's config is shown to everyone who
    can see the run. Removing the line does not help on its own: the key stays in version control
    history, so it must be rotated at wandb.ai/authorize. Common secret scanners miss W&B keys
    (gitleaks has no rule for them; Bandit's hard-coded password checks look at names only).

    Nothing wandb-fix prints shows the key: messages name where it is, and every diff (context
    and changed lines, a `# noqa: WB302` line too), JSON, GitHub and SARIF report, error, warning
    and progress line masks each key the secrets finder knows by its place in the source, and any
    run shaped like a key, as `<redacted>`. A diff that shows a mask cannot be applied as a
    patch; `--apply` writes the real fix.

    ## Known problems

    flake8's own `--show-source` (or `show-source = true` in a config) prints the source line of
    every finding, and a plugin cannot change what flake8 prints: for a key written on the
    reported line, flake8 then prints the key. In CI, leave `show-source` off (its default) and
    say so explicitly where a shared config may turn it on:

    ```ini
    # setup.cfg / tox.ini / .flake8
    [flake8]
    show-source = false
    ```

    or run `flake8 --no-show-source`, or run `wandb-fix --check`, which masks the key in
    everything it prints.
    """

    code = "WB302"
    name = "hardcoded-api-key"
    messages = (secrets.KeyHardcoded,)
    applicability = (UNSAFE,)
    fix_doc = (
        "Unsafe: removes the literal wherever the key travelled, so wandb reads `WANDB_API_KEY` "
        "from the environment: the `key=`/`api_key=` argument (a positional key followed by other "
        "positional arguments becomes `None`) and, when nothing else reads it, the statement that "
        "bound the name it came through; the default of `os.environ.get(...)`/`getenv(...)`; the "
        "`WANDB_API_KEY` item of an environment update, or the whole statement that sets the "
        "variable (the only statement of a block becomes `pass`); the argparse default; the "
        "config entry. The file is left as clean as before: no run of blank lines where the "
        "statement was, and an import that only the removed statements used (`import os`) goes "
        "with them. A machine that relied on the literal must now set the variable. The fix "
        "cannot rotate the key: do that too. Names assigned a key literal get no fix (code may "
        "use them), nor does a key in a notebook's `%env` line or saved output."
    )
    triggers = ("wandb", "WANDB_", "Wandb", "WandB")
    invalid = (
        Invalid(
            """\
import wandb

wandb.login(
    key="0123456789abcdef0123"  # WB302:9 W&B API key hard-coded in wandb.login(key=...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
    "456789abcdef01234567",
    relogin=True,
)
wandb.login(key=f"0123456789abcdef0123456789abcdef01234567")  # WB302:17 W&B API key hard-coded in wandb.login(key=...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
api = wandb.Api(None, 30, "0123456789abcdef0123456789abcdef01234567")  # WB302:27 W&B API key hard-coded in wandb.Api(api_key=...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
""",
            expected_replacement="""\
import wandb

wandb.login(
    relogin=True,
)
wandb.login()  # WB302:17 W&B API key hard-coded in wandb.login(key=...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
api = wandb.Api(None, 30)  # WB302:27 W&B API key hard-coded in wandb.Api(api_key=...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
""",
        ),
        Invalid(
            """\
import os

import wandb

os.environ["WANDB_API_KEY"] = "0123456789abcdef0123456789abcdef01234567"  # WB302:1 W&B API key hard-coded in os.environ["WANDB_API_KEY"]; remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)

run = wandb.init(project="demo", config={})
""",
            expected_replacement="""\
import wandb

run = wandb.init(project="demo", config={})
""",
        ),
        Invalid(
            """\
import os

import wandb

os.environ.update({"WANDB_API_KEY": b"0123456789abcdef0123456789abcdef01234567", "WANDB_PROJECT": "demo"})  # WB302:1 W&B API key hard-coded in os.environ.update(WANDB_API_KEY=...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
os.environ.setdefault("WANDB_API_KEY", "0123456789abcdef" + "0123456789abcdef01234567")  # WB302:1 W&B API key hard-coded in os.environ.setdefault("WANDB_API_KEY", ...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
run = wandb.init(config={})
""",
            expected_replacement="""\
import os

import wandb

os.environ.update({"WANDB_PROJECT": "demo"})  # WB302:1 W&B API key hard-coded in os.environ.update(WANDB_API_KEY=...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
run = wandb.init(config={})
""",
        ),
        Invalid(
            """\
import os

import wandb

API_TOKEN = "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"
wandb.login(key=API_TOKEN)  # WB302:17 W&B API key hard-coded in wandb.login(key=...) through API_TOKEN; remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
wandb.login(key=os.environ.get("WANDB_API_KEY", "0123456789abcdef0123456789abcdef01234567"))  # WB302:49 W&B API key hard-coded in the default of os.environ.get('WANDB_API_KEY', ...) given to wandb.login(key=...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
if os.environ.get("CI"):
    os.environ.setdefault("WANDB_API_KEY", "local-0123456789abcdef0123456789abcdef01234567")  # WB302:5 W&B API key hard-coded in os.environ.setdefault("WANDB_API_KEY", ...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
""",
            expected_replacement="""\
import os

import wandb

wandb.login()  # WB302:17 W&B API key hard-coded in wandb.login(key=...) through API_TOKEN; remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
wandb.login(key=os.environ.get("WANDB_API_KEY"))  # WB302:49 W&B API key hard-coded in the default of os.environ.get('WANDB_API_KEY', ...) given to wandb.login(key=...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
if os.environ.get("CI"):
    pass  # WB302:5 W&B API key hard-coded in os.environ.setdefault("WANDB_API_KEY", ...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
""",
        ),
        Invalid(
            """\
import argparse

import wandb

parser = argparse.ArgumentParser()
parser.add_argument("--wandb_key", default="0123456789abcdef0123456789abcdef01234567")  # WB302:44 W&B API key hard-coded in the default of the '--wandb_key' option; remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
parser.add_argument("--lr", type=float, default=1e-3)
args = parser.parse_args()
run = wandb.init(config={"lr": args.lr, "wb_key": "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", "seed": 0})  # WB302:51 W&B API key hard-coded in the config given to wandb.init ('wb_key'); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
""",
            expected_replacement="""\
import argparse

import wandb

parser = argparse.ArgumentParser()
parser.add_argument("--wandb_key")  # WB302:44 W&B API key hard-coded in the default of the '--wandb_key' option; remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
parser.add_argument("--lr", type=float, default=1e-3)
args = parser.parse_args()
run = wandb.init(config={"lr": args.lr, "seed": 0})  # WB302:51 W&B API key hard-coded in the config given to wandb.init ('wb_key'); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
""",
        ),
        """\
import wandb

WANDB_API_KEY_PROD = "0123456789abcdef0123456789abcdef01234567"  # WB302:1 W&B API key hard-coded in WANDB_API_KEY_PROD; remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
api = wandb.Api(api_key="0123456789abcdef0123456789abcdef01234567", timeout=30)  # WB302:25 W&B API key hard-coded in wandb.Api(api_key=...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
wandb.login(**{"key": "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"})  # WB302:23 W&B API key hard-coded in wandb.login(key=...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
""",
        """\
# settings.py: imports nothing
PROJECT = "demo"
WANDB_KEY = "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"  # WB302:1 W&B API key hard-coded in WANDB_KEY; remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
""",
        """\
import wandb

# a template: this is the line where users paste their real key
wandb.login(key="<your-api-key>")  # WB302:17 W&B API key hard-coded in wandb.login(key=...); remove it, use WANDB_API_KEY from the environment, and rotate it if it is a real key (it stays in git history)
""",
    )
    valid = (
        """\
import os

import wandb

wandb.login(key=os.environ["WANDB_API_KEY"])
wandb.login(key="")  # empty: wandb reads WANDB_API_KEY
api = wandb.Api(api_key=os.getenv("WANDB_API_KEY"))
wandb.login(key=f"{os.environ['PREFIX']}0123456789abcdef0123456789abcdef")  # computed
""",
        """\
from dotenv import load_dotenv

import wandb

load_dotenv()
wandb.login()
commit_sha = "0123456789abcdef0123456789abcdef01234567"  # a hash, not a key name
""",
        """\
import argparse

import wandb

# git SHAs are hashes, whatever wandb is given
GIT_SHA = "0123456789abcdef0123456789abcdef01234567"
parser = argparse.ArgumentParser()
parser.add_argument("--revision", default="0123456789abcdef0123456789abcdef01234567")
parser.add_argument("--wandb_key", default=None)
args = parser.parse_args()
run = wandb.init(
    config={"commit": "0123456789abcdef0123456789abcdef01234567", "sha": GIT_SHA},
    id="3kd92x1a",
)
model = load("gpt2", revision="0123456789abcdef0123456789abcdef01234567")
""",
    )
    use_instead = """\
import wandb

wandb.login()  # reads WANDB_API_KEY, or ~/.netrc after `wandb login`
"""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        #: the nodes the key finder asks about, gathered on the engine's walk (no walk of its own)
        self.collected = secrets.Collected()

    def _collect(self, node: ast.AST) -> None:
        self.collected.add(node, self.ctx.scope)

    visit_Call = visit_AugAssign = visit_Assign = visit_AnnAssign = visit_arguments = _collect

    def end_module(self) -> None:
        found = secrets.find(self.ctx, self.collected)
        # an import used only by removed statements goes with the last one removed
        removed = [stmt for site in found.sites if site.fixable for stmt, _ in site.statements]
        for site in found.sites:
            fix = None
            if site.fixable and (site.edits or site.statements):
                edits = list(site.edits)
                for stmt, parent in site.statements:
                    more = self._statement_edits(stmt, parent, removed)
                    if more is None:
                        edits = []
                        break
                    edits += more
                fix = (
                    Fix(tuple(edits), applicability=UNSAFE, title="Remove the key")
                    if edits
                    else None
                )
            self.report(
                site.node,
                secrets.KeyHardcoded(where=site.where),
                fix=fix,
                secrets=tuple(site.literals),
            )

    # -- removing a statement that holds the key -------------------------------------------------

    def _statement_edits(
        self, stmt: ast.stmt, parent: ast.AST | None, removed: list[ast.stmt]
    ) -> list[Change] | None:
        """The edits that remove ``stmt``; None when it cannot go cleanly (it shares its lines
        with other code). The only statement of a block becomes ``pass``."""
        lines = self.ctx.lines
        if not _alone_on_its_lines(lines, stmt):
            return None
        imported: set[int] = set()
        extra: list[Change] = []
        imp = self._import_only_used_by(stmt, removed)
        if imp is not None:
            imp_stmt, last_user = imp
            if last_user:
                imported = set(range(imp_stmt.lineno, end_of(imp_stmt)[0] + 1))
            else:  # other removable users remain: touch the import so they apply one by one
                extra.append(replace(imp_stmt, self.ctx.segment(imp_stmt)))
        fields = ("body", "orelse", "finalbody")
        block = next((getattr(parent, f) for f in fields if stmt in getattr(parent, f, ())), None)
        if block is not None and block[0] is stmt and all(s in removed for s in block):
            # the block would be empty: ``pass`` keeps it
            return [
                replace(stmt, "pass"),
                *(_remove_lines(lines, imported) if imported else ()),
            ] + extra
        gone = set(range(stmt.lineno, end_of(stmt)[0] + 1)) | imported
        return _remove_lines(lines, gone) + extra

    def _import_only_used_by(
        self, stmt: ast.stmt, removed: list[ast.stmt]
    ) -> tuple[ast.stmt, bool] | None:
        """The module-level import of the name ``stmt`` reaches the environment through (``os``
        of ``os.environ``) when nothing but env statements this rule removes uses it; with
        whether ``stmt`` is its last user."""
        root = _root_name(stmt)
        if root is None:
            return None
        imports = [
            s
            for s in self.ctx.tree.body
            if isinstance(s, (ast.Import, ast.ImportFrom)) and root in _bound(s)
        ]
        if len(imports) != 1 or len(imports[0].names) != 1:
            return None
        imp = imports[0]
        if not _alone_on_its_lines(self.ctx.lines, imp):
            return None
        others = [
            n
            for n in ast.walk(self.ctx.tree)
            if isinstance(n, ast.Name) and n.id == root and not _inside(n, stmt)
        ]
        if any(not any(_inside(n, r) for r in removed) for n in others):
            return None
        if "__all__" in self.ctx.source:
            return None  # the name may be exported
        return imp, not others
