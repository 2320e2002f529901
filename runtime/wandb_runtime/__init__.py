"""wandb_runtime: compliant, GPU-aware W&B helpers that flake8-wandb's fixes insert.

Importing this module costs next to nothing: it imports neither wandb nor torch. Both load
lazily inside the helpers that need them, and every helper works, or quietly does nothing,
without CUDA, without torch, without wandb, and without an active run. None of them ever raises
into a training loop, not even under ``-W error``: its warnings fall back to a stderr line. Two
keep the behaviour of the call they replace: ``init`` raises what ``wandb.init`` itself raises and
``echo`` what ``print`` raises (docs/runtime.md, "What it may raise").
"""

from __future__ import annotations

import os
import re
import sys
import time
import warnings
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, cast

# wandb 0.31's accepted values (the helpers ask the running wandb first)
from . import facts
from .facts import CONSOLE_VALUES, WANDB_MODES

#: the version of both distributions, wandb-runtime and flake8-wandb (their one source)
__version__ = "0.1.0"

__all__ = [
    "WandbRuntimeWarning",
    "echo",
    "gpu_memory_stats",
    "init",
    "log",
    "param_count_m",
    "redact",
    "run_name",
    "wandb_mode",
]

REDACTED = "<redacted>"
_GB = 1e9


class WandbRuntimeWarning(RuntimeWarning):
    """What the helpers warn with: ``warnings.filterwarnings("ignore", category=...)`` silences
    them all."""


def _warn(message: str) -> None:
    try:
        warnings.warn(f"wandb_runtime: {message}", WandbRuntimeWarning, stacklevel=3)
    except Exception:
        # warnings turned into errors (python -W error, pytest's filterwarnings = error) must not
        # stop a training job: say it on stderr instead
        try:
            sys.stderr.write(f"wandb_runtime: {message}\n")
        except Exception:
            pass


def _loaded_wandb():
    """wandb, if the program has imported it: no run can exist otherwise, so there is no
    reason to pay its import (about a second) just to find that out."""
    return sys.modules.get("wandb")


def _import(name: str):
    try:
        return __import__(name)
    except Exception:  # not installed, or broken: the helpers degrade instead of crashing
        return None


# -- GPU memory ------------------------------------------------------------------------------------


_cuda: Any = None  # torch.cuda once CUDA is known to be there, False once known not to be


def gpu_memory_stats(device: Any = None) -> dict[str, float]:
    """GPU memory in GB (1e9 bytes), the figures that match nvidia-smi; ``{}`` without CUDA.

    - ``system/gpu_mem_used_GB``: ``torch.cuda.memory_reserved`` (what the caching allocator
      holds: tracks nvidia-smi within the CUDA context's size);
    - ``system/gpu_mem_allocated_GB``: ``memory_allocated`` (live tensors only, for reference);
    - ``system/gpu_mem_device_used_GB``: total minus free from ``torch.cuda.mem_get_info``,
      exactly nvidia-smi's figure, for the whole device (other processes too).

    Replaces ``torch.cuda.memory_allocated()`` logged as "GPU memory", which under-reports
    nvidia-smi by 6x during training on an H100.
    """
    global _cuda
    if _cuda is None:
        torch = sys.modules.get("torch") or _import("torch")
        try:
            _cuda = torch.cuda if torch is not None and torch.cuda.is_available() else False
        except Exception:
            _cuda = False
    if not _cuda:
        return {}
    try:
        # memory_reserved() and memory_allocated() each build and flatten the whole stats dict
        # (~75 us); the nested dict gives both figures at once, and mem_get_info costs ~6 us
        stats = _cuda.memory_stats_as_nested_dict(device)
        free, total = _cuda.mem_get_info(device)
        return {
            "system/gpu_mem_used_GB": stats["reserved_bytes"]["all"]["current"] / _GB,
            "system/gpu_mem_allocated_GB": stats["allocated_bytes"]["all"]["current"] / _GB,
            "system/gpu_mem_device_used_GB": (total - free) / _GB,
        }
    except Exception:
        return {}


