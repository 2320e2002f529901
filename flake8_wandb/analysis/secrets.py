"""The secrets finder: every W&B API key written in a module, wherever it travels.

One answer for every part of the tool that must know where keys are: WB302 reports from it, and
wandb-fix masks its spans in everything it prints (redact.py), notebooks included. The key formats
and the names that hold a key are facts (``wandb_runtime.facts``), shared with the shim's
``redact()``.

A key is a string written without computing it (``literal_text``: adjacent literals, escapes,
bytes, f-strings of literals only, ``+`` of literals) that reaches wandb, or that has a W&B key's
format where only a key belongs:

- a key argument: ``wandb.login(key=...)`` (or the first positional), ``wandb.Api(api_key=...)``
  (or the third), ``wandb.Settings(api_key=...)``, also inside ``**{"key": ...}``; the value
  directly, through a name bound once to a literal, or as the default of
  ``os.environ.get(...)`` / ``os.getenv(...)``;
- the ``WANDB_API_KEY`` environment variable: ``os.environ[...] = ``, ``update(...)`` with a
  keyword, a dict or ``dict(...)``, ``setdefault``, ``putenv``, ``os.environ |= {...}``, and a
  default of ``os.environ.get("WANDB_API_KEY", ...)`` in a key format;
- in a key format (``facts.is_api_key``): a value bound to a W&B key name (``WANDB_KEY``,
  ``wb_token``), the default of an argparse option named for a key (``--wandb_key``; it ends up
  in ``config=vars(args)``), an entry of a config given to a run (``wandb.init(config=...)``,
  ``run.config.update(...)``), nested dicts included.

A 40-hex value under a hash's name (``GIT_SHA``, ``revision=``, ``commit``) is a hash.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from wandb_runtime import facts

from ..contract import Change, Message, Transform
from .positions import Span, children, end_of, start_of
from .resolve import RUN, SCOPE_NODES
from .wandb_model import EnvWrite

if TYPE_CHECKING:
    from ..engine import Context

_SCOPE_TYPES = frozenset(SCOPE_NODES)


class KeyHardcoded(Message):
    """WB302's message, also used for the keys a notebook holds outside its code. ``where``
    names the place (never the key)."""

    template: ClassVar[str] = (
        "W&B API key hard-coded in {where}; remove it, use WANDB_API_KEY from the environment, "
        "and rotate it if it is a real key (it stays in git history)"
    )
    where: str


#: the key argument of each call that takes one
KEY_ARGS = {
    "wandb.login": "key",
    "wandb.Api": "api_key",
    "wandb.Settings": "api_key",
    "wandb.sdk.Settings": "api_key",
}
#: positional index of the key: ``wandb.login(key, ...)``, ``wandb.Api(overrides, timeout, api_key)``
KEY_POSITIONS = {"wandb.login": 0, "wandb.Api": 2}
#: longer literals are data, not a key
MAX_KEY_LENGTH = 200
#: calls that read an environment variable with a default
GETENV = ("os.environ.get", "os.getenv")
#: calls that give a run its config
CONFIG_CALLS = ("wandb.init", "wandb.config.update")
#: the last names of the calls the finder resolves (``_call``)
_ASKED_NAMES = frozenset(
    q.rsplit(".", 1)[-1]
    for q in (
        *KEY_ARGS,
        *GETENV,
        *CONFIG_CALLS,
        "os.environ.update",
        "os.putenv",
        "os.environ.setdefault",
    )
)


def literal_text(node: ast.AST | None, depth: int = 0) -> str | None:
    """The value of a string written only with literals: adjacent literals, escapes, bytes,
    f-strings without placeholders, ``+`` concatenations (a few: a key is short). None for
    anything computed."""
    if depth > 16:
        return None
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return node.value
        if isinstance(node.value, bytes):
            return node.value.decode("latin-1")
        return None
    if isinstance(node, ast.JoinedStr):
        parts = [literal_text(v, depth + 1) for v in node.values]
        return None if any(p is None for p in parts) else "".join(parts)  # type: ignore[arg-type]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal_text(node.left, depth + 1), literal_text(node.right, depth + 1)
        return None if left is None or right is None else left + right
    return None


def given_key(node: ast.AST | None) -> str | None:
    """The literal given where only a key belongs: any non-empty string written without
    computing it. A placeholder (``"<your-api-key>"``) counts: it marks the line where users
    paste their key."""
    value = literal_text(node)
    if value is None or not value.strip() or len(value) > MAX_KEY_LENGTH:
        return None
    return value


def key_format(node: ast.AST | None, name: object = "") -> bool:
    """A literal in a W&B key format; a 40-hex value under a hash's name is a hash."""
    value = literal_text(node)
    if value is None or not facts.is_api_key(value.strip()):
        return False
    return not (re.fullmatch(facts.LEGACY_KEY, value.strip()) and facts.is_hash_name(name))


