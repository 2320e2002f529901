"""The contract between rules, the engine and the front ends: what a finding says (``Message``),
what a fix changes (``Edit``, ``Transform``) and how it may be used (``Applicability``, ``Fix``).

The bottom of the package: it imports nothing of flake8_wandb at import time (``Transform.text``
loads transforms.py, and libcst with it, only when a front end asks for a fix's text), so the
analysis layer, the engine and the front ends can all use these types.
"""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Union

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_kwargs: Any):
        """``typing.dataclass_transform`` (Python 3.11, typing_extensions before): a marker
        for type checkers only."""
        return lambda cls: cls


def _escape(m: re.Match[str]) -> str:
    return repr(m.group())[1:-1]


#: control and format characters (line breaks, ESC, bidi overrides), which would let text from a
#: file (a source segment in a message, a file name) forge output lines or drive the terminal
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def printable(text: str) -> str:
    """``text`` on one line with nothing a terminal acts on: such characters are escaped as
    ``repr`` writes them (``\\n``, ``\\x1b``, ``\\u202e``)."""
    return _UNPRINTABLE.sub(_escape, text)


@dataclass(frozen=True)
class Edit:
    """Replace the text between two ``ast`` positions (1-based line, UTF-8 byte column)."""

    start: tuple[int, int]
    end: tuple[int, int]
    text: str


@dataclass(frozen=True)
class Transform:
    """A libcst transformation of one node, emitted as an edit of that node's span.

    ``original`` is the node's text (between ``start`` and ``end``, ``ast`` positions), ``kind``
    names a transform of ``transforms.py`` and ``args`` are its arguments. Only ``text`` runs
    libcst: it parses ``original`` alone (an expression or a statement), transforms it and
    generates the code of the changed node, so every byte outside the span stays as it was and
    the flake8 plugin, which never asks for ``text``, never imports libcst. Raises
    ``transforms.TransformError`` when libcst cannot parse or transform the node.
    """

    start: tuple[int, int]
    end: tuple[int, int]
    original: str
    kind: str
    args: tuple[Any, ...] = ()

    @property
    def text(self) -> str:
        cached = self.__dict__.get("_text")
        if cached is None:
            from .transforms import generate

            cached = generate(self)
            object.__setattr__(self, "_text", cached)  # frozen: a cache, not a field
        return cached


#: what a fix changes: a libcst transform of a node, or (rarely) a plain text edit
Change = Union[Edit, Transform]  # noqa: UP007  evaluated; Python 3.9 imports it

#: the distribution a fix that imports ``wandb_runtime`` makes the fixed code need
RUNTIME_PACKAGE = "wandb-runtime"


class Applicability(str, Enum):
    """How a fix may be used (ruff's ``Applicability``), one vocabulary everywhere: the fix itself,
    the rule's page, the README's rules table, ``--list-rules``, JSON and SARIF.

    - ``SAFE``: the fixed program behaves exactly as before, except that code which certainly
      raised no longer raises (CONTRIBUTING.md, "Adding a rule"); applied by ``--apply``;
    - ``UNSAFE``: changes behaviour on purpose; applied only with ``--unsafe-fixes``;
    - ``DISPLAY_ONLY``: a suggestion that needs a person: shown (in ``--diff``), never applied.
    """

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"

    def __str__(self) -> str:
        return self.value


SAFE, UNSAFE, DISPLAY_ONLY = Applicability.SAFE, Applicability.UNSAFE, Applicability.DISPLAY_ONLY


def applicability_label(kinds: Iterable[Applicability]) -> str:
    """A rule's fixes in words, as every front end and page writes them: ``safe``, ``unsafe``,
    ``safe or unsafe`` (some fixes are safe, others not), ``display-only``, or ``none``."""
    present = set(kinds)
    return " or ".join(a.value for a in Applicability if a in present) or "none"


@dataclass(frozen=True)
class Fix:
    """A fix: its changes (an import it needs is one of them), its applicability, what it does.

    A fix that adds a dependency (``requires``) is never safe: the declaration itself refuses it.
    """

    edits: tuple[Change, ...]
    applicability: Applicability
    #: what the fix does, as ruff's fix titles do ("Add step=global_step"); the finding's message
    #: says what is wrong
    title: str = ""
    #: distributions the fixed code needs and the original did not, e.g. ``("wandb-runtime",)``
    requires: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.applicability, Applicability):
            raise TypeError(f"applicability must be an Applicability, not {self.applicability!r}")
        if self.applicability is SAFE and self.requires:
            raise ValueError(f"a fix that needs {', '.join(self.requires)} cannot be safe")
        if self.requires and not all(r in self.title for r in self.requires):
            raise ValueError("a fix that adds a dependency must name it in its title")


@dataclass_transform(frozen_default=True)
class Message:
    """What a finding says (ruff's ``Violation``): one small frozen value class per kind of
    finding, whose fields are the arguments of its ``template`` (a ``str.format`` template, no
    backticks). A rule reports ``self.report(node, LogWithoutStepMessage(step=..., why=...))``: a
    misnamed or missing argument is a ``TypeError`` at that call (and a mypy error: the class is
    a dataclass to type checkers), never a finding silently lost; a template that names a field
    the class lacks, or a field it never uses, fails when the class is made (import time)::

        class SummaryKeyOutsideFinal(Message):
            template: ClassVar[str] = "summary key {key!r} is not under final/; use {final!r}"
            key: str
            final: str

    Not a ``dataclasses.dataclass`` at run time: ``dataclass`` compiles five or six methods for
    every class it makes, and the forty message classes cost more than all other work of
    building the rules (flake8 builds them in every run); these share one generic
    ``__init__``, ``__eq__``, ``__hash__`` and ``__repr__``, driven by ``_fields``.
    """

    template: ClassVar[str]
    #: the fields, in order (a base class's first): the template's arguments
    _fields: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: list[str] = []
        for klass in reversed(cls.__mro__[:-1]):
            if klass is Message or not issubclass(klass, Message):
                continue
            for name, kind in klass.__dict__.get("__annotations__", {}).items():
                if "ClassVar" not in str(kind) and not name.startswith("_") and name not in fields:
                    fields.append(name)
        if "template" not in cls.__dict__:
            raise TypeError(f"{cls.__name__}: a message needs its template")
        used = template_fields(cls.template)
        if used != set(fields):
            raise TypeError(
                f"{cls.__name__}: template fields {sorted(used)} but class fields {sorted(fields)}"
            )
        cls._fields = tuple(fields)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name, fields = type(self).__name__, self._fields
        if len(args) > len(fields):
            raise TypeError(f"{name}() takes {len(fields)} arguments but {len(args)} were given")
        values = dict(zip(fields, args))
        for key, value in kwargs.items():
            if key not in fields:
                raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")
            if key in values:
                raise TypeError(f"{name}() got multiple values for argument {key!r}")
            values[key] = value
        missing = [f for f in fields if f not in values]
        if missing:
            raise TypeError(f"{name}() missing required arguments: {', '.join(missing)}")
        for key in fields:
            object.__setattr__(self, key, values[key])

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in self._fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        args = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({args})"

    @property
    def text(self) -> str:
        """The sentence, on one line with nothing a terminal acts on (both front ends print it)."""
        values = {f: getattr(self, f) for f in self._fields}
        return printable(self.template.format(**values))


def template_fields(template: str) -> set[str]:
    """The argument names a ``str.format`` template uses (``{key!r}`` -> ``key``)."""
    names = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None:
            if not field or field[0].isdigit():
                raise TypeError(f"positional field in message template {template!r}")
            names.add(re.split(r"[.\[]", field, maxsplit=1)[0])
    return names
