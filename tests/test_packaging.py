"""Two distributions, one version: ``wandb-runtime`` (built from runtime/, no dependencies) and
``flake8-wandb`` (which depends on it). A training image installs the runtime alone."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import flake8_wandb
import wandb_runtime

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "runtime"


def _pyproject(folder: Path) -> dict:
    return tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))


def _source_version() -> str:
    """``__version__`` as written in runtime/wandb_runtime/__init__.py, the one source."""
    tree = ast.parse((RUNTIME / "wandb_runtime" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "__version__":
            return node.value.value  # type: ignore[attr-defined]
    raise AssertionError("no __version__ in wandb_runtime/__init__.py")


def _changelog_version() -> str:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    m = re.search(r"^## \[?(\d+\.\d+\.\d+)\]?", text, re.MULTILINE)
    assert m, "CHANGELOG.md has no '## x.y.z' entry"
    return m.group(1)


def test_one_version_everywhere():
    version = _source_version()
    for project in (_pyproject(ROOT), _pyproject(RUNTIME)):
        assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
        assert project["tool"]["setuptools"]["dynamic"]["version"] == {
            "attr": "wandb_runtime.__version__"
        }
    assert wandb_runtime.__version__ == version
    assert flake8_wandb.__version__ == version, "stale install: rerun the README's pip install"
    assert importlib.metadata.version("wandb-runtime") == version
    assert _changelog_version() == version, "CHANGELOG.md's latest entry is not the version"


def test_the_linter_depends_on_the_runtime_and_the_runtime_on_nothing():
    deps = _pyproject(ROOT)["project"]["dependencies"]
    runtime_deps = [d for d in deps if re.match(r"wandb[-_.]runtime\b", d)]
    assert len(runtime_deps) == 1
    m = re.fullmatch(r"wandb-runtime>=(\d+\.\d+\.\d+)", runtime_deps[0])
    assert m and tuple(map(int, m.group(1).split("."))) <= tuple(
        map(int, _source_version().split("."))
    )
    assert _pyproject(RUNTIME)["project"]["dependencies"] == []
    assert "wandb_runtime" not in _pyproject(ROOT)["tool"]["setuptools"]["packages"]


def test_the_runtime_never_imports_the_linter():
    for path in (RUNTIME / "wandb_runtime").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            assert not any(
                n.split(".")[0] in ("flake8_wandb", "flake8", "libcst") for n in names
            ), path


def _copy(src: Path, dst: Path) -> Path:
    ignore = shutil.ignore_patterns(
        ".venv*", ".git", "build", "dist", "*.egg-info", "__pycache__", "tests", "bench"
    )
    shutil.copytree(src, dst, ignore=ignore)
    return dst


def _wheel(source: Path, dist: str, out: Path) -> Path:
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            *isolation,
            "-w",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = out.glob(f"{dist}-*.whl")
    return wheel


@pytest.mark.slow
@pytest.mark.parametrize("folder, dist", [(".", "flake8_wandb"), ("runtime", "wandb_runtime")])
def test_both_distributions_build_with_build_and_pass_twine_check(tmp_path, folder, dist):
    """``python -m build`` (sdist and wheel) and ``twine check`` on each distribution, as a
    release would run them (issue 17: dependency advice that works before a release)."""
    pytest.importorskip("build")
    pytest.importorskip("twine")
    source = _copy(ROOT, tmp_path / "src") / folder
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-isolation"]
    out = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", *isolation, "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    files = sorted(out.glob(f"{dist}-*"))
    assert {f.suffix for f in files} == {".whl", ".gz"}, files
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, files)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.slow
def test_both_wheels_build_and_the_runtime_installs_and_runs_alone(tmp_path):
    version = _source_version()
    tree = _copy(ROOT, tmp_path / "src")  # a copy: building writes build/ and *.egg-info
    runtime_wheel = _wheel(tree / "runtime", "wandb_runtime", tmp_path / "dist")
    linter_wheel = _wheel(tree, "flake8_wandb", tmp_path / "dist")
    assert runtime_wheel.name == f"wandb_runtime-{version}-py3-none-any.whl"
    assert linter_wheel.name == f"flake8_wandb-{version}-py3-none-any.whl"

    with zipfile.ZipFile(runtime_wheel) as z:
        names = z.namelist()
        meta = z.read(f"wandb_runtime-{version}.dist-info/METADATA").decode()
    assert "wandb_runtime/py.typed" in names and "wandb_runtime/facts.py" in names
    assert not any(n.startswith("flake8_wandb") for n in names)
    assert "Requires-Dist" not in meta
    with zipfile.ZipFile(linter_wheel) as z:
        names = z.namelist()
        meta = z.read(f"flake8_wandb-{version}.dist-info/METADATA").decode()
    assert not any(n.startswith("wandb_runtime/") for n in names)  # it ships in wandb-runtime only
    assert re.search(r"^Requires-Dist: wandb-runtime>=", meta, re.MULTILINE)

    # a training image: a fresh venv with wandb-runtime and nothing else
    venv = tmp_path / "image"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-index", str(runtime_wheel)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    fixed_training_code = (
        "import importlib.util, warnings\n"
        "for absent in ('flake8', 'libcst', 'flake8_wandb', 'wandb', 'torch'):\n"
        "    assert importlib.util.find_spec(absent) is None, absent\n"
        "warnings.simplefilter('ignore')\n"
        "from wandb_runtime import echo, gpu_memory_stats, init, log, param_count_m, run_name, wandb_mode\n"
        "import wandb_runtime\n"
        "run = init('demo', config={'lr': 0.1}, name=run_name('exp'), mode=wandb_mode('offline'))\n"
        "for step in range(3):\n"
        "    log({'loss': 1.0 / (step + 1), **gpu_memory_stats()}, step=step)\n"
        "    echo('step', step)\n"
        "run.finish()\n"
        "print(wandb_runtime.__version__, run.config['lr'], param_count_m(object()))\n"
    )
    proc = subprocess.run(
        [str(python), "-c", fixed_training_code], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["step 0", "step 1", "step 2", f"{version} 0.1 0.0"]


def test_the_projects_own_hooks_are_valid_and_pin_the_dev_extra_versions():
    """.pre-commit-config.yaml (ruff check, ruff format, mypy) runs the versions the dev extra pins."""
    if importlib.util.find_spec("pre_commit") is None:
        pytest.skip("pre-commit is in the test extra")
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    config = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    hook_ids = re.findall(r"^\s+- id: (\S+)", config, re.MULTILINE)
    assert hook_ids == ["ruff-check", "ruff-format", "mypy"]
    dev = _pyproject(ROOT)["project"]["optional-dependencies"]["dev"]
    for pin in (d for d in dev if "==" in d):
        assert pin in config, f"{pin} (dev extra) is not what .pre-commit-config.yaml runs"
    tool = _pyproject(ROOT)["tool"]
    assert tool["ruff"]["line-length"] == 100 and "mypy" in tool
