"""One model generates at a time on this machine, whichever ncpu process asks.

llama.cpp's worker threads spin while they wait for work, so two model processes on a small machine (a
language server and an ``ncpu solve`` of the same user, or two editors) slow each other many times over:
one 512-token sample took 363 s next to a second model process, against about 20 s alone. So every model
host takes a machine-wide lock (``flock`` on a file in the user's cache dir) for the length of one
generation, not for its whole life: two clients alternate generation by generation, each idle model
costs nothing, and the one that waits says so ("waiting for the model: another ncpu process is
generating"). The kernel drops the lock when its holder dies, so a crash never leaves it taken.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import platformdirs

from ncpu.backends import notices
from ncpu.backends.base import past
from ncpu.cancel import Cancelled, CancelToken

try:
    import fcntl
except ImportError:  # Windows: no flock; each process shares the CPU unlocked
    fcntl = None  # type: ignore[assignment]

_POLL_SECONDS = 0.05


def lock_path() -> Path:
    """``$NCPU_MODEL_LOCK``, else ``model.lock`` in the user cache dir."""
    configured = os.environ.get("NCPU_MODEL_LOCK")
    if configured:
        return Path(configured)
    return Path(platformdirs.user_cache_dir("ncpu")) / "model.lock"


class TurnTimedOut(Exception):
    """The deadline passed while another process held the model."""


@contextlib.contextmanager
def model_turn(cancel: CancelToken | None = None, deadline: float | None = None) -> Iterator[None]:
    """Hold the machine-wide model lock for the block; waiting honours ``cancel`` and ``deadline``."""
    path = lock_path()
    if fcntl is None:
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # a read-only cache dir must not stop generation: share the CPU unlocked
        yield
        return
    try:
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    notices.say("waiting for the model: another ncpu process is generating")
                    told = True
                if past(deadline):
                    raise TurnTimedOut() from None
                if cancel is not None and cancel.wait(_POLL_SECONDS):
                    raise Cancelled() from None
                if cancel is None:
                    time.sleep(_POLL_SECONDS)
        yield
    finally:
        os.close(handle)  # closing the descriptor releases the lock
