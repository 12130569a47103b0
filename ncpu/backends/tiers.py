"""The tiers of a model ladder as the user names them: a model file, or ``BACKEND:TARGET``.

- ``big.gguf`` (or a model directory): the first tier's backend on that file (``llama_cpp`` when the first
  tier is a remote server);
- ``openai:MODEL``: the OpenAI-compatible server of the settings (``base_url``, ``api_key_env``) serving
  ``MODEL`` (``openai:`` alone: its first model);
- ``transformers:DIR_OR_REPO_ID``, ``llama_cpp:FILE``, or any registered backend's name with its target.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ncpu.backends.base import Backend
from ncpu.backends.naming import model_label
from ncpu.backends.registry import available_backends
from ncpu.config import ModelSettings

_SERVED = ("openai",)
"""Backends whose target is a model name on a server, not a file."""


@dataclass(frozen=True, slots=True)
class TierSpec:
    """One larger tier: which backend, and the file or served model it runs."""

    backend: str
    path: Path | None
    model_name: str | None

    @property
    def label(self) -> str:
        """A name for the tier before it loads (afterwards, the backend's own)."""
        return model_label(self.path, self.model_name, self.backend)

    def create(self, settings: ModelSettings) -> Backend:
        """The tier's backend, with the settings of the first tier where the spec says nothing."""
        tier_settings = dataclasses.replace(settings, backend=self.backend, model_name=self.model_name)
        from ncpu.backends.host import open_backend

        return open_backend(self.backend, self.path, tier_settings)


def parse_tier(text: str, first_backend: str, backends: Iterable[str] | None = None) -> TierSpec:
    """Read one ``--escalate-to`` value; raises ``ValueError`` with a user-facing message."""
    text = text.strip()
    if not text:
        raise ValueError("an empty escalation tier")
    known = set(available_backends() if backends is None else backends)
    name, colon, target = text.partition(":")
    if colon and name in known:
        if name in _SERVED:
            return TierSpec(name, None, target or None)
        if not target:
            raise ValueError(f"escalation tier {text!r} names no model (write {name}:PATH)")
        path = Path(target).expanduser()
        if name == "transformers" and not path.exists():
            return TierSpec(name, None, target)  # a repo id already in the local cache
        return TierSpec(name, _existing(path, text), None)
    backend = "llama_cpp" if first_backend in _SERVED else first_backend
    return TierSpec(backend, _existing(Path(text).expanduser(), text), None)


def _existing(path: Path, text: str) -> Path:
    if not path.exists():
        raise ValueError(f"escalation model file not found: {text}")
    return path
