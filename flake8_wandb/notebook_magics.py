"""IPython syntax in a notebook's code cells, masked so that the cell parses as Python.

``%magic``, ``!shell``, ``x = !cmd``, ``obj?`` and a ``%%bash`` cell are masked line by line
with a placeholder that parses (``pass`` at the line's indentation, with a marker comment); an
assignment from a command keeps its target (``files, = ...``), and ``%env NAME=value`` becomes
the ``os.environ`` assignment it stands for, so the rules read it. The rules of what IPython
reads as its own syntax are IPython's (``inputtransformer2``), cited where they are used.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator

from .engine import split_lines
from .fixer import parses

#: cell magics whose body IPython runs as Python in the notebook's namespace: only their first
#: line is masked. Any other cell magic (``%%bash``, ``%%writefile``, ``%%html``) masks the cell.
PYTHON_BODY_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "wandb"})

#: line magics IPython runs without their ``%`` (automagic) when the line is no Python:
#: ``cd data/``, ``pip install wandb``
AUTOMAGICS = frozenset(
    "cd pwd ls ll pip conda env cat mkdir rm rmdir cp mv pushd popd load_ext reload_ext matplotlib"
    " run time timeit alias who whos reset history store tensorflow_version".split()
)

#: what follows the assignment's ``=`` in IPython's ``x = !cmd`` (a ``!`` that is not ``!=``) and
#: ``x = %magic`` (a ``%`` then a name): ``SystemAssign`` and ``MagicAssign`` in IPython's
#: ``inputtransformer2``
_ASSIGNED_IPYTHON = re.compile(r"[ \t]*(?:!(?!=)|%[ \t]*(?=[^\W\d]))")
#: characters that make an ``=`` before them part of an operator (``==``, ``<=``, ``+=``, ``:=``)
_OPERATOR_BEFORE_EQUALS = frozenset("=<>!+-*/%@&|^:")


class _Scanner:
    """Just enough of Python's tokenizer to know whether a line starts a statement: open
    brackets, strings that span lines, backslash continuations. A ``!`` or ``%`` inside a
    multi-line string or call is Python, not IPython."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote = ""
        self.continued = False
        #: the statement (logical line) has had its first ``=`` outside brackets
        self.assigned = False
        #: where the statement's first ``=`` outside brackets is on the line last fed, if there
        self.assign_at: int | None = None

    def at_statement_start(self) -> bool:
        return self.depth == 0 and not self.quote and not self.continued

    def feed(self, line: str) -> int:
        """Scan one line; return where its comment starts (the line's length if none)."""
        body = line.rstrip("\r\n")
        comment = len(body)
        if self.at_statement_start():
            self.assigned = False
        self.assign_at = None
        self.continued = False
        i, n = 0, len(body)
        while i < n:
            if self.quote:  # jump to the next backslash or closing quote
                m = _IN_STRING[self.quote].search(body, i)
                if m is None:
                    break
                i = m.end() + (1 if m.group() == "\\" else 0)
                if m.group() != "\\":
                    self.quote = ""
                continue
            m = _CODE.search(body, i)
            if m is None:
                break
            c, i = m.group(), m.end()
            if c == "#":
                comment = m.start()
                break
            if c == "=":
                if body[i : i + 1] == "=":  # ``==``
                    i += 1
                elif self.depth == 0 and not self.assigned:
                    before = body[m.start() - 1 : m.start()]
                    if before not in _OPERATOR_BEFORE_EQUALS:
                        self.assigned, self.assign_at = True, m.start()
            elif c in "\"'":
                self.quote = c * 3 if body.startswith(c * 3, m.start()) else c
                i = m.start() + len(self.quote)
            elif c in "([{":
                self.depth += 1
            else:
                self.depth = max(0, self.depth - 1)
        trailing = len(body) - len(body.rstrip("\\"))
        if len(self.quote) == 1 and trailing % 2 == 0:
            self.quote = ""  # an unterminated string: Python reports it, the next line is new
        elif not self.quote and comment == n and trailing % 2 == 1:
            self.continued = True
        return comment


_CODE = re.compile(r"[#\"'()\[\]{}=]")
_IN_STRING = {q: re.compile(r"\\|" + re.escape(q)) for q in ("'", '"', "'''", '"""')}


def _is_ipython(content: str) -> bool:
    """A line that starts a statement and is IPython syntax, not Python."""
    s = content.strip()
    if not s or s[0] == "#":
        return False
    if s[0] in "%!?":
        return True
    word = s.split(None, 1)[0]
    if word in AUTOMAGICS and s[len(word) : len(word) + 1].isspace():
        rest = s[len(word) :].lstrip()
        scanner = _Scanner()
        scanner.feed(s)  # an open bracket or string: a Python statement that goes on
        complete = scanner.at_statement_start()
        return complete and not re.match(r"=(?!=)|[-+*/%&|^@]=", rest) and not parses(s)
    return _help_end(s)


def _help_end(s: str) -> bool:
    """``obj?`` / ``obj??``: help; ``?`` is no Python token outside strings. IPython reads
    ``x = !ls?`` as help too (``HelpEnd`` starts at the line's start: before the assignment)."""
    if "?" not in s:
        return False
    scanner = _Scanner()
    code = s[: scanner.feed(s)].rstrip()
    return not scanner.quote and code.endswith("?")


