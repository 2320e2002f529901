"""Precision and recall of the rules on real training code, labelled blind.

The files under ``tests/realcode/<set>/`` are verbatim copies of public training code; the JSON
beside each one holds labels written from the rule pages (docs/rules/) and the code alone, by someone who had not seen
the linter's output (format: ``tests/realcode/README.md``). This script runs the real flake8 once
over every file and compares what it reports with the labels, per rule:

    python tests/realcode/evaluate.py              # both sets, per-rule table, misses and FPs
    python tests/realcode/evaluate.py --set dev    # one set
    python tests/realcode/evaluate.py --update     # rewrite baseline.json (known misses / FPs)
    python tests/realcode/evaluate.py --projects   # whole project folders (projects/<set>/<slug>/)
    python tests/realcode/evaluate.py --set newrules/dev --set newrules/holdout   # WB305/308/309/702
    python tests/realcode/evaluate.py --set fresh   # the fresh blind holdout (never tuned on)
    python tests/realcode/evaluate.py --set config_refs   # WB303/WB305: a config kept on an object
    python tests/realcode/evaluate.py --projects --set fresh --set fresh2 --set fresh3   # project holdouts (never tuned on)

The sets ``dev``, ``holdout`` and ``fresh`` judge the default rules; ``newrules/dev`` and
``newrules/holdout`` judge WB305, WB308, WB309 and WB702, collected and labelled for them;
``config_refs`` judges WB303 and WB305 where a run's config is kept on an object
(``self.config = wandb.config``), labelled after the fix and never tuned on. Every
code a file's ``labelled`` names is selected explicitly, so an opt-in rule is measured as if it
were on.

Project folders (``projects/<set>/<slug>/``: a training script with its ``library/``, ``utils/``,
trainer modules, kept with their relative paths, and one ``labels.json`` whose ``files`` maps each
relative path to that file's labels) are linted by one flake8 run inside the folder, so that the
project's own imports resolve as they do for their authors; they are scored per file.

A report matches a label when both name the same code and the same statement: each report is
mapped to the first line of the innermost statement around its position, as the labels are.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SETS = ("dev", "holdout", "newrules/dev", "newrules/holdout", "fresh", "config_refs")
#: the sets that hold project folders (``projects/<set>/<slug>/``)
PROJECT_SETS = ("dev", "fresh", "fresh2", "fresh3")
BASELINE = HERE / "baseline.json"
PROJECTS = HERE / "projects"
#: a folder holding project code kept out of the repository (``code_folder``)
LOCAL = (
    Path(os.environ["FLAKE8_WANDB_REALCODE"]) if os.environ.get("FLAKE8_WANDB_REALCODE") else None
)
_ROW = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>WB\d{3}) (?P<text>.*)$")

Key = tuple[str, int, str]  # (file slug, statement line, code)


@dataclass
class Outcome:
    tp: set[Key] = field(default_factory=set)
    fp: set[Key] = field(default_factory=set)
    fn: set[Key] = field(default_factory=set)
    why: dict[Key, str] = field(default_factory=dict)
    messages: dict[Key, str] = field(default_factory=dict)


def corpus(sets: Iterable[str] = SETS) -> list[Path]:
    files = []
    for name in sets:
        files += sorted((HERE / name).glob("*.py"))
    return [f for f in files if f.with_suffix(".json").exists()]


def run_flake8(
    files: list[Path], codes: Iterable[str] = (), cwd: Path | None = None
) -> list[tuple[Path, int, int, str, str]]:
    """The real flake8 with this plugin's default rules and the labelled ``codes`` (opt-in ones
    included, selected explicitly), ignoring any config file around. ``cwd``: run there, with
    the files given relative to it (a project folder)."""
    if not files:
        return []
    cmd = [sys.executable, "-m", "flake8", "--isolated", "--select=WB", "-j", "1"]
    if codes:
        cmd.append("--extend-select=" + ",".join(sorted(set(codes))))
    names = [str(f.relative_to(cwd)) if cwd else str(f) for f in files]
    cmd += ["--format=%(path)s:%(row)d:%(col)d: %(code)s %(text)s", *names]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if proc.returncode not in (0, 1) or proc.stderr.strip():
        raise RuntimeError(f"flake8 failed ({proc.returncode}):\n{proc.stderr}")
    rows = []
    for line in proc.stdout.splitlines():
        m = _ROW.match(line)
        if m:
            path = Path(m["path"])
            path = (cwd / path) if cwd and not path.is_absolute() else path
            rows.append((path, int(m["line"]), int(m["col"]), m["code"], m["text"]))
    return rows


class StatementIndex:
    """Maps a position to the first line of the innermost statement that contains it."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines()
        with warnings.catch_warnings():  # real code has invalid escapes: not ours to report
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
        self.spans = [
            ((n.lineno, n.col_offset), (n.end_lineno, n.end_col_offset), n.lineno)
            for n in ast.walk(tree)
            if isinstance(n, ast.stmt)
        ]

    def statement_line(self, line: int, char_col: int) -> int:
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        pos = (line, len(text[: char_col - 1].encode("utf-8")))
        best: tuple[tuple[int, int], int] | None = None
        for start, end, first in self.spans:
            if start <= pos <= end and (best is None or start >= best[0]):
                best = (start, first)
        return best[1] if best else line


