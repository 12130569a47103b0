"""A thread-safe cancel flag that blocking work (generation, sandbox runs) checks as it goes."""

from __future__ import annotations

import threading


class Cancelled(Exception):
    """Raised by ``CancelToken.raise_if_cancelled`` when the user stopped the work."""


class CancelToken:
    """Set from the event loop (or a signal handler), read from worker threads."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop at its next check point."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether ``cancel`` was called."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise ``Cancelled`` if the work was cancelled."""
        if self._event.is_set():
            raise Cancelled()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, waking early on cancel; return whether it was cancelled."""
        return self._event.wait(seconds)


NEVER_CANCELLED = CancelToken()
