"""The engine: the one owner of the model ladder, the store and the sandbox, shared by CLI, server and bench."""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Callable

from ncpu.backends import notices
from ncpu.backends.base import Backend, BackendError
from ncpu.cancel import CancelToken
from ncpu.cascade.cascade import Cascade, ModelTier
from ncpu.cascade.solution import LOAD_EVENT, LOADED_EVENT, NOTICE_EVENT, LayerEvent, Solution
from ncpu.config import Settings
from ncpu.ladder import LazyBackend, ModelLadder
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox
from ncpu.store import Store

EventCallback = Callable[[LayerEvent], None]


class Engine:
    """Solves problems with the verified cascade. Thread-safe; create one per process."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        store: Store | None = None,
        sandbox: Sandbox | None = None,
        backends: list[Backend] | None = None,
    ) -> None:
        """Open the store and the sandbox; models load lazily on first use.

        ``backends`` replaces the configured tiers with ready backends (tests, benchmarks). With
        ``settings.concurrency`` above 1, solves running at once each verify in a sandbox of their own.
        """
        self.settings = settings or Settings()
        self.store = (
            store if store is not None else (Store.open(self.settings.store_path) if self.settings.use_store else None)
        )
        self.sandbox = sandbox or Sandbox(self.settings.sandbox)
        self._sandboxes = [self.sandbox] + [
            Sandbox(self.settings.sandbox) for _ in range(self.settings.concurrency - 1)
        ]
        self._idle_sandboxes: queue.SimpleQueue[Sandbox] = queue.SimpleQueue()
        for box in self._sandboxes[1:]:
            self._idle_sandboxes.put(box)
        self._ladder = (
            ModelLadder.from_settings(self.settings.model) if backends is None else ModelLadder.from_backends(backends)
        )
        self._loading = threading.Lock()

    @property
    def model_state(self) -> str:
        """``unloaded``, ``loading``, ``ready`` or ``error: <why>`` for the first tier."""
        first = self._ladder.first
        if self._loading.locked():
            return "loading"
        if first.error:
            return f"error: {first.error}"
        return "ready" if first.loaded else "unloaded"

    @property
    def tier_labels(self) -> list[str]:
        """Labels of the model tiers, cheapest first."""
        return self._ladder.labels

    def load_model(self, on_event: EventCallback | None = None) -> None:
        """Load the first tier now (blocking); raises ``BackendError`` with a user-facing message."""
        with self._loading, notices.listening(_notice_events(on_event)):
            self._backend_for(0, self._ladder.first, on_event)

    def unload_model(self) -> None:
        """Free every loaded model; they load again on the next solve."""
        self._ladder.unload()

    def _backend_for(self, place: int, tier: LazyBackend, on_event: EventCallback | None) -> Backend:
        """The tier's backend, announcing a (slow) first load and its end as events (layers ``load``, ``loaded``).

        The end is said, loaded or not, so that a client showing "loading" goes back to "solving" while the
        model generates; a load that failed then fails the solve with the reason.
        """
        if tier.loaded or on_event is None:
            return tier.get()
        on_event(LayerEvent(layer=LOAD_EVENT, message=f"loading model {tier.label}", model=tier.label, tier=place))
        try:
            backend = tier.get()
        except BackendError:  # no longer loading; the solve fails with the reason
            on_event(
                LayerEvent(layer=LOADED_EVENT, message=f"model {tier.label} did not load", model=tier.label, tier=place)
            )
            raise
        on_event(LayerEvent(layer=LOADED_EVENT, message=f"model {tier.label} loaded", model=tier.label, tier=place))
        return backend

    def lookup(self, problem: Problem) -> Solution | None:
        """A verified body from the store, without running anything (cheap: for code-action listing)."""
        if self.store is None or not problem.checks:
            return None
        stored = self.store.peek(problem.key)
        if stored is None:
            return None
        return Solution(
            status="verified",
            key=problem.key,
            body=stored.body,
            layer="store",
            message=f"from the store (first verified by {stored.layer})",
            model=stored.model,
            temperature=stored.temperature,
            agreement=stored.agreement,
        )

    def solve(
        self,
        problem: Problem,
        *,
        cancel: CancelToken | None = None,
        on_event: EventCallback | None = None,
        on_first_pass: Callable[[Solution], None] | None = None,
    ) -> Solution:
        """Run the cascade (blocking). Backend failures come back as a ``failed`` solution with the reason.

        ``on_first_pass``: see ``Cascade.solve`` (the first passing body, while agreement looks for more).
        """
        tiers = [
            ModelTier(tier.label, functools.partial(self._backend_for, place, tier, on_event))
            for place, tier in enumerate(self._ladder)
        ]
        # A spare sandbox if one is idle (batch concurrency), else the shared one, which serializes calls.
        try:
            sandbox = self._idle_sandboxes.get_nowait()
        except queue.Empty:
            sandbox = self.sandbox
        try:
            with notices.listening(_notice_events(on_event)):
                return Cascade(self.settings, sandbox, self.store, tiers).solve(
                    problem, cancel=cancel, on_event=on_event, on_first_pass=on_first_pass
                )
        except BackendError as exc:
            return Solution(status="failed", key=problem.key, message=str(exc))
        finally:
            if sandbox is not self.sandbox:
                self._idle_sandboxes.put(sandbox)

    def close(self) -> None:
        """Free models, stop the sandbox worker, close the store."""
        self.unload_model()
        for sandbox in self._sandboxes:
            sandbox.close()
        if self.store is not None:
            self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _notice_events(on_event: EventCallback | None) -> notices.NoticeCallback | None:
    """A backend's notices ("waiting for the model", "the model process crashed") as progress events."""
    if on_event is None:
        return None

    def notice(message: str, warning: bool) -> None:
        on_event(LayerEvent(layer=NOTICE_EVENT, message=message, warning=warning))

    return notice
