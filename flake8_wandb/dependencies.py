"""Does the project declare ``wandb-runtime``? wandb-fix asks once its fixes import ``wandb_runtime``.

Fixed code imports the runtime shim, so the project that holds it now needs the ``wandb-runtime``
distribution wherever the code runs. This module finds the project of each fixed file (the
nearest folder above it with a dependency file), looks where Python projects declare
dependencies, and says whether the project declares it and, if not, which file to add it to:

- ``pyproject.toml``: ``[project]`` ``dependencies`` and ``optional-dependencies`` groups, PEP 735
  ``[dependency-groups]``, Poetry's ``[tool.poetry.*dependencies]`` tables;
- ``requirements*.txt`` (and ``requirements/*.txt``);
- ``setup.cfg``: ``install_requires`` and ``[options.extras_require]``;
- ``setup.py``: a requirement string naming it (read as text, never executed);
- ``environment.yml`` / ``environment.yaml``: a conda or ``pip:`` entry.

Reading never raises: an unreadable or malformed file counts as declaring nothing.
"""

from __future__ import annotations

import configparser
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engine import RUNTIME_PACKAGE

DISTRIBUTION = RUNTIME_PACKAGE  # "wandb-runtime": what a fix's ``requires`` names
MODULE = "wandb_runtime"

