"""The analysis layer is the only place that knows what wandb code is: no rule module keeps its own
table of wandb names (CONTRIBUTING.md, "Which layer a fact belongs in")."""

from __future__ import annotations

import ast
from pathlib import Path

import flake8_wandb

PACKAGE = Path(flake8_wandb.__file__).parent
RULES = PACKAGE / "rules"
ANALYSIS = PACKAGE / "analysis"
#: the names of resolve.py that stand for wandb objects
WANDB_MARKERS = frozenset({"RUN", "ACCELERATOR", "TRACKER", "LIGHTNING_RUN", "RUN_PARAM"})
#: a rule's ``triggers`` are substrings of the source text (a prefilter), not names; its examples
#: and docs are source text
TEXT_ONLY = frozenset({"triggers", "invalid", "valid", "use_instead", "fix_doc"})
#: methods that only wandb (or accelerate's wandb tracker) has: one of them makes a table wandb's
WANDB_ONLY_METHODS = frozenset(
    {
        "init_trackers", "define_metric", "log_artifact", "use_artifact", "log_model",
        "unwatch", "setdefaults", "update_locked", "finish_previous",
    }
)  # fmt: skip
#: wandb's common method names: two of them in one table make it a table of wandb's API (one
#: alone may be a word: ``"init"`` among the tokens that name a setting)
WANDB_METHODS = frozenset(
    {"init", "log", "finish", "watch", "login", "agent", "sweep", "alert", "Settings", "Api"}
)


def _wandb_shaped(value: ast.AST) -> bool:
    """A literal collection (or ``frozenset(...)``/``set(...)``/``dict(...)`` of one) holding a
    wandb qualified name (``"wandb.init"``) or one of resolve.py's wandb objects."""
    if not (
        isinstance(value, (ast.Set, ast.Dict, ast.List, ast.Tuple))
        or (
            isinstance(value, ast.Call)
            and getattr(value.func, "id", None) in ("frozenset", "set", "dict", "tuple", "list")
        )
    ):
        return False
    methods = set()
    for n in ast.walk(value):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            if n.value == "wandb" or n.value.startswith("wandb."):
                return True
            if n.value in WANDB_ONLY_METHODS:
                return True
            if n.value in WANDB_METHODS:
                methods.add(n.value)
        if isinstance(n, ast.Name) and n.id in WANDB_MARKERS:
            return True
    return len(methods) >= 2


def wandb_tables(source: str) -> list[str]:
    """Module- and class-level names bound to a wandb-shaped table."""
    found = []
    tree = ast.parse(source)
    bodies = [tree.body] + [n.body for n in tree.body if isinstance(n, ast.ClassDef)]
    for body in bodies:
        for stmt in body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
                if ast.unparse(target) in TEXT_ONLY:
                    continue
                if _wandb_shaped(stmt.value):
                    found.append(f"{ast.unparse(target)} (line {stmt.lineno})")
    return found


def rule_tables(folder: Path) -> dict[str, list[str]]:
    return {
        path.name: tables
        for path in sorted(folder.glob("*.py"))
        if (tables := wandb_tables(path.read_text(encoding="utf-8")))
    }


def test_no_rule_module_keeps_a_table_of_wandb_names():
    offenders = rule_tables(RULES)
    assert not offenders, f"move these to flake8_wandb/analysis/wandb_model.py: {offenders}"


def test_the_check_sees_a_table():
    assert wandb_tables('CALLS = {"wandb.init", "wandb.Settings"}\n') == ["CALLS (line 1)"]
    assert wandb_tables('OBJ = frozenset({RUN + ".config"})\n') == ["OBJ (line 1)"]
    assert wandb_tables('TORCH = {"torch.cuda.memory_allocated"}\nX = "wandb.init"\n') == []
    assert wandb_tables('CALLEES = frozenset({"putenv", "update", "init_trackers"})\n') == [
        "CALLEES (line 1)"
    ]
    assert wandb_tables('class R:\n    METHODS = ("log", "finish")\n') == ["METHODS (line 2)"]
    assert wandb_tables('WORDS = {"init", "cfg", "scheduler"}\n') == []  # one word is a word
    assert wandb_tables('triggers = ("wandb", "WANDB_MODE")\n') == []