@dataclass
class KeySite:
    """One key found: where it is reported, what holds it, and how to take it out.

    ``edits``: the edits that remove the key's literal where it is an argument or an item;
    ``statements``: statements to remove whole (an env assignment, the name's binding), each
    with its parent; ``fixable``: False when no removal is certain to leave a working file.
    """

    node: ast.AST
    where: str
    literals: list[ast.AST]
    edits: list[Change] = field(default_factory=list)
    statements: list[tuple[ast.stmt, ast.AST | None]] = field(default_factory=list)
    fixable: bool = True


class Collected:
    """The nodes the finder asks about, each with its scope: calls, ``|=`` and assignments
    first (where a key reaches wandb), then assignments and parameter lists (a key by its name
    alone). Only those the finder's passes can find a key in: each node's cheap questions are
    asked as it is collected (most calls and assignments of a module are left out)."""

    __slots__ = ("first", "second")

    def __init__(self) -> None:
        self.first: list[tuple[ast.AST, object]] = []
        self.second: list[tuple[ast.AST, object]] = []

    def add(self, node: ast.AST, scope: object) -> None:
        n: Any = node  # one of the kinds below, told apart by ``kind``
        kind = type(n)
        if kind is ast.Call:
            if _may_pass_a_key(n):
                self.first.append((n, scope))
        elif kind is ast.Assign or kind is ast.AnnAssign:
            if n.value is None:
                return  # ``x: int``
            targets = n.targets if kind is ast.Assign else [n.target]
            # ``os.environ[...] = ...`` (``_assignment`` with ``env``), else a W&B key's name
            environ = named = False
            for target in targets:  # no generator: asked of every assignment
                if type(target) is ast.Subscript:
                    environ = True
                elif not named:
                    named = _key_name(_target_name(target))
            if environ:
                self.first.append((n, scope))
            if named:
                self.second.append((n, scope))
        elif kind is ast.AugAssign:
            if type(n.op) is ast.BitOr:
                self.first.append((n, scope))  # ``os.environ |= {...}``
        elif kind is ast.arguments:
            if (n.defaults or n.kw_defaults) and any(
                _key_name(a.arg) for a in (*n.posonlyargs, *n.args, *n.kwonlyargs)
            ):
                self.second.append((n, scope))


def _target_name(target: ast.AST) -> str:
    """The name an assignment target binds or sets (``x``, ``obj.x``); empty for others."""
    return getattr(target, "id", None) or getattr(target, "attr", None) or ""


#: the last names of the attribute calls the finder's pass over calls acts on
_CALL_ATTRIBUTES = _ASKED_NAMES | {"add_argument"}


def _may_pass_a_key(call: ast.Call) -> bool:
    """The cheap questions of ``Secrets._call``: a call of a plain name (resolved there), an
    attribute call named as one it asks about, or a keyword named for a W&B key."""
    func = call.func
    if type(func) is not ast.Attribute or func.attr in _CALL_ATTRIBUTES:
        return True
    for kw in call.keywords:
        if kw.arg and _key_name(kw.arg):
            return True
    return False


