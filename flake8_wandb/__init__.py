"""flake8-wandb: find and fix Weights & Biases anti-patterns in training code."""


def _version() -> str:
    # One version source: runtime/wandb_runtime/__init__.py, read by both builds (pyproject.toml).
    # The installed metadata says which flake8-wandb this is; a newer wandb-runtime next to it
    # must not change the answer.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("flake8-wandb")
    except PackageNotFoundError:  # run from a source tree that is not installed
        from wandb_runtime import __version__

        return __version__


__version__ = _version()
