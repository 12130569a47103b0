"""What a backend has to tell the user while it works ("waiting for the model", "the model process crashed").

A backend does not know who is listening; the engine does. The engine opens ``listening(callback)`` around
a solve, in the thread that runs it, and a backend calls ``say`` from that same thread. Outside any solve
(a benchmark, a test) notices only go to the log.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar

NoticeCallback = Callable[[str, bool], None]
"""Called with the message and whether it is a warning (a warning stays on screen; progress does not)."""

logger = logging.getLogger("ncpu.backends")
_listener: ContextVar[NoticeCallback | None] = ContextVar("ncpu_notice_listener", default=None)


@contextlib.contextmanager
def listening(callback: NoticeCallback | None) -> Iterator[None]:
    """Send this thread's notices to ``callback`` until the block ends."""
    token = _listener.set(callback)
    try:
        yield
    finally:
        _listener.reset(token)


def say(message: str, *, warning: bool = False) -> None:
    """Tell the user (and the log)."""
    (logger.warning if warning else logger.info)("%s", message)
    callback = _listener.get()
    if callback is not None:
        callback(message, warning)