class Secrets:
    """The keys of one module (built once per ``Context``: ``find(ctx)``)."""

    def __init__(self, ctx: Context, collected: Collected | None = None) -> None:
        """``collected``: the nodes the finder asks about, each with its scope, gathered by the
        engine's own walk (``Collector``); without it the finder walks the module itself."""
        self.ctx = ctx
        self.sites: list[KeySite] = []
        self._parents: dict[int, ast.AST] | None = None
        self._seen: set[int] = set()
        self._loads: dict[str, list[ast.Name]] | None = None
        if collected is None:
            collected = self._walk()
        self._passes(collected)

    @property
    def parents(self) -> dict[int, ast.AST]:
        """Each node's parent, by ``id``: built on first use (most modules hold no key)."""
        if self._parents is None:
            parents: dict[int, ast.AST] = {}
            stack: list[ast.AST] = [self.ctx.tree]
            while stack:
                node = stack.pop()
                kids = children(node)
                for child in kids:
                    parents[id(child)] = node
                stack.extend(kids)
            self._parents = parents
        return self._parents

    @property
    def loads(self) -> dict[str, list[ast.Name]]:
        """Where each name is read: built on first use (asked only once a key is found)."""
        if self._loads is None:
            loads: dict[str, list[ast.Name]] = {}
            for node in ast.walk(self.ctx.tree):
                if type(node) is ast.Name and type(node.ctx) is ast.Load:
                    loads.setdefault(node.id, []).append(node)
            self._loads = loads
        return self._loads

    # -- the walk --------------------------------------------------------------------------------

    def _walk(self) -> Collected:
        """One walk (an explicit stack: no recursion) sorts the nodes the finder asks about, each
        with its scope (used where no engine walks the module: redaction, notebooks' magics)."""
        names = self.ctx.names
        scope_of = names.scope_of
        collected = Collected()
        stack: list[tuple[ast.AST, object]] = [(self.ctx.tree, names.module)]
        pop = stack.pop
        while stack:
            node, scope = pop()
            kind = type(node)
            if kind is ast.Name or kind is ast.Constant:
                continue  # holds nothing the finder asks about
            collected.add(node, scope)
            if kind in _SCOPE_TYPES:
                scope = scope_of.get(id(node), scope)
            stack.extend([(child, scope) for child in children(node)])
        return collected

    def _passes(self, collected: Collected) -> None:
        # where a key reaches wandb first: a literal found there is not found again by its
        # name alone (which has no fix)
        for node, scope in collected.first:
            kind = type(node)
            if kind is ast.Call:
                self._call(node, scope)  # type: ignore[arg-type]
            elif kind is ast.AugAssign:
                self._ior(node, scope)  # type: ignore[arg-type]
            else:
                self._assignment(node, scope, env=True)  # type: ignore[arg-type]
        for node, scope in collected.second:
            if type(node) is ast.arguments:
                self._parameter_defaults(node)
            else:
                self._assignment(node, scope, env=False)  # type: ignore[arg-type]

    def qualname(self, expr: ast.AST, scope) -> str | None:
        return self.ctx.qualname(expr, scope)

    def _add(self, site: KeySite) -> None:
        key = id(site.literals[0]) if site.literals else id(site.node)
        if key in self._seen:
            return
        self._seen.add(key)
        self.sites.append(site)

    def statement_of(self, node: ast.AST) -> ast.stmt | None:
        """The expression statement that is nothing but ``node``."""
        parent = self.parents.get(id(node))
        return parent if isinstance(parent, ast.Expr) and parent.value is node else None

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(id(node))

    # -- calls -----------------------------------------------------------------------------------

    def _call(self, node: ast.Call, scope) -> None:
        func = node.func
        # the cheap question first: an attribute call resolves to one the finder asks about only
        # when its last name is one of theirs (a plain name may be an alias: resolved)
        if isinstance(func, ast.Attribute) and func.attr not in _ASKED_NAMES:
            qual = None
        else:
            qual = self.qualname(func, scope)
        if qual in KEY_ARGS:
            self._key_argument(node, qual, scope)
        elif qual in GETENV:
            self._getenv(node, qual, sink=None)
        elif qual in CONFIG_CALLS or _config_update(node, self.ctx, scope):
            self._config_call(node, qual if qual in CONFIG_CALLS else "run.config.update", scope)
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument":
            self._argparse(node)
        if qual in ("os.environ.update", "os.putenv", "os.environ.setdefault"):
            self._env_call(node, qual, scope)
        for kw in node.keywords:  # ``train(wandb_key="<key>")``, after the paths above
            if kw.arg and _key_name(kw.arg) and key_format(kw.value, kw.arg):
                self._add(KeySite(kw.value, f"{kw.arg}=...", [kw.value], fixable=False))

    def _key_argument(self, node: ast.Call, qual: str, scope) -> None:
        name = KEY_ARGS[qual]
        where = f"{qual}({name}=...)"
        arg: ast.AST | None = next((k for k in node.keywords if k.arg == name), None)
        position = KEY_POSITIONS.get(qual)
        if arg is None and position is not None and position < len(node.args):
            if not any(isinstance(a, ast.Starred) for a in node.args[: position + 1]):
                arg = node.args[position]
        if arg is None:
            self._star_dict(node, name, where)
            return
        value = arg.value if isinstance(arg, ast.keyword) else arg
        remove = _remove_argument(self.ctx, node, arg)
        self._value(value, where, remove, scope, node)

    def _value(self, value: ast.AST, where: str, remove: Change, scope, call: ast.Call) -> None:
        """A key argument's value: a literal, a name bound to one, a getenv default."""
        if given_key(value):
            self._add(KeySite(value, where, [value], [remove]))
            return
        if isinstance(value, ast.Call) and self.qualname(value.func, scope) in GETENV:
            self._getenv(value, self.qualname(value.func, scope) or "", sink=where)
            return
        if isinstance(value, ast.Name):
            binding = self._binding(value, scope)
            if binding is None:
                return
            stmt, literal = binding
            if not given_key(literal):
                return
            site = KeySite(value, f"{where} through {value.id}", [literal], [remove])
            if self._removable(value, stmt):
                site.statements.append((stmt, self.parent(stmt)))
            else:
                site.fixable = False  # other code reads the name
            self._add(site)

    def _binding(self, name: ast.Name, scope=None) -> tuple[ast.stmt, ast.AST] | None:
        """The one statement that binds ``name`` (in the enclosing function, else the module),
        when it binds a plain name to a value alone on its statement. ``scope``: the scope the
        name is read in, when known (its node is the nearest function, lambda or class around
        it: no parent map is built)."""
        scope_node: ast.AST | None
        if scope is not None:
            scope_node = scope.node
        else:
            scope_node = self.parent(name)
            while scope_node is not None and not isinstance(scope_node, SCOPE_NODES):
                scope_node = self.parent(scope_node)
        for owner in (scope_node, self.ctx.tree):
            if owner is None or isinstance(owner, (ast.ClassDef, ast.Lambda)):
                continue
            found = self.ctx.flow.assigning(owner, name.id)
            if not found:
                continue
            if len(found) != 1:
                return None
            stmt, value = found[0]
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                return stmt, value
            if isinstance(stmt, ast.AnnAssign):
                return stmt, value
            return None
        return None

    def _star_dict(self, node: ast.Call, name: str, where: str) -> None:
        """``wandb.login(**{"key": ...})``."""
        for kw in node.keywords:
            if kw.arg is None and isinstance(kw.value, ast.Dict):
                d = kw.value
                for i, (k, v) in enumerate(zip(d.keys, d.values)):
                    if _str(k) == name and given_key(v):
                        if len(d.keys) == 1:
                            edit = _remove_argument(self.ctx, node, kw)
                        else:
                            edit = _remove_item(self.ctx, d, i)
                        self._add(KeySite(v, where, [v], [edit]))

    def _getenv(self, node: ast.Call, qual: str, sink: str | None) -> None:
        """``os.environ.get(VAR, <key>)`` / ``os.getenv(VAR, default=<key>)``."""
        var = _str(node.args[0]) if node.args else None
        default: ast.AST | None = node.args[1] if len(node.args) > 1 else None
        if default is None:
            default = next((k for k in node.keywords if k.arg == "default"), None)
        if default is None:
            return
        value = default.value if isinstance(default, ast.keyword) else default
        known = sink is not None or var in facts.KEY_ENV_VARS or facts.is_wandb_key_name(var or "")
        if not (known and key_format(value, var or "")):
            return
        where = f"the default of {qual}({var!r}, ...)" + (f" given to {sink}" if sink else "")
        self._add(KeySite(value, where, [value], [_remove_argument(self.ctx, node, default)]))

    # -- the environment -------------------------------------------------------------------------

    def _env_writes(self, node: ast.AST, scope) -> list[EnvWrite]:
        """The writes of ``WANDB_API_KEY`` that the wandb model's ``environment_writes`` (the one
        reader of environment writes, WB301's and WB307's too) sees in ``node``, in its scope."""
        writes = self.ctx.wandb.environment_writes(node, scope)
        return [w for w in writes if w.var in facts.KEY_ENV_VARS]

    def _env_call(self, node: ast.Call, qual: str | None, scope) -> None:
        """``os.environ.setdefault(...)``, ``os.putenv(...)``, ``os.environ.update(...)`` with
        a keyword or a dict (as ``environment_writes`` reads them), and ``update(dict(...))``."""
        n_args = len(node.args) + len(node.keywords)
        for write in self._env_writes(node, scope):
            literal = self._key_or_bound(write.value)
            if literal is None:
                continue
            if write.kind != "update":
                site = KeySite(node, f'{qual}("WANDB_API_KEY", ...)', [literal])
                self._whole_statement(site, node, write.value)
                continue
            site = KeySite(node, "os.environ.update(WANDB_API_KEY=...)", [literal])
            if write.key is None:  # a keyword
                kw = next(k for k in node.keywords if k.value is write.value)
                if n_args > 1:
                    site.edits.append(_remove_argument(self.ctx, node, kw))
                else:
                    self._whole_statement(site, node, write.value)
                    continue
            else:
                d = next(a for a in node.args if isinstance(a, ast.Dict) and write.key in a.keys)
                if None in d.keys:
                    continue  # a ``**mapping`` inside: leave it to the reader
                if len(d.keys) > 1:
                    i = next(i for i, k in enumerate(d.keys) if k is write.key)
                    site.edits.append(_remove_item(self.ctx, d, i))
                elif n_args > 1:
                    site.edits.append(_remove_argument(self.ctx, node, d))
                else:
                    self._whole_statement(site, node, write.value)
                    continue
            self._bound_too(site, write.value)
            self._add(site)
        if qual == "os.environ.update":  # ``update(dict(WANDB_API_KEY=...))``: not in env_writes
            where = "os.environ.update(WANDB_API_KEY=...)"
            for arg in node.args:
                if isinstance(arg, ast.Call):
                    drop = lambda arg=arg: _remove_argument(self.ctx, node, arg)  # noqa: E731
                    self._env_mapping(node, arg, where, n_args == 1, drop)

    def _env_mapping(self, node: ast.AST, mapping: ast.AST, where: str, alone: bool, drop) -> None:
        """A dict or ``dict(...)`` of environment variables (``alone``: the statement does
        nothing else, so it goes when the key is its only item)."""
        if isinstance(mapping, ast.Dict):
            if None in mapping.keys:
                return  # a ``**mapping`` inside: leave it to the reader
            for i, (k, v) in enumerate(zip(mapping.keys, mapping.values)):
                if _str(k) in facts.KEY_ENV_VARS:
                    literal = self._key_or_bound(v)
                    if literal is None:
                        continue
                    site = KeySite(node, where, [literal])
                    if len(mapping.keys) > 1:
                        site.edits.append(_remove_item(self.ctx, mapping, i))
                    elif alone:
                        self._whole_statement(site, node, v)
                    else:
                        site.edits.append(drop())
                    self._add(site)
        elif isinstance(mapping, ast.Call) and getattr(mapping.func, "id", None) == "dict":
            for kw in mapping.keywords:
                if kw.arg in facts.KEY_ENV_VARS:
                    literal = self._key_or_bound(kw.value)
                    if literal is None:
                        continue
                    site = KeySite(node, where, [literal])
                    if len(mapping.keywords) + len(mapping.args) > 1:
                        site.edits.append(_remove_argument(self.ctx, mapping, kw))
                    elif alone:
                        self._whole_statement(site, node, kw.value)
                    else:
                        site.edits.append(drop())
                    self._add(site)

    def _ior(self, node: ast.AugAssign, scope) -> None:
        """``os.environ |= {"WANDB_API_KEY": ...}``."""
        if isinstance(node.op, ast.BitOr) and self.qualname(node.target, scope) == "os.environ":
            where = 'os.environ |= {"WANDB_API_KEY": ...}'
            self._env_mapping(node, node.value, where, True, lambda: None)

    def _whole_statement(self, site: KeySite, node: ast.AST, value: ast.AST) -> None:
        """The key's statement goes whole (and the name's binding, when the value is a name)."""
        stmt = node if isinstance(node, ast.stmt) else self.statement_of(node)
        if stmt is None:
            site.fixable = False
        else:
            site.statements.append((stmt, self.parent(stmt)))
        self._bound_too(site, value)
        self._add(site)

    def _removable(self, name: ast.Name, stmt: ast.stmt) -> bool:
        """The binding of ``name`` can go with the key: nothing else reads the name, and it is
        not a module-level name another module may import by ``__all__``."""
        if len(self.loads.get(name.id, [])) != 1:
            return False
        return not (stmt in self.ctx.tree.body and "__all__" in self.ctx.source)

    def _bound_too(self, site: KeySite, value: ast.AST) -> None:
        if isinstance(value, ast.Name):
            binding = self._binding(value)
            if binding is not None and self._removable(value, binding[0]):
                site.statements.append((binding[0], self.parent(binding[0])))
            else:
                site.fixable = False

    def _key_or_bound(self, value: ast.AST) -> ast.AST | None:
        """The literal a value is, or that the name it is was bound to."""
        if given_key(value):
            return value
        if isinstance(value, ast.Name):
            binding = self._binding(value)
            if binding is not None and given_key(binding[1]):
                return binding[1]
        return None

    # -- assignments -----------------------------------------------------------------------------

    def _assignment(self, node: ast.Assign | ast.AnnAssign, scope, env: bool) -> None:
        """``env``: ``os.environ["WANDB_API_KEY"] = ...``; else a W&B key name bound to a key."""
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        if value is None:
            return
        for target in targets:
            if isinstance(target, ast.Subscript) != env:
                continue
            if isinstance(target, ast.Subscript):
                for write in self._env_writes(node, scope) if len(targets) == 1 else ():
                    literal = self._key_or_bound(write.value)
                    if literal is not None:
                        site = KeySite(node, 'os.environ["WANDB_API_KEY"]', [literal])
                        self._whole_statement(site, node, write.value)
                break
            name = _target_name(target)
            if name and _key_name(name) and key_format(value, name):
                self._add(KeySite(node, name, [value], fixable=False))

    def _parameter_defaults(self, node: ast.arguments) -> None:
        """``def main(wandb_key="<key>")``."""
        if not node.defaults and not node.kw_defaults:
            return  # the cheap question first: no parameter has a default
        positional = [*node.posonlyargs, *node.args]
        pairs = list(zip(positional[len(positional) - len(node.defaults) :], node.defaults))
        pairs += [(a, d) for a, d in zip(node.kwonlyargs, node.kw_defaults) if d is not None]
        for arg, default in pairs:
            if _key_name(arg.arg) and key_format(default, arg.arg):
                where = f"the default of the parameter {arg.arg}"
                self._add(KeySite(default, where, [default], fixable=False))

    # -- where a key becomes part of a run's config ---------------------------------------------

    def _argparse(self, node: ast.Call) -> None:
        """``parser.add_argument("--wandb_key", default="<key>")``: ``vars(args)`` is the config."""
        names = [s for s in (_str(a) for a in node.args) if s]
        dest = next((_str(k.value) for k in node.keywords if k.arg == "dest"), None)
        option = next(
            (n for n in [dest, *names] if n and facts.is_secret_name(n.lstrip("-"))), None
        )
        default = next((k for k in node.keywords if k.arg == "default"), None)
        if option is None or default is None or not key_format(default.value, option):
            return
        where = f"the default of the {option!r} option"
        self._add(
            KeySite(
                default.value, where, [default.value], [_remove_argument(self.ctx, node, default)]
            )
        )

    def _config_call(self, node: ast.Call, qual: str, scope) -> None:
        """``wandb.init(config=...)``, ``run.config.update(...)``: every entry in a key format."""
        given: ast.AST | None
        if qual == "wandb.init":
            given = next((k.value for k in node.keywords if k.arg == "config"), None)
        else:
            given = node.args[0] if node.args else None
        if isinstance(given, ast.Name):
            binding = self._binding(given, scope)
            given = binding[1] if binding is not None else None
        if given is not None:
            self._config_entries(given, f"the config given to {qual}", 0)

    def _config_entries(self, mapping: ast.AST, where: str, depth: int) -> None:
        if depth > 16:
            return
        if isinstance(mapping, ast.Dict):
            entries = [
                (_str(k), v, i) for i, (k, v) in enumerate(zip(mapping.keys, mapping.values))
            ]
            for name, v, i in entries:
                if isinstance(v, (ast.Dict, ast.Call)):
                    self._config_entries(v, where, depth + 1)
                elif name is not None and key_format(v, name):
                    edit = (
                        _remove_item(self.ctx, mapping, i)
                        if len(entries) > 1
                        else _replace(mapping, "{}")
                    )
                    self._add(KeySite(v, f"{where} ({name!r})", [v], [edit]))
        elif isinstance(mapping, ast.Call) and getattr(mapping.func, "id", None) == "dict":
            n = len(mapping.args) + len(mapping.keywords)
            for kw in mapping.keywords:
                if kw.arg is None:
                    continue
                if isinstance(kw.value, (ast.Dict, ast.Call)):
                    self._config_entries(kw.value, where, depth + 1)
                elif key_format(kw.value, kw.arg):
                    edit = (
                        _remove_argument(self.ctx, mapping, kw)
                        if n > 1
                        else _replace(mapping, "dict()")
                    )
                    self._add(KeySite(kw.value, f"{where} ({kw.arg!r})", [kw.value], [edit]))

    # -- masking ---------------------------------------------------------------------------------

    def spans(self) -> list[Span]:
        """Every span to mask in printed output: the literal of each key found, and any string
        literal in the module whose value has a W&B key's format but whose source text may not
        show it (split, escaped, in an f-string), or that is a ``wandb_v1_`` or on-prem key."""
        out = [(start_of(n), end_of(n)) for s in self.sites for n in s.literals]
        for node in ast.walk(self.ctx.tree):
            if isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)) and isinstance(
                self.parents.get(id(node)), (ast.JoinedStr, ast.BinOp)
            ):
                continue  # the enclosing literal is checked whole
            if isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)):
                value = literal_text(node)
                if value is not None and facts.is_api_key(value.strip()):
                    out.append((start_of(node), end_of(node)))
        return out


