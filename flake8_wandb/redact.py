"""Keeping API keys out of everything wandb-fix prints.

A key written in source rarely appears verbatim in the text around it: adjacent literals
(``"a1b2" "c3d4"``, over several lines), escapes (``"\\x61..."``), f-strings and ``+`` make a
search for the key's value useless. So keys are masked by their SOURCE SPAN: every literal that
WB302 recognises as a key, whatever the selection and ``# noqa`` say, is replaced in each line it
covers before a line is printed. Any run of 40 or more hex digits (the shape of a W&B key) is
masked in every printed line as well, whatever produced it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from .engine import Engine, Span, split_lines

MASK = "<redacted>"
_HEX_RUN = re.compile(r"[0-9a-fA-F]{40,}")


def mask_text(text: str) -> str:
    """Any 40-hex run (the shape of a W&B API key) masked."""
    return _HEX_RUN.sub(MASK, text)


def key_spans(source: str) -> list[Span]:
    """The source spans of every key literal in ``source`` (``# noqa`` or not, selected or not).
    Empty when the source does not parse: the hex mask still applies then."""
    from .rules.hardcoded_api_key import HardcodedApiKey

    engine = Engine([HardcodedApiKey])
    if not engine.may_match(source):
        return []
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    findings, _ = engine.check(tree, source)
    return [span for f in findings for span in f.secrets]


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
