"""wandb APIs that later releases removed or turned into no-ops: one table, as data.

Modelled on TorchFix's ``deprecated_symbols.yaml``: each entry says which call shape is gone,
since which wandb release, what happens there (the exception, or ``no-op``), what to write
instead, and whether that replacement is certain enough for a safe fix. flake8-wandb's WB308
reads it through ``flake8_wandb.versions.WandbFacts.removed_apis`` and reports an entry only when
the target wandb is at or after ``since``. ``tests/test_api_changes.py`` runs every ``example``
and ``replacement_example`` against the installed wandb (0.31, offline) and checks ``effect``.

Versions were read from wandb's own releases (the wheels' sources and CHANGELOG.md):
``Run.log(sync=)`` and ``Run.join()`` went in 0.20.0 (PRs 9940, 9960); ``require("legacy-service")``
raises and ``require("service")`` does nothing since 0.21.0 (PR 9965); the getters deprecated in
0.19.10 (PR 8925), ``Run.finish(quiet=)`` (deprecated in 0.18.7, PR 8794) and the
``start_method`` setting (a no-op since 0.20.0, PR 9837) went in 0.29.0.

Plain data: importing this imports nothing.
"""

from __future__ import annotations

from typing import NamedTuple


class RemovedApi(NamedTuple):
    #: a short stable name, used in messages and tests
    id: str
    #: the shape as users write it
    shape: str
    #: the callables concerned, by what they resolve to: ``wandb.<name>`` for the module's
    #: functions and classes, ``Run.<name>`` for a method of a run (what ``wandb.init()``
    #: returns)
    callables: tuple[str, ...]
    #: what is gone: ``"call"`` (the method itself), ``"keyword:<name>"`` (one keyword
    #: argument; for ``wandb.Settings`` also the key of a ``settings={...}`` dict given to
    #: ``wandb.init``), ``"argument:<value>"`` (a call with this string literal as its first
    #: argument)
    what: str
    #: the first release that no longer accepts it (or where it does nothing)
    since: tuple[int, int, int]
    #: the release that first warned about it, when one did
    deprecated: tuple[int, int, int] | None
    #: what happens from ``since`` on: an exception's class name, or ``"no-op"``
    effect: str
    #: what to do instead, as the message says it
    replacement: str
    #: the safe fix, when the replacement is certain: ``"attribute:<name>"`` (the call becomes
    #: that attribute of the same object), ``"drop-keyword"`` (the keyword goes: it did nothing
    #: or it certainly raised), ``"drop-statement"`` (the statement goes); None: no fix
    fix: str | None
    #: code that shows the effect on a wandb at or after ``since`` (names: ``wandb``, ``run`` an
    #: offline run)
    example: str
    #: the replacement's code, which must run without error on the same wandb
    replacement_example: str


REMOVED_APIS: tuple[RemovedApi, ...] = (
    RemovedApi(
        id="settings-start-method",
        shape="wandb.Settings(start_method=...)",
        callables=("wandb.Settings",),
        what="keyword:start_method",
        since=(0, 29, 0),
        deprecated=(0, 20, 0),
        effect="ValidationError",
        replacement="remove start_method (it has had no effect since wandb 0.20)",
        fix=None,
        example='wandb.Settings(start_method="thread")',
        replacement_example="wandb.Settings()",
    ),
    RemovedApi(
        id="log-sync",
        shape="run.log(..., sync=...)",
        callables=("wandb.log", "Run.log"),
        what="keyword:sync",
        since=(0, 20, 0),
        deprecated=None,
        effect="TypeError",
        replacement="remove sync= (it had no effect)",
        fix="drop-keyword",
        example='run.log({"loss": 1.0}, sync=False)',
        replacement_example='run.log({"loss": 1.0})',
    ),
    RemovedApi(
        id="finish-quiet",
        shape="run.finish(quiet=...)",
        callables=("wandb.finish", "Run.finish"),
        what="keyword:quiet",
        since=(0, 29, 0),
        deprecated=(0, 18, 7),
        effect="TypeError",
        replacement="remove quiet= (set wandb.Settings(quiet=...) at init instead)",
        fix="drop-keyword",
        example="run.finish(quiet=True)",
        replacement_example="run.finish()",
    ),
    RemovedApi(
        id="run-get-url",
        shape="run.get_url()",
        callables=("Run.get_url",),
        what="call",
        since=(0, 29, 0),
        deprecated=(0, 19, 10),
        effect="AttributeError",
        replacement="use run.url",
        fix="attribute:url",
        example="run.get_url()",
        replacement_example="run.url",
    ),
    RemovedApi(
        id="run-get-project-url",
        shape="run.get_project_url()",
        callables=("Run.get_project_url",),
        what="call",
        since=(0, 29, 0),
        deprecated=(0, 19, 10),
        effect="AttributeError",
        replacement="use run.project_url",
        fix="attribute:project_url",
        example="run.get_project_url()",
        replacement_example="run.project_url",
    ),
    RemovedApi(
        id="run-get-sweep-url",
        shape="run.get_sweep_url()",
        callables=("Run.get_sweep_url",),
        what="call",
        since=(0, 29, 0),
        deprecated=(0, 19, 10),
        effect="AttributeError",
        replacement="use run.sweep_url",
        fix="attribute:sweep_url",
        example="run.get_sweep_url()",
        replacement_example="run.sweep_url",
    ),
    RemovedApi(
        id="run-project-name",
        shape="run.project_name()",
        callables=("Run.project_name",),
        what="call",
        since=(0, 29, 0),
        deprecated=(0, 19, 10),
        effect="AttributeError",
        replacement="use run.project",
        fix="attribute:project",
        example="run.project_name()",
        replacement_example="run.project",
    ),
    RemovedApi(
        id="run-join",
        shape="run.join()",
        callables=("Run.join",),
        what="call",
        since=(0, 20, 0),
        deprecated=None,
        effect="AttributeError",
        replacement="use run.finish()",
        fix=None,
        example="run.join()",
        replacement_example="run.finish()",
    ),
    RemovedApi(
        id="require-legacy-service",
        shape='wandb.require("legacy-service")',
        callables=("wandb.require",),
        what="argument:legacy-service",
        since=(0, 21, 0),
        deprecated=None,
        effect="UnsupportedError",
        replacement="remove it (the legacy service no longer exists)",
        fix=None,
        example='wandb.require("legacy-service")',
        replacement_example="None",
    ),
    RemovedApi(
        id="require-service",
        shape='wandb.require("service")',
        callables=("wandb.require",),
        what="argument:service",
        since=(0, 21, 0),
        deprecated=None,
        effect="no-op",
        replacement="remove it (the service is the default; the call only warns)",
        fix="drop-statement",
        example='wandb.require("service")',
        replacement_example="None",
    ),
)