def evaluate(sets: Iterable[str] = SETS) -> dict[str, Outcome]:
    """Per rule code, the true positives, false positives and misses over the chosen sets."""
    files = corpus(sets)
    labels = {f: json.loads(f.with_suffix(".json").read_text(encoding="utf-8")) for f in files}
    by_code: dict[str, Outcome] = {}
    codes = {c for meta in labels.values() for c in meta.get("labelled", ())}
    rows = run_flake8(files, codes)
    slugs = {f: f"{f.parent.relative_to(HERE).as_posix()}/{f.stem}" for f in files}
    _score({f: (slugs[f], labels[f]) for f in files}, rows, by_code)
    return by_code


#: ``--only``: the project folders (slugs) to score, all when empty
ONLY: set[str] = set()


def projects(sets: Iterable[str] = PROJECT_SETS) -> list[Path]:
    """The labelled project folders of the chosen sets."""
    found = []
    for name in sets:
        found += sorted(p.parent for p in (PROJECTS / name).glob("*/labels.json"))
    return [p for p in found if not ONLY or p.name in ONLY]


def code_folder(folder: Path) -> Path | None:
    """Where a labelled project's code is: beside its labels, or, for a project whose code is
    kept out of the repository (code read with the workplace's ``fetch``/``read_file`` tools is
    never committed), under ``$FLAKE8_WANDB_REALCODE/projects/<set>/<slug>/``; None when neither
    holds every labelled file."""
    meta = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    files = list(meta.get("files", {}))
    candidates = [folder]
    if LOCAL is not None:
        candidates.append(LOCAL / "projects" / folder.parent.name / folder.name)
    for where in candidates:
        if files and all((where / rel).is_file() for rel in files):
            return where
    return None


def evaluate_projects(sets: Iterable[str] = PROJECT_SETS) -> dict[str, Outcome]:
    """As ``evaluate``, over whole project folders: one flake8 run inside each folder. Projects
    whose code is not present (``code_folder``) are left out, and named on stderr."""
    by_code: dict[str, Outcome] = {}
    for folder in projects(sets):
        meta = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
        code = code_folder(folder)
        if code is None:
            print(
                f"skipped {folder.parent.name}/{folder.name}: its code is not here "
                "(set FLAKE8_WANDB_REALCODE)",
                file=sys.stderr,
            )
            continue
        code = code.resolve()
        labelled = {
            (code / rel).resolve(): (f"{folder.parent.name}/{folder.name}/{rel}", file_meta)
            for rel, file_meta in meta.get("files", {}).items()
        }
        files = sorted(code.rglob("*.py"))
        codes = {c for _, file_meta in labelled.values() for c in file_meta.get("labelled", ())}
        _score(labelled, run_flake8(files, codes, cwd=code), by_code)
    return by_code