def param_count_m(model: Any, trainable_only: bool = False) -> float:
    """Parameters of a torch module (or anything with ``.parameters()``) in millions."""
    try:
        params = model.parameters()
        if trainable_only:
            return sum(p.numel() for p in params if p.requires_grad) / 1e6
        return sum(p.numel() for p in params) / 1e6
    except Exception:
        try:  # Hugging Face and other models that count themselves
            return float(model.num_parameters(only_trainable=trainable_only)) / 1e6
        except Exception:
            return 0.0


# -- run settings ----------------------------------------------------------------------------------


def _accepted(field: str, fallback: Iterable[str]) -> tuple:
    wandb = _loaded_wandb()
    try:
        import typing

        annotation = wandb.Settings.model_fields[field].annotation  # pydantic model of 0.31
        values = tuple(a for a in typing.get_args(annotation) if isinstance(a, str))
        if values:
            return values
    except Exception:
        pass
    return tuple(fallback)


def wandb_mode(default: str = "online") -> str:
    """``WANDB_MODE`` from the environment when set to a value wandb accepts, else ``default``.

    Use it instead of a literal ``mode="offline"``: a mode given in code beats the environment
    in wandb 0.31, so a literal silently overrides the user's ``WANDB_MODE``.
    """
    value = os.environ.get("WANDB_MODE", "").strip()
    if not value:
        return default
    accepted = _accepted("mode", WANDB_MODES)
    if value not in accepted:
        _warn(f"WANDB_MODE={value!r} is not one of {', '.join(accepted)}; using {default!r}")
        return default
    return value


def run_name(experiment: str, version: Any = None) -> str:
    """``v{version}-{experiment}_{SLURM_JOB_ID}`` on Slurm, else ``{experiment}-{HHMM}``
    (with the ``v{version}-`` prefix when a version is given): names that never collide."""
    try:
        prefix = f"v{version}-" if version is not None else ""
        job = os.environ.get("SLURM_JOB_ID")
        if job:
            return f"{prefix}{experiment}_{job}"
        return f"{prefix}{experiment}-{time.strftime('%H%M')}"
    except Exception:  # an object whose str() raises: a name is not worth a crash
        return f"run-{time.strftime('%H%M')}"


# -- logging ---------------------------------------------------------------------------------------

_warned: set = set()


class _RunMemory:
    """What ``log`` remembers of one run: its last step and the warnings it was given."""

    __slots__ = ("run", "last_step", "warned")

    def __init__(self, run: Any) -> None:
        self.run = run  # a weak reference when the run takes one, else the run itself
        self.last_step: int | None = None
        self.warned: set[str] = set()


#: id(run) -> its memory. The id alone is not the run: a freed run's id is reused by the next
#: one, so an entry is dropped when its run dies (weak reference) or kept with the run itself
_runs: dict[int, _RunMemory] = {}


def _memory_of(run: Any) -> _RunMemory:
    key = id(run)
    memory = _runs.get(key)
    if memory is not None:
        held = memory.run() if isinstance(memory.run, weakref.ref) else memory.run
        if held is run:
            return memory

    def forget(_: object) -> None:
        _forget(key)

    try:
        ref: Any = weakref.ref(run, forget)
    except TypeError:  # not weakly referenceable: hold it, so that its id is never reused
        ref = run
    memory = _runs[key] = _RunMemory(ref)
    return memory


def _forget(key: int) -> None:
    memory = _runs.get(key)
    if memory is not None and isinstance(memory.run, weakref.ref) and memory.run() is None:
        del _runs[key]


def _warn_once_per_run(memory: _RunMemory, kind: str, message: str) -> None:
    if kind not in memory.warned:
        memory.warned.add(kind)
        _warn(message)