def _ipython_assignment(content: str, scanner: _Scanner) -> str | None:
    """The target and ``=`` of an IPython assignment (``files, = !ls``, ``d["k"] = %time f()``)
    on a line ``scanner`` was just fed, None if the line is no such assignment.

    IPython's rule (``SystemAssign`` / ``MagicAssign``): the first ``=`` of the statement outside
    brackets, followed by ``!`` or ``%name``; IPython does not look at the target at all (Python
    then accepts or refuses it), so neither do we. The ``=`` may be on a later line of the
    statement (``(out,\n err) = !cmd``), but not the first thing on its line."""
    at = scanner.assign_at
    if at is None or not content[:at].strip():
        return None
    return content[: at + 1] if _ASSIGNED_IPYTHON.match(content, at + 1) else None


#: line magics that set an environment variable, and IPython's automagic form of ``%env``
_ENV_MAGICS = ("%env", "%set_env", "env")


def env_assignment(content: str) -> tuple[str, str] | None:
    """``(name, value)`` when the line sets an environment variable to a literal value as
    IPython's ``%env`` / ``%set_env`` magic does (``%env WANDB_MODE=offline``, ``%env
    WANDB_MODE offline``, automagic ``env NAME=value``); None for any other line, and for a value
    IPython expands (``$name``, ``{expr}``) or a line continued with ``\\``.

    IPython's rule (``OSMagics.set_env``): split the argument at its first ``=`` if it has one,
    else at its first space; both sides stripped; a name with whitespace in it is refused. A
    ``#`` is part of the value (a line magic takes the rest of the line)."""
    s = content.strip()
    word, _, args = s.partition(" ")
    if word not in _ENV_MAGICS or any(c in args for c in "${}") or s.endswith("\\"):
        return None
    if word == "env":  # automagic: the argument is what follows the word and its blanks
        args = args.lstrip()
    split = "=" if "=" in args else " "
    if len(args.split(split)) < 2:
        return None  # ``%env`` lists, ``%env NAME`` gets
    name, value = (part.strip() for part in args.split(split, 1))
    if not name or re.search(r"\s", name):
        return None
    return name, value


def cell_magic(source: str) -> str | None:
    """The name of the cell magic on the first non-blank line (``%%time`` -> ``time``)."""
    for line in split_lines(source):
        s = line.strip()
        if s:
            return s[2:].split(None, 1)[0] if s.startswith("%%") and len(s) > 2 else None
    return None


def mask(source: str, tag: str, counter: Iterator[int]) -> tuple[str, dict[str, tuple[str, str]]]:
    """A code cell's source with every IPython line masked: the masked text, and marker ->
    (placeholder line, original line), both without their newline. A placeholder parses
    (``pass`` at the line's indentation, or the Python the line stands for) and ends with its
    marker comment ``#<tag>:<n>``, so that the line is put back byte for byte after fixing."""
    masks: dict[str, tuple[str, str]] = {}
    lines = split_lines(source)
    magic = cell_magic(source)
    whole = magic is not None and magic not in PYTHON_BODY_MAGICS
    scanner = _Scanner()
    out: list[str] = []
    continued = False
    after_equals = False  # the line before ends with the statement's first ``=`` and a ``\``

    def hide(line: str, statement: bool, target: str | None = None) -> None:
        content = line.rstrip("\r\n")
        key = f"#{tag}:{next(counter)}"
        indent = content[: len(content) - len(content.lstrip())]
        env = env_assignment(content) if statement and target is None else None
        if target is not None:  # the target stays Python: the name is bound, as in IPython
            placeholder = f"{target} ...  {key}"
        elif env is not None:  # the Python it stands for: the rules read it as such
            os_name = f"{tag}_os"
            placeholder = (
                f"{indent}import os as {os_name}; {os_name}.environ[{env[0]!r}] = {env[1]!r}  {key}"
            )
        elif not statement:
            placeholder = f"{indent}{key}"
        else:
            placeholder = f"{indent}pass  {key}"
        masks[key] = (placeholder, content)
        out.append(placeholder + line[len(content) :])

    for line in lines:
        content = line.rstrip("\r\n")
        if whole or continued:
            if content.strip():
                hide(line, statement=False)
            else:
                out.append(line)
            continued = continued and content.endswith("\\")
            continue
        start = scanner.at_statement_start()
        escaped = start and (content.lstrip()[:1] in ("%", "!", "?") or _help_end(content))
        target: str | None = None
        if after_equals and _ASSIGNED_IPYTHON.match(content):  # ``x = \`` then ``!cmd``
            target = content[: len(content) - len(content.lstrip())]
        else:
            probe = copy.copy(scanner)
            probe.feed(line)
            target = None if escaped else _ipython_assignment(content, probe)
        after_equals = False
        if target is not None:
            hide(line, statement=True, target=target)
            scanner = _Scanner()  # the statement ends with the command (or its ``\``)
            continued = content.endswith("\\")
            continue
        if start and _is_ipython(content):
            hide(line, statement=True)
            continued = content.endswith("\\")
            continue
        scanner = probe
        at = scanner.assign_at
        after_equals = at is not None and content[at + 1 :].strip() == "\\"
        out.append(line)
    return "".join(out), masks
