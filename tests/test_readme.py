"""The README's two commands stay true: CI runs both verbatim, the example command names a folder
where every default rule fires (see test_flake8), and the claims around them hold."""

import os
import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def _commands():
    return re.findall(r"```sh\n(.+?)\n```", _readme())


def _ci() -> str:
    return (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command():
    test_command = next(c for c in _commands() if "pytest" in c)
    assert test_command in _ci().splitlines()


def test_ci_runs_the_readme_example_command():
    example = next(c for c in _commands() if "flake8 --select=WB examples/" in c)
    assert example in _ci()


def test_readme_example_command_runs_flake8_on_examples_in_its_own_venv():
    """PEP 668 systems refuse pip installs into the system Python: the command makes a venv."""
    example = next(c for c in _commands() if "flake8" in c and "examples/" in c)
    assert example.startswith("python3 -m venv ") and "/bin/activate && pip install" in example


def test_both_commands_install_the_runtime_the_linter_depends_on():
    for command in _commands()[:2]:
        assert "./runtime" in command, command


def test_python_versions_claimed_match_the_packages():
    claimed = set(re.findall(r"Python (3\.\d+)\+", _readme()))
    for pyproject in (ROOT / "pyproject.toml", ROOT / "runtime" / "pyproject.toml"):
        requires = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"][
            "requires-python"
        ]
        assert requires == ">=3.10", pyproject
    assert claimed == {"3.10"}, claimed


def _text_files():
    skip = {".git", "__pycache__", "build", "dist"}
    suffixes = (".md", ".py", ".toml", ".yaml", ".yml", ".cfg", ".txt", "")
    found = []
    # os.walk, pruned: a virtual environment in the checkout (CONTRIBUTING's) is never entered
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [
            d for d in dirs if d not in skip and not d.startswith(".venv") and "egg-info" not in d
        ]
        found += [Path(folder, f) for f in files if f not in skip and Path(f).suffix in suffixes]
    yield from sorted(found)


def test_markdown_links_point_at_files_the_repository_has():
    for text_file in [
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        *sorted((ROOT / "docs").glob("*.md")),
    ]:
        text = text_file.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (text_file.parent / target).exists(), f"{text_file.name} links to {target}"


def test_no_file_cites_documents_the_repository_lacks():
    """The facts live in docs/facts.md; the shared notes they came from are not in the repo."""
    lacking = ["STYLE" + ".md", "FACTS" + ".md", "RULES" + ".md"]  # split: this file is scanned too
    for path in _text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for cited in lacking:
            if cited not in text:
                continue
            # a name that the repository does hold (docs/rules/WB101.md) is fine
            assert (
                re.search(rf"(?<![\w/]){re.escape(cited)}", text) is None or (ROOT / cited).exists()
            ), (
                f"{path.relative_to(ROOT)} cites {cited}, which the repository lacks: cite docs/facts.md"
            )


def _yaml_blocks(section: str) -> list[str]:
    text = _readme().split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return [b.split("```", 1)[0] for b in text.split("```yaml\n")[1:]]


def test_the_pre_commit_snippet_pins_something_that_exists():
    """No release tag exists until one is made: the snippet names a tag that exists in this
    repository, or a commit and says to pin one (issue 17)."""
    import subprocess

    yaml = pytest.importorskip("yaml")  # pre-commit's dependency; not on the other Pythons

    remote, local = _yaml_blocks("pre-commit")
    rev = yaml.safe_load(remote)["repos"][0]["rev"]
    tags = subprocess.run(
        ["git", "tag", "--list"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    section = _readme().split("## pre-commit", 1)[1].split("\n## ", 1)[0]
    assert rev in tags or (re.fullmatch(r"[0-9a-f]{40}", str(rev)) and "pin the commit" in section)
    hooks = yaml.safe_load(local)["repos"][0]
    assert hooks["repo"] == "local"
    ids = {h["id"]: h for h in hooks["hooks"]}
    assert set(ids) == {"flake8-wandb", "wandb-fix"}
    assert all(h["language"] == "system" for h in ids.values())
    ours = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in ours} == set(ids)  # the same hooks as the remote form


def test_readme_table_of_options_is_the_option_schema():
    """The table is rendered from flake8_wandb/options.py, the one place an option is defined:
    paste ``python -c "from flake8_wandb import options; print(options.markdown_table())"``."""
    from flake8_wandb import options

    assert options.markdown_table() in _readme()


def test_every_front_end_takes_the_options_of_the_schema():
    """wandb-fix's flags and keys and the plugin's flake8 options all come from the schema."""
    import argparse

    from flake8_wandb import fix, options

    flags = {a for action in fix.parser()._actions for a in action.option_strings}
    for option in options.OPTIONS:
        if not option.fix:  # the plugin's own (its persistent cache): wandb-fix does not take it
            assert option.flag not in flags and option.flake8 == "plugin"
            continue
        assert option.flag in flags and all(f"--{a}" in flags for a in option.aliases)
        assert set(option.keys) <= options.KNOWN_KEYS

    class Recorder:
        def __init__(self):
            self.names = []

        def add_option(self, *names, **kwargs):
            assert kwargs["parse_from_config"] is True
            self.names += names

    recorder = Recorder()
    options.add_flake8_options(recorder)
    assert recorder.names == [o.flag for o in options.OPTIONS if o.flake8 == "plugin"]
    assert isinstance(fix.parser(), argparse.ArgumentParser)