def _config_update(node: ast.Call, ctx: Context, scope) -> bool:
    """``run.config.update(...)`` on a wandb run."""
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "update"
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "config"
        and ctx.qualname(func.value.value, scope) in ("wandb", RUN)
    )


#: ``facts.is_wandb_key_name`` of each keyword, target and parameter name met in this process
#: (asked of every keyword of every call: the same few hundred names)
_KEY_NAMES: dict[str, bool] = {}


def _key_name(name: str) -> bool:
    found = _KEY_NAMES.get(name)
    if found is None:
        found = _KEY_NAMES[name] = facts.is_wandb_key_name(name)
    return found


def find(ctx: Context, collected: Collected | None = None) -> Secrets:
    """The keys of the module ``ctx`` holds; built once per context (``collected``: the nodes
    the engine's walk gathered, so the finder need not walk the module again)."""
    return ctx.once("secrets", lambda: Secrets(ctx, collected))


def _str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _replace(node: ast.AST, text: str) -> Transform:
    """The node replaced by a new one, built by libcst from ``text``."""
    return Transform(start_of(node), end_of(node), "", "new_expression", (text,))


def _remove_argument(ctx: Context, call: ast.Call, arg: ast.AST) -> Transform:
    """Remove one argument of a call, with its comma (a libcst transform of the call); a
    positional argument followed by other positional arguments becomes ``None`` (the position
    must stay filled)."""
    if arg in call.args and arg is not call.args[-1]:
        return _replace(arg, "None")
    items: list[ast.AST] = sorted([*call.args, *call.keywords], key=start_of)
    return Transform(
        start_of(call), end_of(call), ctx.segment(call), "remove_argument", (items.index(arg),)
    )


def _remove_item(ctx: Context, d: ast.Dict, i: int) -> Transform:
    """Remove item ``i`` of a dict literal, with its comma (a libcst transform of the dict)."""
    return Transform(start_of(d), end_of(d), ctx.segment(d), "remove_dict_entry", (i,))
