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


def def_blocks(source: str, name: str, limit: int = 5000) -> list[str | None]:
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
    begins with the whole statement (a text here may also be no ``def``: one inside a string)."""
    blocks: list[str | None] = []
    for match in word_matches(source, r"def[\s\\]+" + re.escape(name) + r"\s*\("):
        start = max(source.rfind(end, 0, match.start()) for end in ("\n", "\r")) + 1
        prefix = source[start : match.start()]
        width = len(prefix) - len(prefix.lstrip(" "))  # ``async def``: the indent before it
        if prefix.strip() not in ("", "async") or "\t" in prefix or "\f" in prefix:
            blocks.append(None)
            continue
        header_end = _closing(source, match.end() - 1, limit)
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


def signatures(source: str, name: str, limit: int = 5000) -> list[str]:
    """The parameter list of each ``def name(...)`` in the text, parentheses included
    (``_closing``)."""
    return [
        source[match.end() - 1 : _closing(source, match.end() - 1, limit)]
        for match in word_matches(source, r"def[\s\\]+" + re.escape(name) + r"\s*\(")
    ]
