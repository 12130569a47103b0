"""The model ladder: the tiers the cascade climbs, cheapest first, each loaded on first use.

Built from ``ModelSettings`` (the first tier, then the configured escalation tiers or the packaged large
model) or from ready backends (tests, benchmarks). The engine owns it and frees it on close.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from ncpu.backends.base import Backend, BackendError
from ncpu.backends.host import open_backend
from ncpu.backends.naming import model_label
from ncpu.backends.tiers import parse_tier
from ncpu.config import ModelSettings
from ncpu.models import EMBEDDED_DEFAULT, LARGE_TIER, ensure_model, is_installed


class LazyBackend:
    """Creates a backend on first use and can drop it again to free memory."""

    def __init__(self, label: str, create: Callable[[], Backend]) -> None:
        self.label = label
        self._create = create
        self._backend: Backend | None = None
        self._lock = threading.Lock()
        self.error: str | None = None

    @property
    def loaded(self) -> bool:
        """Whether the backend is loaded now."""
        return self._backend is not None

    def get(self) -> Backend:
        """The backend, created now if it is not loaded; raises ``BackendError`` (kept in ``error``)."""
        with self._lock:
            if self._backend is None:
                try:
                    self._backend = self._create()
                    self.label = self._backend.name  # a server may serve another model than configured
                    self.error = None
                except BackendError as exc:
                    self.error = str(exc)
                    raise
            return self._backend

    def unload(self) -> None:
        """Close the backend if it is loaded; the next ``get`` creates it again."""
        with self._lock:
            if self._backend is not None:
                self._backend.close()
                self._backend = None


class ModelLadder:
    """The model tiers, cheapest first; the first one is the model every solve starts with."""

    def __init__(self, tiers: list[LazyBackend]) -> None:
        self.tiers = tiers

    @classmethod
    def from_backends(cls, backends: list[Backend]) -> ModelLadder:
        """Ready backends as the tiers, in order."""
        return cls([LazyBackend(b.name, lambda b=b: b) for b in backends])  # type: ignore[misc]

    @classmethod
    def from_settings(cls, model: ModelSettings) -> ModelLadder:
        """The configured first tier, then (with ``escalate``) the escalation tiers.

        Without escalation tiers of its own, a ``llama_cpp`` ladder escalates to the packaged large model
        when it is installed. A tier that cannot be parsed stays on the ladder and fails with the reason
        when the ladder reaches it.
        """
        first = model_label(model.model_path, model.model_name, EMBEDDED_DEFAULT.name)
        tiers = [LazyBackend(first, lambda: open_backend(model.backend, model.model_path, model))]
        if not model.escalate:
            return cls(tiers)
        if not model.escalation_tiers:
            if model.backend == "llama_cpp" and is_installed(LARGE_TIER):
                tiers.append(
                    LazyBackend(LARGE_TIER.name, lambda: open_backend("llama_cpp", ensure_model(LARGE_TIER), model))
                )
            return cls(tiers)
        for text in model.escalation_tiers:
            try:
                spec = parse_tier(text, model.backend)
            except ValueError as exc:
                tiers.append(LazyBackend(text, _failing(str(exc))))
                continue
            tiers.append(LazyBackend(spec.label, lambda spec=spec: spec.create(model)))  # type: ignore[misc]
        return cls(tiers)

    @property
    def first(self) -> LazyBackend:
        """The cheapest tier."""
        return self.tiers[0]

    @property
    def labels(self) -> list[str]:
        """The tiers' labels, cheapest first (a loaded tier's is its backend's name)."""
        return [tier.label for tier in self.tiers]

    def __iter__(self) -> Iterator[LazyBackend]:
        return iter(self.tiers)

    def unload(self) -> None:
        """Free every loaded model; each loads again on its next use."""
        for tier in self.tiers:
            tier.unload()


def _failing(message: str) -> Callable[[], Backend]:
    def create() -> Backend:
        raise BackendError(message)

    return create
