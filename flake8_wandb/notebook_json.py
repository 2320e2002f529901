"""A notebook's JSON text, edited in place: never re-serialized. The new ``source`` of each
edited cell is spliced into the original text (a list of lines stays a list, keeping the items
that did not change and the file's layout; a string stays a string); notebook.py checks that
the result loads to exactly the original notebook with those sources replaced."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from json.decoder import scanstring  # type: ignore[attr-defined]  # real, but not in typeshed
from typing import Any

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class NotebookError(Exception):
    """A notebook that cannot be read, or a fix that cannot be written back exactly."""


def nb_lines(text: str) -> list[str]:
    """Split as Jupyter stores sources: lines keeping their ``\\n``."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def indent_unit(text: str) -> str | None:
    m = re.search(r"\n([ \t]+)\S", text)
    return m.group(1) if m else None


def line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _ws(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]


def _object(text: str, i: int, walk: dict[str, Callable[[int], int]]) -> int:
    """Walk the JSON object at ``text[i] == "{"``; return its end. The value of a key in
    ``walk`` is handed to ``walk[key](start) -> end``; any other value is skipped (decoded once)."""
    i = _ws(text, i + 1)
    if text[i] == "}":
        return i + 1
    while True:
        if text[i] != '"':
            raise NotebookError("not a notebook: unexpected JSON")
        key, i = scanstring(text, i + 1)
        i = _ws(text, _ws(text, i) + 1)  # past ":"
        end = walk[key](i) if key in walk else _DECODER.raw_decode(text, i)[1]
        i = _ws(text, end)
        if text[i] == "}":
            return i + 1
        i = _ws(text, i + 1)  # past ","


def _array(text: str, i: int, item: Callable[[int, int], int]) -> int:
    """Walk the JSON array at ``text[i] == "["``, handing each item to ``item(index, start) ->
    end``; return the array's end."""
    i = _ws(text, i + 1)
    if text[i] == "]":
        return i + 1
    for index in itertools.count():
        i = _ws(text, item(index, i))
        if text[i] == "]":
            return i + 1
        i = _ws(text, i + 1)  # past ","
    raise AssertionError("unreachable")  # pragma: no cover


def _skip(text: str, i: int) -> int:
    return _DECODER.raw_decode(text, i)[1]


def source_spans(text: str) -> dict[int, tuple[tuple[int, int], list[tuple[int, int]]]]:
    """Cell index -> (span of its ``source`` value, spans of the list items) in the JSON text,
    each byte decoded once or twice. The last of duplicate keys wins, as in ``json.loads``."""
    found: dict[int, tuple[tuple[int, int], list[tuple[int, int]]]] = {}

    def cell(index: int, start: int) -> int:
        def source(a: int) -> int:
            items: list[tuple[int, int]] = []

            def one(_: int, s: int) -> int:
                items.append((s, _skip(text, s)))
                return items[-1][1]

            b = _array(text, a, one) if text[a] == "[" else _skip(text, a)
            found[index] = ((a, b), items)
            return b

        return (
            _object(text, start, {"source": source}) if text[start] == "{" else _skip(text, start)
        )

    def cells(a: int) -> int:
        found.clear()  # a later "cells" key wins
        return _array(text, a, cell) if text[a] == "[" else _skip(text, a)

    _object(text, _ws(text, 0), {"cells": cells})
    return found


def source_value(
    text: str,
    span: tuple[int, int],
    items: list[str] | None,
    item_spans: list[tuple[int, int]],
    new: str,
    ensure_ascii: bool,
) -> tuple[str, Any]:
    """The JSON text of a new ``source`` value in the cell's form and the file's layout,
    and the value it stands for."""
    dump = lambda s: json.dumps(s, ensure_ascii=ensure_ascii)  # noqa: E731
    if items is None:
        return dump(new), new
    old, spans = items, item_spans
    # keep the items that did not change, byte for byte (whatever their splitting)
    head = 0  # an item that gains a continuation (its newline was missing) is not kept
    while head < len(old) and new.startswith("".join(old[: head + 1])):
        if not old[head].endswith(("\n", "\r")) and new != "".join(old[: head + 1]):
            break
        head += 1
    tail = 0  # kept at the end too, where they still start a line
    rest = new[len("".join(old[:head])) :]
    while tail < len(old) - head:
        kept = "".join(old[len(old) - tail - 1 :])
        before = rest[: len(rest) - len(kept)]
        if not rest.endswith(kept) or (before and not before.endswith(("\n", "\r"))):
            break
        tail += 1
    middle = rest[: len(rest) - len("".join(old[len(old) - tail :]))]
    raw = [text[a:b] for a, b in spans]
    new_items = old[:head] + nb_lines(middle) + old[len(old) - tail :]
    new_raw = raw[:head] + [dump(s) for s in nb_lines(middle)] + raw[len(raw) - tail :]
    if not new_raw:
        return "[]", []
    a, b = span
    if spans:
        opening = text[a + 1 : spans[0][0]]
        closing = text[spans[-1][1] : b - 1]
        sep = text[spans[0][1] : spans[1][0]] if len(spans) > 1 else "," + opening
    else:  # an empty list: lay it out like the file's other lists
        line_start = text.rfind("\n", 0, a) + 1
        indent = re.match(r"[ \t]*", text[line_start:]).group()  # type: ignore[union-attr]
        unit = indent_unit(text)
        newline = "\r\n" if "\r\n" in text else "\n"
        opening = newline + indent + unit if unit is not None else ""
        closing = newline + indent if unit is not None else ""
        sep = "," + opening
    return "[" + opening + sep.join(new_raw) + closing + "]", new_items
