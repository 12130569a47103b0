"""The one small interface every model backend implements."""

from __future__ import annotations

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
    """A code model. Implementations are loaded once and reused for many generations."""

    @property
    def name(self) -> str:
        """A short identifier for the ledger and reports (``qwen2.5-coder-0.5b-instruct-q4_k_m``)."""
        ...

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        """Generate one completion; raise ``ncpu.cancel.Cancelled`` promptly when cancelled."""
        ...

    def close(self) -> None:
        """Free the model."""
        ...
