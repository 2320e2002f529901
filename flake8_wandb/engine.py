"""The rule engine: one parse, one name table, every selected rule in one traversal.

A rule is one class (see ``Rule``): its code, slug, message, documentation, examples, detection
and fix. Rules detect on Python's own ``ast`` tree (flake8 hands it to the plugin for free) and
describe a fix as libcst transformations of the nodes it changes (``Transform``: the node's span,
its text, and which transform of ``transforms.py`` to run), so detection is written once and
serves both front ends: the flake8 plugin and ``wandb-fix``. libcst runs only when ``wandb-fix``
asks a fix for its text; nothing here imports it. Nothing here knows about flake8 or files on disk.
"""

from __future__ import annotations

import ast
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    ClassVar,
    TypeVar,
    Union,
)

# positions live at the bottom of the analysis layer; re-exported for the rules and front ends
from .analysis.positions import Pos as Pos
from .analysis.positions import Span as Span
from .analysis.positions import end_of as end_of
from .analysis.positions import split_lines as split_lines
from .analysis.positions import start_of as start_of
from .analysis.project import ProjectView
from .analysis.resolve import (
    LEAVES,
    LIGHTNING_RUN,
    RUN,
    SCOPE_NODES,
    Resolver,
    Scope,
)
from .analysis.text import calls_a_handed_logger
from .analysis.wandb_model import EnvWrite, InitCall, WandbModel, console_off

# the contract types live at the bottom of the package; re-exported for the rules and front ends
from .contract import DISPLAY_ONLY as DISPLAY_ONLY
from .contract import RUNTIME_PACKAGE as RUNTIME_PACKAGE
from .contract import SAFE as SAFE
from .contract import UNSAFE as UNSAFE
from .contract import Applicability as Applicability
from .contract import Change as Change
from .contract import Edit as Edit
from .contract import Fix as Fix
from .contract import Message as Message
from .contract import Transform as Transform
from .contract import applicability_label as applicability_label
from .contract import printable as printable
from .contract import template_fields as template_fields
from .defaults import DEFAULT_STEP_NAMES, TRIGGERS
from .versions import PINNED, WandbFacts

if TYPE_CHECKING:
    from .analysis.flow import Flow

T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    step_names: tuple[str, ...] = DEFAULT_STEP_NAMES
    #: what the target wandb accepts, resolved once per run by the front end before any rule
    #: runs (``versions.resolve``); the default is the pinned wandb 0.31, as the docs use
    wandb: WandbFacts = PINNED


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    message: str
    line: int
    col: int  # UTF-8 byte offset, 0-based, as in ``ast``
    end_line: int
    end_col: int
    fix: Fix | None = None
    #: source spans ``((line, col), (end_line, end_col))`` of text that must never be shown (an
    #: API key): front ends mask them in everything they print
    secrets: tuple[Span, ...] = ()

    def text(self) -> str:
        return f"{self.code} {self.message}"


@dataclass(frozen=True)
class Invalid:
    """An example a rule must report, on the lines marked ``# WBxxx`` (Fixit's ``Invalid``).

    ``expected_replacement`` is the whole source after ``wandb-fix --apply --unsafe-fixes`` (every
    rule's fixes), written with the case it fixes so that each fact about a fix is stated once.
    None: the fix is not checked on this example. A plain string in ``Rule.invalid`` is the same
    as ``Invalid(source)``.
    """

    code: str
    expected_replacement: str | None = None


#: ``Invalid(code, expected_replacement=UNCHANGED)``: reported, but no fix applies here (its
#: precondition does not hold), so ``--apply --unsafe-fixes`` leaves the source as it is
UNCHANGED = "<unchanged: no fix applies>"

#: an entry of ``Rule.invalid``
Example = Union[str, Invalid]  # noqa: UP007  evaluated; Python 3.9 imports it


def as_invalid(example: Example) -> Invalid:
    return example if isinstance(example, Invalid) else Invalid(example)


@dataclass
class RuleError:
    code: str
    line: int
    error: str


