"""SIGTERM and Ctrl-C for wandb-fix: they stop the run, but never in the middle of writing a
file; worker processes leave signals to the parent and end with it."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Interrupted(BaseException):
    """SIGTERM, turned into an exception so that pending writes are cleaned up. A BaseException,
    like KeyboardInterrupt: the ``except Exception`` that keeps one file's bug (or one rule's)
    from stopping the others must never swallow it, wherever the signal lands."""


_writing = False
_pending_signal: BaseException | None = None


def on_signal(signum: int, frame: Any) -> None:
    """SIGTERM and Ctrl-C stop the run, but never in the middle of writing a file: there the
    signal waits until the file is whole (and its temp file gone)."""
    global _pending_signal
    exc: BaseException = KeyboardInterrupt() if signum == signal.SIGINT else Interrupted(signum)
    if _writing:
        _pending_signal = exc
        return
    raise exc


@contextmanager
def deferred() -> Iterator[None]:
    """Signals that arrive inside wait until the block is done."""
    global _writing, _pending_signal
    _writing = True
    try:
        yield
    finally:
        _writing = False
        if _pending_signal is not None:
            exc, _pending_signal = _pending_signal, None
            raise exc


def worker_init(parent: int) -> None:
    """A worker leaves signals to the parent (Ctrl-C reaches the whole process group) and ends
    when the parent does, even on SIGKILL: PR_SET_PDEATHSIG on Linux, a watchdog elsewhere."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)

    def watchdog() -> None:
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watchdog, daemon=True).start()