#: files whose presence marks a project's root, nearest first
MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "environment.yml", "environment.yaml")
#: a requirement naming the distribution, any spelling PEP 503 folds together
_NAMES_IT = re.compile(r"^\s*wandb[-_.]+runtime(?![-_.]*\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Project:
    root: Path
    #: where it declares wandb-runtime, e.g. ``pyproject.toml [project] dependencies``
    declared_in: tuple[str, ...]
    #: where to add it when it does not: a file and the place inside it
    add_to: str


def names_it(requirement: object) -> bool:
    return isinstance(requirement, str) and bool(_NAMES_IT.match(requirement))


def _requirement_files(root: Path) -> list[Path]:
    files = sorted(root.glob("requirements*.txt")) + sorted(root.glob("requirements/*.txt"))
    return [f for f in files if f.is_file()]


def has_marker(folder: Path) -> bool:
    return any((folder / m).is_file() for m in MARKERS) or bool(_requirement_files(folder))


def find_root(path: Path) -> Path | None:
    """The nearest folder at or above ``path`` that holds a dependency file; the top of the git
    work tree (``.git``) ends the search, so a file outside the project is never taken."""
    path = path.resolve()
    for folder in ([path] if path.is_dir() else []) + list(path.parents):
        if has_marker(folder):
            return folder
        if (folder / ".git").exists():
            return folder
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
        return data if isinstance(data, dict) else {}
    except Exception:
        return {}


def _table(data: Any, *keys: str) -> dict[str, Any]:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _pyproject(path: Path) -> tuple[list[str], str | None]:
    """Where a pyproject.toml declares it, and where it would be added (``None``: it has no
    dependency table to add to)."""
    data = _toml(path)
    found: list[str] = []
    project = _table(data, "project")
    if any(names_it(r) for r in _list(project.get("dependencies"))):
        found.append(f"{path.name} [project] dependencies")
    for group, reqs in _table(project, "optional-dependencies").items():
        if any(names_it(r) for r in _list(reqs)):
            found.append(f"{path.name} [project.optional-dependencies] {group}")
    for group, reqs in _table(data, "dependency-groups").items():
        if any(names_it(r) for r in _list(reqs)):
            found.append(f"{path.name} [dependency-groups] {group}")
    poetry = _table(data, "tool", "poetry")
    poetry_tables = [("dependencies", _table(poetry, "dependencies"))]
    poetry_tables += [
        (f"group.{g}.dependencies", _table(t, "dependencies"))
        for g, t in _table(poetry, "group").items()
    ]
    for where, table in poetry_tables:
        if any(names_it(k) for k in table):
            found.append(f"{path.name} [tool.poetry.{where}]")
    if "project" in data:
        add_to: str | None = f"{path.name} [project] dependencies"
    elif poetry:
        add_to = f"{path.name} [tool.poetry.dependencies]"
    else:
        add_to = None
    return found, add_to


def _setup_cfg(path: Path) -> tuple[list[str], bool]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return [], False
    found: list[str] = []
    if parser.has_option("options", "install_requires"):
        if any(names_it(line) for line in parser.get("options", "install_requires").splitlines()):
            found.append(f"{path.name} [options] install_requires")
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            if any(names_it(line) for line in value.splitlines()):
                found.append(f"{path.name} [options.extras_require] {extra}")
    return found, parser.has_section("options")


def _lines_name_it(lines: Iterable[str]) -> bool:
    for line in lines:
        line = line.split("#", 1)[0].strip()
        line = re.sub(r"^-\s*", "", line)  # YAML list items
        if names_it(line):
            return True
    return False


def inspect(root: Path) -> Project:
    """Where the project at ``root`` declares wandb-runtime, and where to add it."""
    declared: list[str] = []
    add_to: list[str] = []
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        found, where = _pyproject(pyproject)
        declared += found
        if where:
            add_to.append(where)
    for req in _requirement_files(root):
        text = _read(req)
        rel = req.relative_to(root).as_posix()
        if text is not None and _lines_name_it(text.splitlines()):
            declared.append(rel)
        if not req.name.startswith(("requirements-dev", "requirements_dev", "requirements-test")):
            add_to.append(rel)
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        found, has_options = _setup_cfg(setup_cfg)
        declared += found
        if has_options:
            add_to.append("setup.cfg [options] install_requires")
    setup_py = root / "setup.py"
    if setup_py.is_file():
        text = _read(setup_py) or ""
        if re.search(r"""["']\s*wandb[-_.]+runtime(?![-_.]*\w)""", text, re.IGNORECASE):
            declared.append("setup.py")
        add_to.append("setup.py install_requires")
    for name in ("environment.yml", "environment.yaml"):
        env = root / name
        if env.is_file():
            text = _read(env)
            if text is not None and _lines_name_it(text.splitlines()):
                declared.append(name)
            add_to.append(f"{name} (under pip:)")
    where = add_to[0] if add_to else f"a requirements.txt (no dependency file in {root})"
    return Project(root, tuple(declared), where)


# -- the wandb the project runs ---------------------------------------------------------------------

#: a requirement on wandb itself (not wandb-runtime, wandb-core, ...): name, extras, specifier
_WANDB_REQ = re.compile(
    r"^\s*wandb(?![-_.]*\w)\s*(?:\[[^\]]*\])?\s*(?:@.*)?(?P<spec>[^;#@]*)", re.IGNORECASE
)


def _wandb_spec(requirement: object) -> str | None:
    """The version specifier of a requirement on wandb (``""``: any version); None for any
    other requirement."""
    if not isinstance(requirement, str):
        return None
    text = re.sub(r"^-\s*", "", requirement.split("#", 1)[0].strip())  # YAML list items
    m = _WANDB_REQ.match(text)
    if m is None:
        return None
    return m.group("spec").strip().strip("()").strip()


def wandb_requirements(root: Path) -> list[tuple[str, str]]:
    """Where the project at ``root`` declares wandb, and the version specifier each time
    (``[("requirements.txt", "==0.18.7")]``), read from the same files as ``wandb-runtime``.
    Never raises; an unreadable file declares nothing."""
    found: list[tuple[str, str]] = []

    def add(where: str, requirement: object) -> None:
        spec = _wandb_spec(requirement)
        if spec is not None:
            found.append((where, spec))

    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        data = _toml(pyproject)
        project = _table(data, "project")
        for r in _list(project.get("dependencies")):
            add("pyproject.toml [project] dependencies", r)
        for group, reqs in _table(project, "optional-dependencies").items():
            for r in _list(reqs):
                add(f"pyproject.toml [project.optional-dependencies] {group}", r)
        for group, reqs in _table(data, "dependency-groups").items():
            for r in _list(reqs):
                add(f"pyproject.toml [dependency-groups] {group}", r)
        poetry = _table(data, "tool", "poetry")
        tables = [("dependencies", _table(poetry, "dependencies"))] + [
            (f"group.{g}.dependencies", _table(t, "dependencies"))
            for g, t in _table(poetry, "group").items()
        ]
        for where, table in tables:
            for name, value in table.items():
                if name.lower() != "wandb":
                    continue
                version = value.get("version", "") if isinstance(value, dict) else value
                spec = str(version).strip()
                found.append((f"pyproject.toml [tool.poetry.{where}]", "" if spec == "*" else spec))
    for req in _requirement_files(root):
        for line in (_read(req) or "").splitlines():
            add(req.relative_to(root).as_posix(), line)
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(setup_cfg, encoding="utf-8")
            if parser.has_option("options", "install_requires"):
                for line in parser.get("options", "install_requires").splitlines():
                    add("setup.cfg [options] install_requires", line)
            if parser.has_section("options.extras_require"):
                for extra, value in parser.items("options.extras_require"):
                    for line in value.splitlines():
                        add(f"setup.cfg [options.extras_require] {extra}", line)
        except (configparser.Error, OSError, UnicodeDecodeError):
            pass
    setup_py = root / "setup.py"
    if setup_py.is_file():
        for m in re.finditer(r"""["'](\s*wandb[^"']*)["']""", _read(setup_py) or ""):
            add("setup.py", m.group(1))
    for name in ("environment.yml", "environment.yaml"):
        env = root / name
        if env.is_file():
            for line in (_read(env) or "").splitlines():
                item = re.sub(r"^\s*-\s*", "", line)
                # conda's ``wandb=0.18.7`` (one ``=``) is a prefix match, as ``==0.18.7.*``
                conda = re.match(r"^wandb\s*=(?!=)\s*([0-9][^\s#]*)", item)
                if conda:
                    found.append((name, "==" + conda.group(1).rstrip(".*") + ".*"))
                else:
                    add(name, item)
    return found


def runtime_requirement() -> str:
    """A requirement line for ``wandb-runtime`` that installs today: the distribution is not on
    the package index yet, so a direct reference to where this one came from (PEP 610's
    ``direct_url.json``: a VCS checkout with its commit, or a local folder), else the local
    ``runtime/`` folder beside the installed package, else the repository's folder to fill in."""
    import importlib.metadata
    import json

    for dist, sub in ((DISTRIBUTION, ""), ("flake8-wandb", "runtime")):
        try:
            raw = importlib.metadata.distribution(dist).read_text("direct_url.json")
            info = json.loads(raw) if raw else None
        except (importlib.metadata.PackageNotFoundError, ValueError, OSError):
            info = None
        if not isinstance(info, dict) or not isinstance(info.get("url"), str):
            continue
        url = info["url"]
        subdir = "/".join(p for p in (info.get("subdirectory", ""), sub) if p)
        vcs = info.get("vcs_info")
        if isinstance(vcs, dict) and vcs.get("vcs"):
            ref = vcs.get("commit_id") or vcs.get("requested_revision") or ""
            at = f"@{ref}" if ref else ""
            frag = f"#subdirectory={subdir}" if subdir else ""
            return f"{DISTRIBUTION} @ {vcs['vcs']}+{url}{at}{frag}"
        if url.startswith("file:") and "dir_info" in info and "pre-commit" not in url:
            return f"{DISTRIBUTION} @ {url.rstrip('/')}{'/' + sub if sub else ''}"
    here = Path(__file__).resolve().parent.parent / "runtime"
    if (here / "pyproject.toml").is_file():
        return f"{DISTRIBUTION} @ {here.as_uri()}"
    return f"{DISTRIBUTION} @ git+<flake8-wandb repository URL>@<commit>#subdirectory=runtime"


def undeclared(files: Sequence[Path]) -> bool:
    """Some of ``files`` (fixed code that imports ``wandb_runtime``) belongs to a project that
    does not declare ``wandb-runtime`` (or to no project at all)."""
    for root in {find_root(Path(f).parent) for f in files}:
        if root is None or not inspect(root).declared_in:
            return True
    return False


def summary_lines(files: Sequence[Path], mode: str) -> list[str]:
    """What wandb-fix prints after its summary when fixes import ``wandb_runtime``: the files
    that (would) need ``wandb-runtime``, per project, whether the project declares it, and a
    requirement line that installs (``wandb-runtime`` is not on the package index yet)."""
    if not files:
        return []
    groups: dict[Path | None, list[Path]] = {}
    for f in files:
        groups.setdefault(find_root(Path(f).parent), []).append(Path(f))

    def verb(n: int) -> str:
        if mode != "apply":
            return "would import"
        return "now imports" if n == 1 else "now import"

    requirement = runtime_requirement()
    how = f"`{requirement}` ({DISTRIBUTION} is not on the package index yet)"
    lines: list[str] = []
    for root, members in groups.items():
        names = ", ".join(str(m) for m in members[:5]) + (
            f" and {len(members) - 5} more" if len(members) > 5 else ""
        )
        head = f"{len(members)} fixed file{'s' if len(members) != 1 else ''} {verb(len(members))} {MODULE} ({names}): "
        if root is None:
            lines.append(
                head + f"no dependency file found above them; install {DISTRIBUTION} where this "
                f"code runs: {how}"
            )
            continue
        project = inspect(root)
        if project.declared_in:
            lines.append(
                head + f"{root} declares {DISTRIBUTION} in {', '.join(project.declared_in)}"
            )
        else:
            lines.append(
                head + f"{root} does not declare {DISTRIBUTION}: add it to {project.add_to} "
                f"(the training environment needs it) as {how}"
            )
    return lines