def test_the_check_fails_on_a_planted_rule_module(tmp_path):
    """The check of the rules folder, run on a copy holding one planted table, names it."""
    planted = tmp_path / "rules"
    planted.mkdir()
    for path in RULES.glob("*.py"):
        (planted / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (planted / "planted.py").write_text(
        'from ..engine import Rule\n\n_INITS = {"wandb.init", "wandb.sdk.init"}\n',
        encoding="utf-8",
    )
    assert rule_tables(RULES) == {}
    assert rule_tables(planted) == {"planted.py": ["_INITS (line 3)"]}


# -- commit= has one reader ------------------------------------------------------------------------


def commit_readers(source: str) -> list[int]:
    """Lines that read a ``commit`` keyword: the string ``"commit"`` as code (``keyword(call,
    "commit")``, ``kw.arg == "commit"``), outside the examples and docs."""
    tree = ast.parse(source)
    text = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if ast.unparse(target) in TEXT_ONLY:
                text.update(id(n) for n in ast.walk(node))
    return sorted(
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and n.value == "commit" and id(n) not in text
    )


def test_no_rule_reads_the_commit_keyword():
    offenders = {
        path.name: lines
        for path in sorted(RULES.glob("*.py"))
        if (lines := commit_readers(path.read_text(encoding="utf-8")))
    }
    assert not offenders, f"ask wandb_model.commit_false(call) instead: {offenders}"


def test_the_commit_check_sees_a_reader():
    assert commit_readers('kw = keyword(call, "commit")\n') == [1]
    assert commit_readers('ok = any(k.arg == "commit" for k in call.keywords)\n') == [1]
    assert commit_readers('valid = ("wandb.log({}, commit=False)",)\nx = 1\n') == []


# -- the analysis layer imports nothing above it ---------------------------------------------------

#: what the analysis layer may import of the package: itself and the contract at the bottom
ANALYSIS_MAY_IMPORT = ("flake8_wandb.analysis", "flake8_wandb.contract")


def upward_imports(path: Path, package: str = "flake8_wandb.analysis") -> list[str]:
    """The package modules a module of ``package`` imports at run time (``if TYPE_CHECKING:``
    blocks are for the type checker only) that are not in ``ANALYSIS_MAY_IMPORT``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            typing_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
                names = [module] if node.module else [f"{module}.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
        for name in names:
            if name.startswith("flake8_wandb") and not name.startswith(ANALYSIS_MAY_IMPORT):
                found.append(f"{name} (line {node.lineno})")
    return found


def test_the_analysis_layer_imports_no_engine_rule_or_front_end():
    offenders = {
        path.name: found
        for path in sorted(ANALYSIS.glob("*.py"))
        if (found := upward_imports(path))
    }
    assert not offenders, f"the analysis layer is below the engine and the rules: {offenders}"


def test_the_import_check_sees_an_upward_import(tmp_path):
    planted = tmp_path / "m.py"
    planted.write_text(
        "from typing import TYPE_CHECKING\n"
        "from ..engine import Context\n"
        "from .. import rules\n"
        "from .resolve import RUN\n"
        "from ..contract import Message\n"
        "if TYPE_CHECKING:\n"
        "    from ..engine import Rule\n"
        "def f():\n"
        "    from ..plugin import Plugin\n",
        encoding="utf-8",
    )
    assert upward_imports(planted) == [
        "flake8_wandb.engine (line 2)",
        "flake8_wandb.rules (line 3)",
        "flake8_wandb.plugin (line 9)",
    ]


def test_no_module_reaches_into_private_members_of_flow_or_names():
    """``ctx.flow._x`` / ``ctx.names._x``: what another module needs is public."""
    offenders = []
    for path in sorted([*ANALYSIS.glob("*.py"), *RULES.glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Attribute)
                and node.value.attr in ("flow", "names", "wandb", "project")
            ):
                offenders.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    assert not offenders, offenders


def patched_context_attributes(source: str) -> list[str]:
    """``ctx._x = ...``, ``self.ctx._x = ...``, ``getattr(ctx, "_x", ...)``: a per-module result
    kept on the context by hand instead of in ``Context.once``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            for t in ast.walk(target):
                if (
                    isinstance(t, ast.Attribute)
                    and t.attr.startswith("_")
                    and ast.unparse(t.value) in ("ctx", "self.ctx")
                ):
                    found.append(f"{ast.unparse(t)} (line {node.lineno})")
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) in ("getattr", "setattr")
            and len(node.args) >= 2
            and ast.unparse(node.args[0]) in ("ctx", "self.ctx")
        ):
            found.append(f"{ast.unparse(node.func)} (line {node.lineno})")
    return found


