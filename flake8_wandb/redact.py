"""Keeping API keys out of everything wandb-fix prints.

A key written in source rarely appears verbatim in the text around it: adjacent literals
(``"a1b2" "c3d4"``, over several lines), escapes (``"\\x61..."``), f-strings and ``+`` make a
search for the key's value useless. So keys are masked by their SOURCE SPAN: every literal the
secrets finder (``analysis/secrets.py``, which WB302 reports from) knows as a key, whatever the
selection and ``# noqa`` say, is replaced in each line it covers before a line is printed. Any
run shaped like a W&B key (``wandb_runtime.facts.KEY_IN_TEXT``: 40 or more hex digits, a
``wandb_v1_`` key, an on-prem ``<prefix>-<secret>`` key) is masked in every printed line as well,
whatever produced it.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from wandb_runtime.facts import KEY_IN_TEXT

from .engine import Context, Settings, Span, split_lines

MASK = "<redacted>"


def mask_text(text: str) -> str:
    """Any run shaped like a W&B API key masked."""
    return KEY_IN_TEXT.sub(MASK, text)


def key_spans(source: str) -> list[Span]:
    """The source spans of every key literal in ``source`` (``# noqa`` or not, selected or not).
    Empty when the source does not parse: the hex mask still applies then."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return tree_key_spans(tree, source)


def tree_key_spans(tree: ast.Module, source: str) -> list[Span]:
    """``key_spans`` of a module already parsed (a notebook's virtual module)."""
    from .analysis import secrets

    try:
        return secrets.find(Context(tree, source, Settings())).spans()
    except RecursionError:
        return []


def masked_lines(source: str, spans: Sequence[Span] = ()) -> list[str]:
    """The lines of ``source`` (as ``split_lines`` counts them, endings kept) with every span
    and every 40-hex run masked. Line count and line endings are unchanged, so a diff of two
    masked texts has the hunks of the diff of the texts."""
    lines = split_lines(source)
    cuts: dict[int, list[tuple[int, int]]] = {}  # line -> byte ranges to mask
    for (l1, c1), (l2, c2) in spans:
        for n in range(l1, min(l2, len(lines)) + 1):
            raw = lines[n - 1].encode("utf-8")
            content = raw.rstrip(b"\r\n")
            start = c1 if n == l1 else len(content) - len(content.lstrip())
            end = c2 if n == l2 else len(content)
            if start < end:
                cuts.setdefault(n, []).append((start, end))
    out: list[str] = []
    for n, line in enumerate(lines, 1):
        if n in cuts:
            raw = line.encode("utf-8")
            pieces: list[bytes] = []
            pos = 0
            for a, b in sorted(cuts[n]):
                if b <= pos:
                    continue
                a = max(a, pos)
                pieces += [raw[pos:a], MASK.encode()]
                pos = b
            pieces.append(raw[pos:])
            line = b"".join(pieces).decode("utf-8", "replace")
        out.append(mask_text(line))
    return out
