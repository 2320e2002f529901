from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import ClassVar

from ..engine import Message, Rule
from .calls import keyword

_WANDB_HOST = re.compile(r"(?:^|[/@.\s'\"])(?:api\.)?wandb\.ai(?:[/:?#\s'\"]|$)")
HTTP_PREFIXES = ("requests.", "httpx.", "urllib.request.", "urllib3.", "aiohttp.")
#: the calls that fetch: ``requests.get``, ``httpx.Client().post``, ``urlopen``, ``Request``...
#: (``requests.utils.get_netrc_auth("https://api.wandb.ai")`` reads credentials: not a fetch)
FETCHING = {
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "request",
    "stream",
    "urlopen",
    "urlretrieve",
    "Request",
    "fetch",
}
SUBPROCESS = {
    "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
    "subprocess.Popen", "os.system", "os.popen",
}  # fmt: skip
FETCHERS = ("curl", "wget")
#: the last names of the callees above: a callee written as an attribute is judged by its own
#: name (``requests.get``), so a call of any other attribute is not asked
#: (``Rule.attribute_names``; a function kept under another name, ``self.fetch = requests.get``,
#: is not followed)
CALLEE_NAMES = frozenset(FETCHING | {s.rpartition(".")[2] for s in SUBPROCESS})


def _texts(node: ast.AST) -> Iterable[str]:
    """The literal text pieces of a string expression (constants, f-string parts, concats)."""
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            yield n.value


def _mentions_wandb_host(node: ast.AST | None) -> bool:
    return node is not None and any(_WANDB_HOST.search(t) for t in _texts(node))


class WandbPageFetch(Message):
    template: ClassVar[str] = (
        "fetching a wandb.ai page over HTTP returns a JavaScript app, not data; use wandb.Api()"
    )


class WandbUrlFetch(Rule):
    """
    ## What it does

    Reports HTTP fetches of `wandb.ai` / `api.wandb.ai` pages with `requests`, `httpx`,
    `urllib`, `urllib3`, `aiohttp`, or `subprocess` / `os.system` running `curl` or `wget`.

    ## Why is this bad?

    W&B pages are JavaScript applications: the HTML that comes back holds no run data, so the
    scraper parses nothing (or a login page) and fails later in confusing ways. `wandb.Api()`
    gives runs, history, config and summaries as Python objects.
    """

    code = "WB701"
    name = "wandb-url-fetch"
    messages = (WandbPageFetch,)
    triggers = ("wandb.ai",)
    attribute_names = {ast.Call: CALLEE_NAMES.__contains__}
    invalid = (
        """\
import requests

html = requests.get("https://wandb.ai/team/project/runs/abc123").text  # WB701:8 fetching a wandb.ai page over HTTP returns a JavaScript app, not data; use wandb.Api()
""",
        """\
import subprocess

subprocess.run(["curl", "-s", f"https://wandb.ai/{entity}/{project}"], check=True)  # WB701:1 fetching a wandb.ai page over HTTP returns a JavaScript app, not data; use wandb.Api()
""",
        """\
from urllib.request import urlopen

page = urlopen("https://api.wandb.ai/team/project")  # WB701:8 fetching a wandb.ai page over HTTP returns a JavaScript app, not data; use wandb.Api()
""",
    )
    valid = (
        """\
import requests
import wandb

api = wandb.Api()
runs = api.runs("team/project")
requests.get("https://example.com/wandb.ai-mirror-docs")
print("see https://wandb.ai/team/project for the dashboard")
auth = requests.utils.get_netrc_auth("https://api.wandb.ai")  # reads credentials, fetches nothing
""",
    )
    use_instead = """\
import wandb

run = wandb.Api().run("team/project/abc123")
history = run.history()
"""

    def visit_Call(self, node: ast.Call) -> None:
        qual = self.ctx.qualname(node.func) or ""
        if qual.startswith(HTTP_PREFIXES) and qual.rsplit(".", 1)[-1] in FETCHING:
            url = node.args[0] if node.args else (keyword(node, "url") or keyword(node, "uri"))
            url = url.value if isinstance(url, ast.keyword) else url
            if _mentions_wandb_host(url):
                self.report(node, WandbPageFetch())
        elif qual in SUBPROCESS and node.args:
            cmd = node.args[0]
            pieces = list(_texts(cmd))
            first = pieces[0].split()[0] if pieces and pieces[0].split() else ""
            if first in FETCHERS and _mentions_wandb_host(cmd):
                self.report(node, WandbPageFetch())