def _score(
    labelled: dict[Path, tuple[str, dict]],
    rows: list[tuple[Path, int, int, str, str]],
    by_code: dict[str, Outcome],
) -> None:
    index = {f: StatementIndex(f.read_text(encoding="utf-8")) for f in labelled}
    reported: dict[Path, dict[tuple[int, str], str]] = {f: {} for f in labelled}
    for path, line, col, code, text in rows:
        path = path.resolve()
        if path in index:
            reported[path][(index[path].statement_line(line, col), code)] = text
    for f, (slug, meta) in labelled.items():
        labelled_codes = set(meta.get("labelled", ()))
        expect = {(int(line), code): why for line, code, *why in meta.get("expect", ())}
        unsure = {(int(line), code) for line, code, *_ in meta.get("unsure", ())}
        for (line, code), why in expect.items():
            out = by_code.setdefault(code, Outcome())
            key = (slug, line, code)
            out.why[key] = why[0] if why else ""
            if (line, code) in reported[f]:
                out.tp.add(key)
                out.messages[key] = reported[f][(line, code)]
            else:
                out.fn.add(key)
        for (line, code), text in reported[f].items():
            if code not in labelled_codes or (line, code) in expect or (line, code) in unsure:
                continue
            out = by_code.setdefault(code, Outcome())
            out.fp.add((slug, line, code))
            out.messages[(slug, line, code)] = text


def table(by_code: dict[str, Outcome]) -> str:
    rows = ["| rule | labelled instances | found | false positives | precision | recall |"]
    rows.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    total = Counter()
    for code in sorted(by_code):
        o = by_code[code]
        tp, fp, fn = len(o.tp), len(o.fp), len(o.fn)
        total.update(tp=tp, fp=fp, fn=fn)
        rows.append(
            f"| {code} | {tp + fn} | {tp} | {fp} | {_ratio(tp, tp + fp)} | {_ratio(tp, tp + fn)} |"
        )
    tp, fp, fn = total["tp"], total["fp"], total["fn"]
    rows.append(
        f"| all | {tp + fn} | {tp} | {fp} | {_ratio(tp, tp + fp)} | {_ratio(tp, tp + fn)} |"
    )
    return "\n".join(rows)


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.1%}" if b else "n/a"


def known(by_code: dict[str, Outcome]) -> dict[str, list[list[object]]]:
    return {
        "false_positives": sorted([list(k) for o in by_code.values() for k in o.fp]),
        "misses": sorted([list(k) for o in by_code.values() for k in o.fn]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--set",
        choices=sorted({*SETS, *PROJECT_SETS}),
        action="append",
        help="only this set (repeatable)",
    )
    ap.add_argument(
        "--only", action="append", metavar="SLUG", help="with --projects: only this project"
    )
    ap.add_argument("--update", action="store_true", help="rewrite baseline.json")
    ap.add_argument("--projects", action="store_true", help="score the project folders")
    args = ap.parse_args(argv)
    ONLY.update(args.only or ())
    sets = args.set or list(PROJECT_SETS if args.projects else SETS)
    run = evaluate_projects if args.projects else evaluate
    for name in sets:
        count = len(projects([name])) if args.projects else len(corpus([name]))
        print(f"\n## {name}: {count} {'projects' if args.projects else 'files'}")
        result = run([name])
        print(table(result))
        for code in sorted(result):
            o = result[code]
            for key in sorted(o.fn):
                print(f"  MISS {key[0]}:{key[1]} {code}  ({o.why.get(key, '')})")
            for key in sorted(o.fp):
                print(f"  FP   {key[0]}:{key[1]} {o.messages.get(key, code)}")
    if len(sets) > 1:
        print("\n## all sets")
        print(table(run(sets)))
    if args.update:
        both = evaluate(SETS)
        for code, o in evaluate_projects(PROJECT_SETS).items():
            merged = both.setdefault(code, Outcome())
            merged.tp |= o.tp
            merged.fp |= o.fp
            merged.fn |= o.fn
        BASELINE.write_text(json.dumps(known(both), indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {BASELINE.relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
