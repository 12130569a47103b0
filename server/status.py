"""The server's state for ``ncpu/status``: which solves run, at which layer and step, and whether the model loads.

Solves report from worker threads. A report only asks the event loop to flush; the flush reads the state
then, on the loop, so notifications leave in order and the last one is always the state as it is.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ncpu.cascade.solution import LOAD_EVENT, LOADED_EVENT, NOTICE_EVENT, LayerEvent
from server.contract import STATUS_NOTIFICATION, Status


@dataclass
class _Solve:
    stub: str
    event: LayerEvent | None = None
    """The latest layer or step."""
    loading: LayerEvent | None = None
    """The event saying a model loads for it, while one does."""


class StatusReporter:
    """Holds what ``ncpu/status`` says and sends it when it changes."""

    def __init__(
        self,
        send: Callable[[str, dict[str, Any]], None],
        on_loop: Callable[[Callable[[], None]], None],
        labels: Callable[[], list[str]],
    ) -> None:
        """Report through ``send(method, params)``, called on the loop only.

        ``on_loop(f)`` runs ``f`` on the event loop, from any thread; ``labels()`` gives the ladder's models.
        """
        self._send = send
        self._on_loop = on_loop
        self._labels = labels
        self._lock = threading.Lock()
        self._solves: dict[int, _Solve] = {}
        self._ids = itertools.count(1)
        self._error: str | None = None
        self._last: dict[str, Any] | None = None
        self._started = False

    def begin(self, stub: str) -> int:
        """A solve of ``stub`` starts; returns its id. Clears a previous error."""
        with self._lock:
            solve_id = next(self._ids)
            self._solves[solve_id] = _Solve(stub)
            self._error = None
        self.publish()
        return solve_id

    def event(self, solve_id: int, event: LayerEvent) -> None:
        """A layer, a step or a model load of a running solve (any thread)."""
        if event.layer == NOTICE_EVENT:
            return
        with self._lock:
            solve = self._solves.get(solve_id)
            if solve is None:
                return
            if event.layer == LOAD_EVENT:  # the step that needs the model goes on once it has loaded
                solve.loading = event
            elif event.layer == LOADED_EVENT:
                solve.loading = None
            else:
                solve.event = event
        self.publish()

    def end(self, solve_id: int, error: str | None = None) -> None:
        """The solve ended; ``error`` says why it could not use the model, when it could not."""
        with self._lock:
            self._solves.pop(solve_id, None)
            if error is not None:
                self._error = error
        self.publish()

    def reset(self) -> None:
        """The settings changed: an old error no longer holds."""
        with self._lock:
            self._error = None
        self.publish()

    def current(self) -> Status:
        """The state now."""
        labels = self._safe_labels()
        with self._lock:
            solves = list(self._solves.values())
            error = self._error
        first = labels[0] if labels else ""
        if not solves:
            return Status(state="error" if error else "idle", model=first, tier=0 if labels else None, error=error)
        latest = solves[-1]
        loading = next((solve.loading for solve in solves if solve.loading is not None), None)
        event = loading or latest.event
        tier = event.tier if event is not None and event.tier is not None else 0
        status = Status(
            state="loading" if loading is not None else "solving",
            model=labels[tier] if tier < len(labels) else first,
            tier=tier if tier < len(labels) else None,
            stub=latest.stub,
            solving=len(solves),
        )
        if loading is not None:
            return replace(status, layer=LOAD_EVENT)
        if event is None:
            return status
        return replace(status, layer=event.layer, step=event.step, steps=event.steps)

    def start(self) -> None:
        """The client is initialized: send the state now and whenever it changes (not before, as LSP asks)."""
        self._started = True
        self.publish()

    def publish(self) -> None:
        """Send the state if it changed: now on the loop, or as soon as the loop runs (from another thread)."""
        if self._started:
            self._on_loop(self._flush)

    def _flush(self) -> None:
        params = self.current().to_wire()
        if params != self._last:
            self._last = params
            self._send(STATUS_NOTIFICATION, params)

    def _safe_labels(self) -> list[str]:
        try:
            return self._labels()
        except Exception:  # no engine (shutting down): the status still goes out
            return []
