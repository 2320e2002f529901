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


def signatures(source: str, name: str, limit: int = 5000) -> list[str]:
    """The parameter list of each ``def name(...)`` in the text, parentheses included
    (``_closing``)."""
    return [
        source[match.end() - 1 : _closing(source, match.end() - 1, limit)]
        for match in word_matches(source, r"def[\s\\]+" + re.escape(name) + r"\s*\(")
    ]