def test_no_module_patches_attributes_onto_the_context():
    offenders = {
        path.name: found
        for path in sorted([*ANALYSIS.glob("*.py"), *RULES.glob("*.py")])
        if (found := patched_context_attributes(path.read_text(encoding="utf-8")))
    }
    assert not offenders, f"keep per-module results with ctx.once(key, build): {offenders}"


def test_the_patch_check_sees_a_patch():
    assert patched_context_attributes("ctx._memo = {}\n") == ["ctx._memo (line 1)"]
    assert patched_context_attributes('m = getattr(ctx, "_memo", None)\n') == ["getattr (line 1)"]
    assert patched_context_attributes('m = ctx.once("memo", dict)\n') == []


# -- the persistent cache sees every file-system question of the project view --------------------

#: the file-system calls whose answers a project view's findings may depend on
_FS_CALLS = frozenset(
    {"os.path.isfile", "os.path.exists", "os.path.isdir", "os.stat", "os.scandir", "os.listdir"}
    | {"open", "os.path.getmtime", "os.path.getsize", "Path.exists", "Path.is_file"}
)
#: where such a call may stand without being recorded: ``observe`` answers the cache's own
#: re-check, ``read_module`` records what it reads through its view, ``_list_python_files`` is
#: recorded by its caller
_FS_ALLOWED_IN = frozenset({"observe", "read_module", "_list_python_files"})


def unrecorded_fs_calls(source: str) -> list[int]:
    """Lines of file-system calls in ``source`` that are neither an argument of a ``see(...)``
    call (the view records the observation) nor inside a function allowed to make them."""
    tree = ast.parse(source)
    parents = {id(c): p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        if name not in _FS_CALLS and not name.endswith((".exists", ".is_file", ".stat")):
            continue
        recorded = False
        current = node
        while id(current) in parents:
            current = parents[id(current)]
            if isinstance(current, ast.Call) and ast.unparse(current.func).endswith(".see"):
                recorded = True
                break
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
                recorded = current.name in _FS_ALLOWED_IN
                break
        if not recorded:
            found.append(node.lineno)
    return found


def test_every_file_system_question_of_the_project_view_is_recorded():
    """The plugin's persistent cache reuses findings only while what the project view saw still
    holds; a question asked of the file system without ``see(...)`` would make it stale."""
    source = (PACKAGE / "analysis" / "project.py").read_text(encoding="utf-8")
    assert unrecorded_fs_calls(source) == []


def test_the_file_system_check_sees_an_unrecorded_question():
    planted = (
        "import os\n\n"
        "class ProjectView:\n"
        "    def roots(self):\n"
        "        return os.path.isfile('x') or self.see('isfile', 'y', os.path.isfile('y'))\n"
    )
    assert unrecorded_fs_calls(planted) == [5]