def _warn_once(key: Any, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        _warn(message)


def log(metrics: Mapping[str, Any], step: int, run: Any = None) -> None:
    """``run.log(metrics, step=step)`` with the step required; a no-op without a run.

    Logs to ``run``, else to ``wandb.run``. A step lower than the last one is passed on, but
    warned about once: wandb drops that data silently (a stderr line, no exception). A step
    that is not an int (wandb raises TypeError and loses the row) is converted when it is
    integral. Never raises.
    """
    try:
        _log(metrics, step, run)
    except Exception:  # a step or metrics object that cannot even be printed in a warning
        pass


def _log(metrics: Mapping[str, Any], step: Any, run: Any) -> None:
    if run is None:
        wandb = _loaded_wandb()
        run = getattr(wandb, "run", None) if wandb is not None else None
        if run is None:
            return
    if type(step) is not int:
        try:
            as_int = int(step)
            if as_int != step or isinstance(step, bool):
                raise ValueError
        except Exception:
            _warn_once(
                ("step-type", type(step)), f"step={step!r} is not an int; wandb drops the row"
            )
            return
        step = as_int
    memory = _memory_of(run)
    last = memory.last_step
    if last is not None and step < last:
        _warn_once_per_run(
            memory,
            "backwards",
            f"step {step} is lower than the last step {last}: wandb drops data logged at a "
            "lower step (warned once per run)",
        )
    else:
        memory.last_step = step
    try:
        run.log(metrics, step=step)
    except Exception as exc:
        _warn_once_per_run(
            memory, "log-error", f"run.log failed ({type(exc).__name__}: {exc}); training goes on"
        )


def echo(*args: Any, **print_kwargs: Any) -> None:
    """``print(...)``, and the same line in the active run's Logs tab even when console
    capture is off (``run.write_logs``), without duplicating it when capture is on. Raises only
    what ``print`` itself raises."""
    print(*args, **print_kwargs)
    try:
        stream = print_kwargs.get("file")
        consoles = (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)
        if stream is not None and all(stream is not c for c in consoles):
            return  # printing to a file, not to the console
        wandb = _loaded_wandb()
        run = getattr(wandb, "run", None) if wandb is not None else None
        if run is None:
            return
        if getattr(run.settings, "console", "auto") != "off":
            return  # wandb captures the console already: writing again would duplicate
        sep = print_kwargs.get("sep", " ")
        sep = " " if sep is None else sep
        run.write_logs(sep.join(str(a) for a in args))
    except Exception:
        pass


# -- init ------------------------------------------------------------------------------------------


def _to_dict(config: Any) -> dict[str, Any]:
    """The config as a plain dict; raises when it is not one of the kinds below."""
    if config is None:
        return {}
    module = type(config).__module__ or ""
    if module.startswith("omegaconf"):
        from omegaconf import OmegaConf  # present whenever an OmegaConf object exists

        container = OmegaConf.to_container(config, resolve=True)
        if not isinstance(container, dict):
            raise TypeError(f"{type(config).__name__} is not a mapping")
        # a new dict; its keys stay as OmegaConf gives them (wandb's config takes them so)
        return cast("dict[str, Any]", container)
    import dataclasses

    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        try:
            return dataclasses.asdict(config)
        except Exception:  # a field asdict cannot deep-copy (a lock, a file, a model): one level
            return {
                f.name: _plain(getattr(config, f.name, None)) for f in dataclasses.fields(config)
            }
    if isinstance(config, Mapping):
        return {k: _plain(v) for k, v in config.items()}
    if hasattr(config, "__dict__"):  # argparse.Namespace, simple objects
        return {k: _plain(v) for k, v in vars(config).items() if not k.startswith("_")}
    raise TypeError(f"cannot turn {type(config).__name__} into a config dict")


def _config_file(path: Any, wandb: Any) -> dict[str, Any] | None:
    """A YAML config file (``wandb.init(config="config.yaml")`` loads one), read as wandb reads
    it, so that it can be redacted like any other config; ``None`` when wandb cannot read it."""
    try:
        from wandb.sdk.lib import config_util  # wandb's own reader: the same result as wandb.init

        return dict(config_util.dict_from_config_file(os.fspath(path), must_exist=True) or {})
    except Exception:
        return None


def _resolve_config(config: Any, wandb: Any) -> Any:
    """What ``init`` passes as ``config=``: a redacted plain dict, or, for what it cannot turn
    into one, the value as given (wandb then handles it as ``wandb.init`` always did)."""
    if isinstance(config, (str, os.PathLike)):
        loaded = _config_file(config, wandb) if wandb is not None else None
        if loaded is None:
            return config
        config = loaded
    try:
        return redact(_to_dict(config))
    except Exception as exc:
        if isinstance(config, Mapping):  # never sent unredacted: redact reads what it can
            return redact(config)
        _warn(f"config of type {type(config).__name__} passed to wandb as given ({exc})")
        return config


def _plain(value: Any) -> Any:
    module = type(value).__module__ or ""
    if module.startswith("omegaconf"):
        return _to_dict(value) if hasattr(value, "keys") else list(value)
    return value


#: how deep ``redact`` reads; a branch deeper than this is masked whole (a config is shallow)
_MAX_DEPTH = 64


def _secret_value(value: Any) -> bool:
    # numbers and flags are never credentials (``eos_token_id`` sits next to ``eos_token``)
    return value is not None and not isinstance(value, (bool, int, float))


def _key_shaped(name: Any, value: Any) -> bool:
    """A value that is, in whole, a W&B API key in one of its formats; a 40-hex value under a
    hash's name (``git_sha``, ``commit``, ``run_id``) is the hash it says it is."""
    if not isinstance(value, str) or not facts.is_api_key(value.strip()):
        return False
    return not (re.fullmatch(facts.LEGACY_KEY, value.strip()) and facts.is_hash_name(name))


def redact(config: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with secrets replaced by ``<redacted>``, at any depth: the values of names that
    hold a credential (``facts.is_secret_name``: ``api_key``, ``WANDB_KEY``, ``openai_key``,
    ``api_keys``, ``hf_tokens``, ``api_key2``, ``*_token``, ``secret``, ``password``...; the
    names the linter's WB302 treats as keys) and any value shaped like a W&B API key, in
    mappings, lists and tuples. Never raises and never hands back an original: a branch that
    cannot be read (a mapping that raises while iterated), a cycle, or a branch deeper than
    ``_MAX_DEPTH`` is itself replaced by ``<redacted>``, and the rest is kept. A mapping whose
    top level cannot be read gives ``{}``; what is no mapping is returned as given."""
    if not isinstance(config, Mapping):
        return config
    try:
        out = _redact_mapping(config, secret=False, path=[], depth=0)
    except Exception:
        out = None
    if out is None:  # the top level itself cannot be read: send nothing of it
        _warn(f"config of type {type(config).__name__} cannot be read; sent as {{}}")
        return {}
    return out


def _redact_mapping(
    config: Mapping[Any, Any], secret: bool, path: list, depth: int
) -> dict[Any, Any] | None:
    """``config`` redacted; None when it cannot be read at all. ``secret``: the mapping sits
    under a secret's name, so every value in it is masked."""
    try:
        items = list(config.items())
    except Exception:
        return None
    out: dict[Any, Any] = {}
    path.append(id(config))
    try:
        for k, v in items:
            try:
                out[k] = _redact_value(k, v, secret or facts.is_secret_name(k), path, depth + 1)
            except Exception:
                out[k] = REDACTED
    finally:
        path.pop()
    return out


def _redact_value(name: Any, value: Any, secret: bool, path: list, depth: int) -> Any:
    if secret and isinstance(value, (list, tuple)):
        return REDACTED  # ``api_keys: [...]``: the list is the secret
    if isinstance(value, (Mapping, list, tuple)):
        if id(value) in path or depth > _MAX_DEPTH:
            return REDACTED  # a cycle, or deeper than any config: no original kept down there
        if isinstance(value, Mapping):
            out = _redact_mapping(value, secret, path, depth)
            return REDACTED if out is None else out
        path.append(id(value))
        try:
            items = [_redact_value(name, v, secret, path, depth + 1) for v in value]
        finally:
            path.pop()
        return items if isinstance(value, list) else tuple(items)
    if secret and _secret_value(value):
        return REDACTED
    if _key_shaped(name, value):
        return REDACTED
    return value


class _Record(dict):
    """A dict that also reads and writes its keys as attributes, as ``run.config`` does."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def update(self, *args: Any, allow_val_change: bool = False, **kwargs: Any) -> None:
        dict.update(self, *args, **kwargs)

    def setdefaults(self, values: Mapping[str, Any]) -> None:
        for k, v in values.items():
            self.setdefault(k, v)


class _NoRun:
    """What ``init`` returns when wandb is not installed: it keeps the config and summary (so
    ``run.config["lr"]`` reads what was passed, as with wandb) and every method is a no-op."""

    def __init__(
        self, config: Any = None, name: str | None = None, group: str | None = None
    ) -> None:
        self.config = _Record(config if isinstance(config, Mapping) else {})
        self.summary = _Record()
        self.name = name
        self.group = group
        self.id = None

    def __getattr__(self, name: str):
        return lambda *a, **k: None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def init(
    project: str,
    *,
    config: Any = None,
    name: str | None = None,
    group: str | None = None,
    model: Any = None,
    **kwargs: Any,
):
    """``wandb.init`` done right: the mode from ``WANDB_MODE`` (``mode=`` is only the default),
    a console setting the installed wandb accepts, the full resolved config (OmegaConf with
    interpolations resolved, argparse namespaces, dataclasses, dicts) with secret-looking keys
    redacted before anything is sent, and derived values: ``model/total_params_M`` and
    ``model/trainable_params_M`` when ``model`` is given, ``runtime/gpu_name`` on CUDA.

    Returns the wandb run, or a stand-in that keeps the config when wandb is not installed.

    Raises only what ``wandb.init`` itself raises (a run that cannot start, as before the fix);
    its own work (reading the config, the model, the GPU, the settings) never raises.
    """
    wandb = _loaded_wandb() or _import("wandb")
    resolved = _resolve_config(config, wandb)
    if isinstance(resolved, dict):
        if model is not None:
            resolved["model/total_params_M"] = param_count_m(model)
            resolved["model/trainable_params_M"] = param_count_m(model, trainable_only=True)
        torch = sys.modules.get("torch")
        try:
            if torch is not None and torch.cuda.is_available():
                resolved["runtime/gpu_name"] = torch.cuda.get_device_name()
        except Exception:
            pass
    if wandb is None:
        _warn_once("no-wandb", "wandb is not installed; nothing is logged")
        return _NoRun(resolved, name=name, group=group)
    kwargs["mode"] = wandb_mode(kwargs.get("mode") or "online")
    kwargs["settings"] = _settings(kwargs.get("settings"))
    return wandb.init(project=project, config=resolved, name=name, group=group, **kwargs)


def _settings(settings: Any) -> Any:
    """``settings=`` with a console value the running wandb accepts. A dict stays a dict (and a
    ``wandb.Settings`` object stays as given): wandb.init validates the rest, as it always did."""
    try:
        accepted = _accepted("console", CONSOLE_VALUES)
        default = "wrap" if "wrap" in accepted else "auto"
        if settings is None:
            return {"console": default}
        if isinstance(settings, Mapping):
            settings = dict(settings)
            if settings.get("console", default) not in accepted:
                _warn(
                    f"console={settings['console']!r} is not accepted by this wandb; using {default!r}"
                )
                settings["console"] = default
            settings.setdefault("console", default)
    except Exception:
        pass
    return settings
