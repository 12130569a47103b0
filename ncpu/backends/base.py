"""The one small interface every model backend implements."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from ncpu.cancel import CancelToken


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a chat prompt."""

    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """One generation: a chat prompt and how to sample it."""

    messages: tuple[ChatMessage, ...]
    temperature: float = 0.0
    """``0.0`` is greedy decoding."""
    max_tokens: int = 512
    seed: int | None = None
    stop: tuple[str, ...] = ()
    response_prefix: str = ""
    """Text the assistant's answer starts with (prefilled, not generated); not part of ``Generation.text``."""
    entry_point: str = ""
    """The function being written; backends may ignore it (the scripted fake routes on it)."""
    deadline: float | None = None
    """``time.monotonic()`` past which generation stops between two tokens and returns what it has (the solve's
    time budget). The monotonic clock is the machine's, so a model host in another process reads it too."""


@dataclass(frozen=True, slots=True)
class Generation:
    """What the model wrote, and what it cost."""

    text: str
    tokens: int
    seconds: float


class BackendError(Exception):
    """The backend cannot work (model missing, failed to load); the message is for the user."""


@runtime_checkable
class Backend(Protocol):
    """A code model. Implementations are loaded once and reused for many generations.

    Every caller (cascade, server, bench) uses only these methods, so it never branches on the backend
    type. ``BackendBase`` supplies ``sample`` and ``describe`` for backends that have nothing better.
    """

    @property
    def name(self) -> str:
        """A short identifier for the ledger and reports (``qwen2.5-coder-0.5b-instruct-q4_k_m``)."""
        ...

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        """Generate one completion; raise ``ncpu.cancel.Cancelled`` promptly when cancelled."""
        ...

    def sample(self, request: GenerationRequest, n: int, cancel: CancelToken | None = None) -> Iterator[Generation]:
        """Yield ``n`` samples of one prompt, reproducible for a given ``request.seed``.

        A backend that generates one at a time seeds sample ``i`` with ``request.seed + i`` (see
        ``sample_request``); a batching backend seeds the batch once with ``request.seed``, so the same
        request gives the same ``n`` samples, but sample ``i`` of a batch of ``n`` need not equal the sample
        that seed ``request.seed + i`` gives alone.

        Lazy: a backend that generates one at a time does so as the caller pulls, so a caller that
        stops early (a sample passed) pays for no more; a batching backend computes all on the first pull.
        """
        ...

    def describe(self) -> str:
        """One line for logs and reports: the backend, the model and where it runs."""
        ...

    def close(self) -> None:
        """Free the model."""
        ...


class BackendBase:
    """Defaults for the optional parts of ``Backend``; subclasses implement ``name`` and ``generate``."""

    @property
    def name(self) -> str:  # pragma: no cover - always overridden
        """The ledger name."""
        raise NotImplementedError

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        """Generate one completion."""
        raise NotImplementedError  # pragma: no cover - always overridden

    def sample(self, request: GenerationRequest, n: int, cancel: CancelToken | None = None) -> Iterator[Generation]:
        """One ``generate`` per sample, each when the caller asks for it."""
        for index in range(n):
            yield self.generate(sample_request(request, index), cancel)

    def describe(self) -> str:
        """The backend's class and model name."""
        return f"{type(self).__name__} {self.name}"

    def close(self) -> None:
        """Nothing to free by default."""


def sample_request(request: GenerationRequest, index: int) -> GenerationRequest:
    """The request for sample ``index`` of a batch: the same prompt, the seed moved on by ``index``."""
    if index == 0 or request.seed is None:
        return request
    return dataclasses.replace(request, seed=request.seed + index)


def past(deadline: float | None) -> bool:
    """Whether ``deadline`` (a ``time.monotonic()`` value, or ``None`` for none) has passed."""
    return deadline is not None and time.monotonic() >= deadline


def apply_stops(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    """``text`` cut before the earliest stop string, and whether one was found."""
    cut = min((index for index in (text.find(stop) for stop in stops if stop) if index >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)