class Rule:
    """Base class of every rule. Subclasses declare, in one place:

    - ``code``, ``name`` (kebab-case slug), ``messages`` (the ``Message`` classes of the kinds of
      finding it reports), ``default``;
    - the docstring: the rule page's "What it does" / "Why is this bad?" sections;
    - ``invalid`` examples (reported lines end in ``# WBxxx``; an ``Invalid`` also gives the
      source after the fixes), ``valid`` examples (never reported), ``use_instead`` and
      ``fix_doc``;
    - ``triggers``: W&B words without which a file cannot hold a finding (checked before
      parsing: the file-level prefilter is their union, so each must be a word only W&B code
      holds); ``needs``: other words the rule's findings must spell out (``reinit``, ``console``),
      checked before the rule runs on a file that passed the prefilter; ``handed``: the rule
      also runs on a module that names no trigger but calls a log method of a logger it may be
      handed (``logger.log(...)``: ``analysis.text.calls_a_handed_logger``);
    - ``visit_<Node>`` / ``leave_<Node>`` handlers and ``end_module``, called by the one traversal;
    - ``attribute_names``: the cheap question a ``visit_Call``, ``visit_Attribute`` or
      ``visit_Assign`` handler asks first, asked by the engine instead, once per name: an
      attribute named otherwise (``x.other``), a call of one (``x.other(...)``), or an
      assignment to one (``x.other = ...``; to an item: ``ITEM``; to names: ``""``), is not
      handed to the handler.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    #: one ``Message`` class per kind of finding the rule reports (its page lists their templates)
    messages: ClassVar[tuple[type[Message], ...]]
    default: ClassVar[bool] = True
    #: what the rule's fixes can be: ``(SAFE,)``, ``(UNSAFE,)``, ``(SAFE, UNSAFE)`` (some are
    #: safe, others not), ``(DISPLAY_ONLY,)``, or ``()`` (no fix); each ``Fix`` carries its own,
    #: and the examples test that they agree with this declaration
    applicability: ClassVar[tuple[Applicability, ...]] = ()
    fix_doc: ClassVar[str] = "There is no fix: the message says what to change."
    triggers: ClassVar[tuple[str, ...]] = ("wandb", "WandbLogger", "log_with")
    needs: ClassVar[tuple[str, ...]] = ()
    handed: ClassVar[bool] = False
    invalid: ClassVar[Sequence[Example]] = ()
    valid: ClassVar[Sequence[str]] = ()
    use_instead: ClassVar[str] = ""
    #: per node type (``ast.Call``, ``ast.Attribute``, ``ast.Assign``): which attribute names
    #: the handler of that type looks at, when it returns at once for any other (its first
    #: question, asked by the engine once per name for the whole process: it must depend on the
    #: name alone). A call of a plain name (``wlog(...)``) is always handed on: only the name
    #: table knows what an imported or assigned name is; so is an assignment to several
    #: targets. A callee written as an attribute is judged by its own name, as the wandb
    #: model's questions (``log_call``, ``init_call``, ``settings_call``...) judge it: a function
    #: kept under another attribute name (``self.wlog = wandb.log``) is not followed. An
    #: assignment's one target is named ``ITEM`` when an item (``x[k] = ...``) and ``""`` when
    #: names (``x = ...``, ``a, b = ...``).
    attribute_names: ClassVar[Mapping[type, Callable[[str], bool]]] = {}

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def report(
        self,
        node: ast.AST,
        message: Message,
        fix: Fix | None = None,
        secrets: tuple[ast.AST, ...] = (),
    ) -> None:
        """``message``: one of the rule's ``messages``, built with its typed arguments;
        ``secrets``: the nodes whose source text must never be printed (an API key)."""
        spans = tuple((start_of(n), end_of(n)) for n in secrets)
        self.ctx.add(self, node, message.text, fix, spans)

    def end_module(self) -> None:
        """Called once after the traversal, for rules that need the whole module."""

    @classmethod
    def invalid_examples(cls) -> list[Invalid]:
        return [as_invalid(e) for e in cls.invalid]

    @classmethod
    def fix_examples(cls) -> list[Invalid]:
        """The invalid examples that declare the source after the fixes."""
        return [e for e in cls.invalid_examples() if e.expected_replacement is not None]


class Context:
    """What a rule sees while the engine walks a module."""

    def __init__(
        self,
        tree: ast.Module,
        source: str,
        settings: Settings,
        path: str | None = None,
        leaves: bool = False,
    ) -> None:
        self.tree = tree
        self.source = source
        self._lines: list[str] | None = None
        self.settings = settings
        #: the file's path when the front end has one (flake8's ``filename``, wandb-fix's path):
        #: evaluation files (WB102) and the project's other modules (project summaries)
        self.path = path
        #: ``leaves``: a rule visits names, constants or operators (the walk records them)
        self.names = Resolver(tree, mentions_wandb="wandb" in source, leaves=leaves)
        #: the wandb model (analysis/wandb_model.py): what a wandb call, run, config is
        self.wandb = WandbModel(self.names)
        #: summaries of this module's functions and of the project modules it imports
        self.project = ProjectView(tree, self.names, path, source)
        self.project.install()
        self.scope: Scope = self.names.module
        #: the nodes enclosing the one being visited, outermost (the module) first
        self.ancestors: list[ast.AST] = []
        self.findings: list[Finding] = []
        self._flow: Flow | None = None
        self._reported: set = set()
        self._once: dict[object, object] = {}

    @property
    def lines(self) -> list[str]:
        """The module's lines as the tokenizer counts them, split on first use (most modules
        have no finding, and only a finding's text or fix reads them)."""
        if self._lines is None:
            self._lines = split_lines(self.source)
        return self._lines

    @property
    def flow(self) -> Flow:
        """The module's data-flow queries (flow.py), built on first use."""
        if self._flow is None:
            from .analysis.flow import Flow

            self._flow = Flow(self)
        return self._flow

    def once(self, key: object, build: Callable[[], T]) -> T:
        """A per-module result, built on first use by ``build()`` and cached under ``key`` (one
        walk of the module however many rules or nodes ask)."""
        if key not in self._once:
            self._once[key] = build()
        return self._once[key]  # type: ignore[return-value]

    # -- the wandb model (analysis/wandb_model.py), asked about the node given -----------------
    # ``scope``: where the node is; the scope being visited when not given.

    def init_call(self, call: ast.AST, scope: Scope | None = None) -> InitCall | None:
        return self.wandb.init_call(call, scope or self.scope)

    def wandb_init(self, call: ast.AST, scope: Scope | None = None) -> bool:
        """``wandb.init(...)`` itself (not accelerate's or Lightning's way to start a run)."""
        init = self.wandb.init_call(call, scope or self.scope)
        return init is not None and init.via == "wandb.init"

    def module_config(self, expr: ast.AST, scope: Scope | None = None) -> bool:
        return self.wandb.module_config(expr, scope or self.scope)

    def config_rebound(self, target: ast.AST, scope: Scope | None = None) -> str | None:
        return self.wandb.config_rebound(target, scope or self.scope)

    def settings_call(self, call: ast.AST, scope: Scope | None = None) -> bool:
        return self.wandb.settings_call(call, scope or self.scope)

    def sweep_call(self, call: ast.AST, scope: Scope | None = None) -> bool:
        return self.wandb.sweep_call(call, scope or self.scope)

    def launch(self, call: ast.AST, scope: Scope | None = None) -> str | None:
        return self.wandb.launch(call, scope or self.scope)

    def environment_writes(self, node: ast.AST, scope: Scope | None = None) -> list[EnvWrite]:
        return self.wandb.environment_writes(node, scope or self.scope)

    def environment_call(self, node: ast.AST, scope: Scope | None = None) -> list[EnvWrite]:
        return self.wandb.environment_call(node, scope or self.scope)

    def console_setting(self, node: ast.AST, scope: Scope | None = None) -> list[ast.AST]:
        return self.wandb.console_setting(node, scope or self.scope)

    def console_off(self) -> bool:
        """The module turns wandb's console capture off (one walk per module)."""
        return self.once("console_off", lambda: console_off(self.names))

    def runs_a_sweep(self) -> bool:
        """The module runs a sweep (``wandb.agent``/``wandb.sweep``) somewhere."""
        return self.once("runs_a_sweep", self.wandb.runs_a_sweep)

    def public_run(self, expr: ast.AST, scope: Scope | None = None) -> bool:
        return self.wandb.public_run(expr, scope or self.scope)

    def public_runs(self, expr: ast.AST, scope: Scope | None = None) -> bool:
        return self.wandb.public_runs(expr, scope or self.scope)

    # -- names ---------------------------------------------------------------------------------

    def qualname(self, expr: ast.AST, scope: Scope | None = None) -> str | None:
        """What ``expr`` resolves to (see resolve.py); a run reached through Lightning reads as
        any other run (``raw_qualname`` tells them apart)."""
        name = self.names.qualname(expr, scope or self.scope)
        if name is not None and name.startswith(LIGHTNING_RUN):
            return RUN + name[len(LIGHTNING_RUN) :]
        return name

    def raw_qualname(self, expr: ast.AST, scope: Scope | None = None) -> str | None:
        return self.names.qualname(expr, scope or self.scope)

    def is_wandb_log(
        self, call: ast.AST, scope: Scope | None = None, lightning: bool = True
    ) -> bool:
        """A call that logs to a wandb run (the wandb model's ``log_call``). ``scope`` given: the
        call is not the node being visited (no enclosing ``if`` known); otherwise the call is
        the node being visited, and its ancestors are passed along."""
        ancestors = self.ancestors if scope is None else None
        return self.wandb.log_call(call, scope or self.scope, lightning, ancestors)

    def function(self) -> ast.AST:
        """The innermost enclosing function, or the module."""
        scope: Scope | None = self.scope  # the engine's scope: the innermost scope node's
        while scope is not None:
            if type(scope.node) in _FUNCTION_TYPES:
                return scope.node
            scope = scope.parent  # a class's scope: the function or module around it
        return self.tree

    def enclosing_classes(self) -> list[ast.ClassDef]:
        return [n for n in self.ancestors if isinstance(n, ast.ClassDef)]

    def segment(self, node: ast.AST) -> str:
        return self.text_between(start_of(node), end_of(node))

    def text_between(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        (l1, c1), (l2, c2) = start, end
        if l1 == l2:
            return self.lines[l1 - 1].encode()[c1:c2].decode()
        parts = [self.lines[l1 - 1].encode()[c1:].decode()]
        parts += self.lines[l1 : l2 - 1]
        parts.append(self.lines[l2 - 1].encode()[:c2].decode())
        return "".join(parts)

    # -- findings ------------------------------------------------------------------------------

    def add(
        self,
        rule: Rule,
        node: ast.AST,
        message: str,
        fix: Fix | None,
        secrets: tuple[Span, ...] = (),
    ) -> None:
        key = (rule.code, id(node))
        if key in self._reported:
            return  # a node reached twice (one value given to wandb by two calls) is one finding
        self._reported.add(key)
        self.findings.append(
            Finding(
                code=rule.code,
                name=rule.name,
                message=message,
                line=start_of(node)[0],
                col=start_of(node)[1],
                end_line=end_of(node)[0] or start_of(node)[0],
                end_col=end_of(node)[1] or start_of(node)[1],
                fix=fix,
                secrets=secrets,
            )
        )


class Engine:
    """Runs a set of rules over modules."""

    def __init__(self, rules: Iterable[type[Rule]], settings: Settings = Settings()) -> None:
        self.rules = list(rules)
        self.settings = settings
        #: the prefilter's texts: every rule's triggers, without those that hold another (a
        #: file with ``WANDB_MODE`` holds ``WANDB_``), the commonest first (``wandb``: most
        #: files that pass stop at the first)
        every = {t for r in self.rules for t in r.triggers}
        self.triggers = tuple(
            sorted(
                (t for t in every if not any(o != t and o in t for o in every)),
                key=_commonest_trigger_first,
            )
        )
        self.handed = any(r.handed for r in self.rules)
        #: each rule's triggers, the commonest first (``wandb``, known by then for most files)
        self.rule_triggers = {
            r: tuple(sorted(r.triggers, key=_commonest_trigger_first)) for r in self.rules
        }
        #: each rule's needed words as the prefilter looks for them: without those that hold
        #: another of them, shortest and lower case first (the commoner: most files that hold
        #: one stop at the first)
        self.needs = {
            r: tuple(
                sorted(
                    (w for w in r.needs if not any(o != w and o in w for o in r.needs)),
                    key=lambda w: (len(w), w != w.lower(), w),
                )
            )
            for r in self.rules
        }
        #: a rule visits a node the walk leaves out unless asked (a name, a constant)
        self.leaves = any(t in LEAVES for r in self.rules for _, t, _ in _handlers(r))
        #: every rule's handlers, by node type and attribute name, with the rule's place
        self._tables = _tables(tuple(self.rules))

    def may_match(self, source: str) -> bool:
        """The cheap prefilter: a file without any trigger text cannot hold a finding, unless it
        calls a log method of a logger it may be handed (``Rule.handed``)."""
        return any(map(source.__contains__, self.triggers)) or (
            self.handed and calls_a_handed_logger(source)
        )

    def _live_rules(self, ctx: Context, source: str) -> list[Rule | None]:
        """The rules that may report in ``source``: one of their triggers is in it (and one
        of the words they need), or they run where a logger is handed; in the engine's order,
        None in the place of each other rule. Each trigger text is looked for once, however
        many rules share it."""
        present: dict[str, bool] = {}  # each text looked for once, and only while it matters

        def holds(text: str) -> bool:
            found = present.get(text)
            if found is None:
                found = present[text] = text in source
            return found

        live: list[Rule | None] = []
        handed: bool | None = None  # asked once, only when a rule's own triggers are absent
        # the parser reads identifiers, keywords and attribute names in NFKC (``ｌｏｇ`` is
        # ``log``): needed words are looked for only in an ASCII text
        spelled = source.isascii()
        for rule_cls in self.rules:
            if any(map(holds, self.rule_triggers[rule_cls])):
                needs = self.needs[rule_cls]
                if needs and spelled and not any(map(holds, needs)):
                    live.append(None)
                    continue
            elif rule_cls.handed:
                if handed is None:
                    handed = calls_a_handed_logger(source)
                if not handed:
                    live.append(None)
                    continue
            else:
                live.append(None)
                continue
            live.append(rule_cls(ctx))
        return live

    def check(
        self, tree: ast.Module, source: str, path: str | None = None
    ) -> tuple[list[Finding], list[RuleError]]:
        """``path``: the file's path, when there is one (see ``Context.path``)."""
        findings, errors, _ctx = self.check_with_context(tree, source, path)
        return findings, errors

    def check_with_context(
        self, tree: ast.Module, source: str, path: str | None = None
    ) -> tuple[list[Finding], list[RuleError], Context | None]:
        """As ``check``, with the module's context (None when no rule could match): what its
        project view saw is what the persistent cache keeps beside the findings."""
        if not self.rules or not self.may_match(source):
            return [], [], None
        ctx = None
        try:
            ctx = Context(tree, source, self.settings, path, self.leaves)
            findings, errors = self._check(ctx, tree, source)
        except RecursionError:  # a last resort: the traversals themselves keep explicit stacks
            error = RuleError("engine", 0, "too deeply nested to analyse; file skipped")
            return [], [error], ctx
        return findings, errors, ctx

    def _check(
        self, ctx: Context, tree: ast.Module, source: str
    ) -> tuple[list[Finding], list[RuleError]]:
        errors: list[RuleError] = []
        #: one place per rule of the engine, in its order: the rule, or None where it cannot
        #: report in this module or has crashed (it is asked nothing more); the handler
        #: tables hold every rule's handlers, with its place, for the whole process
        rules = self._live_rules(ctx, source)
        tables = self._tables
        failed: set = set()

        def crashed(i: int, node: ast.AST | None, exc: Exception) -> None:
            """A crash in one rule must not hide the others: it is reported (at the node's line;
            0 at the end of the module), and the rule is asked nothing more."""
            rule = rules[i]
            assert rule is not None
            failed.add(rule.code)
            errors.append(RuleError(rule.code, getattr(node, "lineno", 0), _describe(exc)))
            rules[i] = None

        def run(handlers: tuple[tuple[int, Callable], ...], node: ast.AST) -> None:
            for i, fn in handlers:
                rule = rules[i]
                if rule is not None:
                    try:
                        fn(rule, node)
                    except Exception as exc:
                        crashed(i, node, exc)

        # The walk the name table made (``Resolver.nodes``: each node once, parents first, with
        # its depth); no recursion, so deeply nested expressions cannot overflow. This loop runs
        # for every node of every module, so it keeps only the last node taken at each depth
        # (``path``): the ancestors of a node at depth d are ``path[:d]``, sliced for the nodes
        # a handler visits (``Context.ancestors``). The scopes in force are a stack of the scope
        # nodes on the path, brought up to date where a handler runs or a scope node is taken.
        # The nodes left (their ``leave_`` handlers) are those at the depths the next node
        # leaves.
        names = ctx.names
        order: Iterable[tuple[ast.AST, int]] = zip(names.nodes, names.depths)
        if self.leaves:  # recorded for a rule that visits some of them: not the others
            skip = LEAVES - tables.enter.keys() - tables.leave.keys()
            order = [(n, d) for n, d in order if type(n) not in skip]
        path: list[ast.AST | None] = [None] * (max(names.depths, default=0) + 1)
        module_scope = names.module
        scope_of = names.scope_of
        scope_types = _SCOPE_TYPES
        #: the scope nodes on the path (the module first), their depths and their scopes
        scope_nodes: list[ast.AST] = [tree]
        scope_depths: list[int] = [0]
        scopes: list[Scope] = [module_scope]

        def scope_at(depth: int) -> Scope:
            """The scope in force at a node of ``depth`` on the current path: the scope nodes
            no longer on it (as deep as it, or replaced at their depth) are dropped first."""
            while scope_depths[-1] >= depth or path[scope_depths[-1]] is not scope_nodes[-1]:
                scope_nodes.pop()
                scope_depths.pop()
                scopes.pop()
            return scopes[-1]

        def leave_from(deepest: int, depth: int) -> None:
            """Run the ``leave_`` handlers of the path's nodes from ``deepest`` up to ``depth``
            (deepest first), each with its ancestors and the scope around it."""
            for level in range(deepest, depth - 1, -1):
                done = path[level]
                handlers = leave.get(type(done))
                if handlers:
                    ctx.ancestors = path[:level]  # type: ignore[assignment]
                    ctx.scope = scope_at(level) if level else module_scope
                    run(handlers, done)  # type: ignore[arg-type]

        get_handlers, leave, by_name = tables.enter.get, tables.leave, tables.by_name
        previous = 0
        for node, depth in order:
            if leave:
                if depth <= previous:
                    leave_from(previous, depth)
                previous = depth
            path[depth] = node
            node_type = type(node)
            handlers = get_handlers(node_type)
            if handlers:
                if node_type in by_name:  # asked by attribute name (``Rule.attribute_names``)
                    key = _name_key(node, node_type)
                    if key is not None:
                        handlers = by_name[node_type].get(key)
                        if handlers is None:
                            handlers = tables.named(node_type, key)
                if handlers:
                    ctx.ancestors = path[:depth]  # type: ignore[assignment]
                    ctx.scope = scope_at(depth) if depth else module_scope
                    run(handlers, node)
            if node_type in scope_types:
                scope_at(depth)
                scope_nodes.append(node)
                scope_depths.append(depth)
                scopes.append(scope_of[id(node)])
        if leave:
            leave_from(previous, 0)
        ctx.ancestors = []
        ctx.scope = module_scope
        for i, rule in enumerate(rules):
            if rule is not None:
                try:
                    rule.end_module()
                except Exception as exc:
                    crashed(i, None, exc)
        findings = [f for f in ctx.findings if f.code not in failed]
        findings.sort(key=lambda f: (f.line, f.col, f.code))
        return findings, errors


_HANDLERS: dict[type, tuple[tuple[bool, type, str], ...]] = {}


def _commonest_trigger_first(trigger: str) -> tuple[int, str]:
    """The order triggers are looked for in: the plugin's own list's (``wandb`` first), then
    the others."""
    return (TRIGGERS.index(trigger) if trigger in TRIGGERS else len(TRIGGERS), trigger)


class _Tables:
    """The handlers of one list of rule classes, kept for the process: per node type, the
    ``visit_``/``leave_`` functions with the position of their rule in the list; and per
    attribute name (a call of ``x.name``, an attribute ``x.name``), those that look at it
    (``Rule.attribute_names``), asked once per name."""

    __slots__ = ("classes", "enter", "leave", "by_name", "_asks", "_unasked")

    def __init__(self, classes: tuple[type[Rule], ...]) -> None:
        self.classes = classes
        enter: dict[type, list[tuple[int, Callable]]] = {}
        leave: dict[type, list[tuple[int, Callable]]] = {}
        for i, cls in enumerate(classes):
            for is_enter, node_type, attr in _handlers(cls):
                table = enter if is_enter else leave
                table.setdefault(node_type, []).append((i, getattr(cls, attr)))
        self.enter = {kind: tuple(listed) for kind, listed in enter.items()}
        self.leave = {kind: tuple(listed) for kind, listed in leave.items()}
        self.by_name: dict[type, dict[str, tuple[tuple[int, Callable], ...]]] = {
            kind: {}
            for kind in (ast.Call, ast.Attribute, ast.Assign)
            if any(kind in classes[i].attribute_names for i, _ in self.enter.get(kind, ()))
        }
        #: per node type asked by name: the names some rule's set holds, and the rules' other
        #: questions (each asked once per name); and the handlers of the rules that ask nothing
        #: (what every other name gets)
        self._asks: dict[type, tuple[frozenset[str], tuple[Callable[[str], bool], ...]]] = {}
        self._unasked: dict[type, tuple[tuple[int, Callable], ...]] = {}
        for kind in self.by_name:
            sets: set[str] = set()
            others: list[Callable[[str], bool]] = []
            for i, _fn in self.enter[kind]:
                asked = classes[i].attribute_names.get(kind)
                held = getattr(asked, "__self__", None)
                if asked is None:
                    continue
                if isinstance(held, frozenset) and asked.__name__ == "__contains__":
                    sets |= held
                elif asked not in others:
                    others.append(asked)
            self._asks[kind] = (frozenset(sets), tuple(others))
            self._unasked[kind] = tuple(
                (i, fn) for i, fn in self.enter[kind] if kind not in classes[i].attribute_names
            )

    def named(self, kind: type, name: str) -> tuple[tuple[int, Callable], ...]:
        """The handlers of ``kind`` that look at an attribute called ``name``, asked once per
        name: most names are in no rule's set and answer no other question (``x.append``)."""
        sets, others = self._asks[kind]
        said = {ask: ask(name) for ask in others}
        if name not in sets and not any(said.values()):
            found = self.by_name[kind][name] = self._unasked[kind]
            return found
        classes = self.classes
        listed: list[tuple[int, Callable]] = []
        for i, fn in self.enter[kind]:
            asked = classes[i].attribute_names.get(kind)
            if asked is None or (said[asked] if asked in said else asked(name)):
                listed.append((i, fn))
        found = self.by_name[kind][name] = tuple(listed)
        return found


_TABLES: dict[tuple[type, ...], _Tables] = {}


def _name_key(node: ast.AST, node_type: type) -> str | None:
    """What ``Rule.attribute_names`` is asked about a node: a call's callee attribute name
    (``x.log(...)``: ``log``), an attribute's name, an assignment's one target's (``x.config =
    ...``: ``config``; ``ITEM`` for ``x[k] = ...``, ``""`` for names); None: every handler."""
    if node_type is ast.Call:
        func = node.func  # type: ignore[attr-defined]
        return func.attr if type(func) is ast.Attribute else None
    if node_type is ast.Attribute:
        return node.attr  # type: ignore[attr-defined]
    targets = node.targets  # type: ignore[attr-defined]
    if len(targets) != 1:
        return None
    kind = type(targets[0])
    return targets[0].attr if kind is ast.Attribute else ITEM if kind is ast.Subscript else ""


#: the key of an assignment to an item (``x[k] = ...``) for ``Rule.attribute_names``
ITEM = "[]"
#: ``Rule.attribute_names`` of an ``ast.Assign`` handler that looks only at an assignment to an
#: item (``x[k] = ...``)
ITEM_ONLY = frozenset({ITEM}).__contains__


def into_an_object(key: str) -> bool:
    """``Rule.attribute_names`` of an ``ast.Assign`` handler that looks only at an assignment to
    an item or an attribute (``x[k] = ...``, ``x.a = ...``), not to names."""
    return key != ""


def _tables(classes: tuple[type[Rule], ...]) -> _Tables:
    found = _TABLES.get(classes)
    if found is None:
        found = _TABLES[classes] = _Tables(classes)
    return found


def _handlers(rule_cls: type) -> tuple[tuple[bool, type, str], ...]:
    """A rule class's ``visit_<Node>`` / ``leave_<Node>`` methods: (enter?, node type, name)."""
    found = _HANDLERS.get(rule_cls)
    if found is None:
        rows = []
        for attr in dir(rule_cls):
            if attr.startswith("visit_") or attr.startswith("leave_"):
                node_type = getattr(ast, attr[6:], None)
                if isinstance(node_type, type):
                    rows.append((attr.startswith("visit_"), node_type, attr))
        found = _HANDLERS[rule_cls] = tuple(rows)
    return found


#: leaves: names, constants, contexts and operators hold no other node


_SCOPE_TYPES = frozenset(SCOPE_NODES)
_FUNCTION_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda})


def _describe(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__}: {exc} ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})"
