"""Cheap questions about a module's text, asked before it is parsed (the flake8 entry point asks
them before it imports the rules: this module imports nothing but ``re``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

_LOG_METHOD_CALL = re.compile(r"\.\s*log\w*\s*\(")
_LOGGER_BEFORE = re.compile(r"(?:[Ll]ogger|[Tt]racker)\w*\s*$")


def calls_a_handed_logger(source: str) -> bool:
    """The text calls a log method of something named for a logger or tracker
    (``logger.log(...)``, ``self.logger.log_metrics(...)``): a module that never names wandb may
    log to it through a project logger its callers hand it (the project view decides). A few
    rules also run on such a module (``Rule.handed``)."""
    for match in _LOG_METHOD_CALL.finditer(source):
        if _LOGGER_BEFORE.search(source, max(0, match.start() - 40), match.start()):
            return True
    return False


def _closing(source: str, opening: int, limit: int) -> int:
    """Where the parenthesis at ``opening`` closes, as counted in the text (strings are not
    told apart), just past it; ``limit`` characters on when it does not close before."""
    depth, end = 0, min(len(source), opening + 1 + limit)
    for i in range(opening, end):
        char = source[i]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return end


_WORD_CHAR = re.compile(r"\w")


def word_matches(source: str, pattern: str, line_start: bool = False) -> Iterator[re.Match[str]]:
    """The matches of ``pattern`` that begin a word (``\\b`` before it; at the start of a line
    with ``line_start``, as ``^`` under ``re.M``), in ``finditer`` order. The same matches as the
    anchored pattern's, but found by the regex engine's fast search for the pattern's literal
    beginning (an anchor before it makes the engine try every position: 25 times slower on a
    150 kB module)."""
    compiled = re.compile(pattern)
    search, pos = compiled.search, 0
    while True:
        match = search(source, pos)
        if match is None:
            return
        start = match.start()
        before = source[start - 1] if start else "\n"
        if before == "\n" if line_start else not _WORD_CHAR.match(before):
            yield match
            pos = max(match.end(), start + 1)
        else:
            pos = start + 1


def call_texts(source: str, name: str, limit: int = 5000) -> list[str]:
    """The text of each call of something named ``name`` (``name(...)``, ``x.name(...)``; not
    ``def name(``), from the name to its closing parenthesis (``_closing``). A call that is not
    here is not in the module; a text here may be no call (a string that mentions it)."""
    return [
        source[match.start() : _closing(source, match.end() - 1, limit)]
        for match in word_matches(source, re.escape(name) + r"\s*\(")
        if source[max(0, match.start() - 4) : match.start()] != "def "
    ]


#: a line as the tokenizer counts them (``positions.split_lines``'s pattern: this module
#: imports nothing but ``re``)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


#: a ``def`` or ``class`` keyword and the name after it (not taken: ``def def f`` holds two);
#: one pattern per keyword, each found by the regex engine's fast search for its literal start
_DEFINITIONS = tuple(
    (keyword, re.compile(keyword + r"[\s\\]+(?=(\w+))")) for keyword in ("def", "class")
)
#: what may follow a definition's name: its parameter list, its type parameters
PARAMETERS = re.compile(r"\s*\(")
TYPE_PARAMETERS = re.compile(r"\s*\[")
_WORDS = re.compile(r"\w+")


class Definitions:
    """Every ``def NAME`` and ``class NAME`` of a text, found in one pass, and each name's
    places looked up afterwards: no pattern is compiled per name (a module's text is asked
    about many names, each module's about others). ``places`` gives what ``word_matches``
    gives for ``KIND[\\s\\\\]+NAME\\b`` followed by a tail (a test holds them equal)."""

    __slots__ = ("source", "_at")

    def __init__(self, source: str) -> None:
        self.source = source
        #: name -> (keyword, where the keyword starts, where the name ends, at a line's start),
        #: each keyword's in the text's order
        self._at: dict[str, list[tuple[str, int, int, bool]]] = {}
        at = self._at
        for keyword, pattern in _DEFINITIONS:
            for match in pattern.finditer(source):
                start = match.start()
                before = source[start - 1] if start else "\n"
                if _WORD_CHAR.match(before):
                    continue  # ``undef f``: not a keyword
                name = match.group(1)
                entry = (keyword, start, match.end() + len(name), before == "\n")
                at.setdefault(name, []).append(entry)

    def places(
        self,
        kind: str,
        name: str,
        tail: re.Pattern[str] | None = None,
        line_start: bool = False,
    ) -> list[tuple[int, int]]:
        """Where ``kind`` (``def`` or ``class``) defines ``name``, each place's keyword at the
        start of a word (of a line with ``line_start``) and followed by ``tail`` when given:
        (where the keyword starts, where the name or the tail ends), in the text's order."""
        if _WORDS.fullmatch(name) is None:  # a name the one pass does not take (a combining mark)
            pattern = kind + r"[\s\\]+" + re.escape(name) + (tail.pattern if tail else r"\b")
            return [(m.start(), m.end()) for m in word_matches(self.source, pattern, line_start)]
        found: list[tuple[int, int]] = []
        for keyword, start, end, at_line_start in self._at.get(name, ()):
            if keyword != kind or (line_start and not at_line_start):
                continue
            if tail is not None:
                after = tail.match(self.source, end)
                if after is None:
                    continue
                end = after.end()
            found.append((start, end))
        return found

    def defines(self, name: str, kinds: tuple[str, ...]) -> bool:
        """A ``def name`` or ``class name`` (of ``kinds``) in the text."""
        if _WORDS.fullmatch(name) is None:
            return any(self.places(kind, name) for kind in kinds)
        return any(keyword in kinds for keyword, _, _, _ in self._at.get(name, ()))


def def_blocks(
    source: str, name: str, limit: int = 5000, defs: Definitions | None = None
) -> list[str | None]:
    """The text of each ``def name(...)`` statement in the text, dedented so that it parses
    alone: its line, its parameter list (to the parenthesis that closes it, ``_closing``), and
    every line after that up to the first one, neither blank nor a comment, indented no deeper
    than the ``def`` (blank lines and comments are left out, whatever their indent: the
    tokenizer ends a block only at code, and a comment at column 0 is common in a function's
    body). None for a ``def`` this cannot take out: one not at the start of its line (after
    ``async``), a line of it indented with tabs or form feeds, or a line of its parameter list
    indented less than the ``def``.

    A block cut short inside a string, brackets or a continuation that spans lines ends inside
    it and does not parse alone: whoever parses it then knows nothing from it. One that parses
    begins with the whole statement (a text here may also be no ``def``: one inside a string).
    ``defs``: the text's ``Definitions``, when its owner keeps them."""
    blocks: list[str | None] = []
    for def_start, def_end in (defs or Definitions(source)).places("def", name, PARAMETERS):
        start = max(source.rfind(end, 0, def_start) for end in ("\n", "\r")) + 1
        prefix = source[start:def_start]
        width = len(prefix) - len(prefix.lstrip(" "))  # ``async def``: the indent before it
        if prefix.strip() not in ("", "async") or "\t" in prefix or "\f" in prefix:
            blocks.append(None)
            continue
        header_end = _closing(source, def_end - 1, limit)
        lines: list[str] = []
        taken = True
        for line in _LINE.finditer(source, start):
            text = line.group()
            stripped = text.lstrip(" \t\f")
            if not stripped.strip() or stripped.startswith("#"):
                lines.append("\n")  # a blank line or a comment: no code, whatever its indent
                continue
            lead = text[: len(text) - len(stripped)]
            if "\t" in lead or "\f" in lead:
                taken = False  # the tokenizer's columns, not the text's: not taken out
                break
            if line.start() >= header_end and len(lead) <= width and lines:
                break  # the next statement: the block ends
            elif len(lead) < width:
                taken = False  # a line of the parameter list left of the ``def``
                break
            else:
                lines.append(text[width:])
        blocks.append("".join(lines) if taken and lines else None)
    return blocks


def signatures(
    source: str, name: str, limit: int = 5000, defs: Definitions | None = None
) -> list[str]:
    """The parameter list of each ``def name(...)`` in the text, parentheses included
    (``_closing``). ``defs``: the text's ``Definitions``, when its owner keeps them."""
    return [
        source[end - 1 : _closing(source, end - 1, limit)]
        for _start, end in (defs or Definitions(source)).places("def", name, PARAMETERS)
    ]
