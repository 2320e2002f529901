from __future__ import annotations

import ast
import re
from typing import Optional

from ..engine import Fix, Invalid, Rule
from .common import keyword, remove_argument, remove_statement, str_value

_HEX_KEY = re.compile(r"[0-9a-f]{40}")
_PLACEHOLDER = re.compile(r"your|<|>|xxx|\.\.\.|changeme|placeholder|example|\s", re.I)
KEY_ARGS = {
    "wandb.login": "key",
    "wandb.Api": "api_key",
    "wandb.Settings": "api_key",
    "wandb.sdk.Settings": "api_key",
}


def _secret(node: Optional[ast.AST]) -> Optional[str]:
    """The literal when it looks like a real key (not empty, not a placeholder)."""
    value = str_value(node)
    if value is None or len(value) < 20 or _PLACEHOLDER.search(value):
        return None
    return value


class HardcodedApiKey(Rule):
    """
    ## What it does

    Reports a W&B API key written in source: a string literal given to `wandb.login(key=...)`,
    `wandb.Api(api_key=...)` or `wandb.Settings(api_key=...)`, assigned to
    `os.environ["WANDB_API_KEY"]` (or set with `setdefault`, `update`, `putenv`), and any
    40-hex-character literal assigned to a name containing `wandb` and `key`. Placeholders
    (`"<your-key>"`, `"xxx..."`) are not reported.

    ## Why is this bad?

    Anyone with read access to the repository (and every fork, CI log and wheel built from it)
    can log runs as you and read your projects. Removing the line does not help on its own: the
    key stays in version control history, so it must be rotated at wandb.ai/authorize.

    Messages and diffs never show the key.
    """

    code = "WB302"
    name = "hardcoded-api-key"
    message = "W&B API key hard-coded in {where}; remove it, use WANDB_API_KEY from the environment, and rotate the key (it stays in git history)"
    fix_safety = "unsafe"
    fix_doc = (
        "Unsafe: removes the literal so wandb reads `WANDB_API_KEY` from the environment: the "
        "`key=`/`api_key=` argument, or the whole `os.environ[\"WANDB_API_KEY\"] = ...` statement. "
        "A machine that relied on the literal must now set the variable. The fix cannot rotate "
        "the key: do that too. Names assigned a key literal get no fix (code may use them)."
    )
    triggers = ("wandb", "WANDB_API_KEY")
    invalid = (
        """\
import wandb

wandb.login(key="0123456789abcdef0123456789abcdef01234567")  # WB302
""",
        """\
import os

os.environ["WANDB_API_KEY"] = "0123456789abcdef0123456789abcdef01234567"  # WB302
""",
        """\
import wandb

WANDB_API_KEY_PROD = "0123456789abcdef0123456789abcdef01234567"  # WB302
api = wandb.Api(api_key="0123456789abcdef0123456789abcdef01234567", timeout=30)  # WB302
""",
        Invalid(
            """\
import wandb

wandb.login(key="0123456789abcdef0123456789abcdef01234567", relogin=True)  # WB302
""",
            expected_replacement="""\
import wandb

wandb.login(relogin=True)  # WB302
""",
        ),
        Invalid(
            """\
import os

import wandb

os.environ["WANDB_API_KEY"] = "0123456789abcdef0123456789abcdef01234567"  # WB302
run = wandb.init(project="demo", config={})
""",
            expected_replacement="""\
import os

import wandb

run = wandb.init(project="demo", config={})
""",
        ),
    )
    valid = (
        """\
import os

import wandb

wandb.login(key=os.environ["WANDB_API_KEY"])
wandb.login(key="<your-api-key>")  # a placeholder in a template
api = wandb.Api(api_key=os.getenv("WANDB_API_KEY"))
""",
        """\
from dotenv import load_dotenv

import wandb

load_dotenv()
wandb.login()
commit_sha = "0123456789abcdef0123456789abcdef01234567"  # a hash, not a key name
""",
    )
    use_instead = """\
import wandb

wandb.login()  # reads WANDB_API_KEY, or ~/.netrc after `wandb login`
"""

    def visit_Call(self, node: ast.Call) -> None:
        qual = self.ctx.qualname(node.func)
        if qual in KEY_ARGS:
            kw = keyword(node, KEY_ARGS[qual])
            arg = kw if kw is not None else (node.args[0] if qual == "wandb.login" and node.args else None)
            secret = _secret(arg.value if isinstance(arg, ast.keyword) else arg)
            if arg is not None and secret:
                fix = Fix((remove_argument(node, arg),), safe=False)
                where = f"{qual}({KEY_ARGS[qual]}=...)"
                self.report(arg, fix=fix, secrets=(secret,), where=where)
        elif qual in ("os.environ.setdefault", "os.putenv"):
            if len(node.args) == 2 and str_value(node.args[0]) == "WANDB_API_KEY":
                secret = _secret(node.args[1])
                if secret:
                    self.report(node, secrets=(secret,), where=f"{qual}(\"WANDB_API_KEY\", ...)")
        elif qual == "os.environ.update":
            kw = keyword(node, "WANDB_API_KEY")
            secret = _secret(kw.value) if kw is not None else None
            if secret:
                self.report(node, secrets=(secret,), where="os.environ.update(WANDB_API_KEY=...)")

    def visit_Assign(self, node: ast.Assign) -> None:
        secret = _secret(node.value)
        if not secret or len(node.targets) != 1:
            return
        target = node.targets[0]
        if (
            isinstance(target, ast.Subscript)
            and str_value(target.slice) == "WANDB_API_KEY"
            and self.ctx.qualname(target.value) == "os.environ"
        ):
            edit = remove_statement(self.ctx, node)
            fix = Fix((edit,), safe=False) if edit else None
            self.report(node, fix=fix, secrets=(secret,), where="os.environ[\"WANDB_API_KEY\"]")
        elif isinstance(target, ast.Name) and _HEX_KEY.fullmatch(secret):
            low = target.id.lower()
            if "wandb" in low and "key" in low:
                self.report(node, secrets=(secret,), where=f"{target.id}")
