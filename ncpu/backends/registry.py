"""Backends register by name, like plugins; the built-in ones register the same way as third-party ones.

Third-party packages add a backend through the ``ncpu.backends`` entry-point group, whose value is a
factory ``(path: Path | None, settings: ModelSettings) -> Backend``. A plugin written before ``sample`` and
``describe`` joined the interface is wrapped so that it gains the default ones.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from ncpu.backends.base import Backend, BackendBase, BackendError, Generation, GenerationRequest
from ncpu.cancel import CancelToken
from ncpu.config import ModelSettings

BackendFactory = Callable[[Path | None, ModelSettings], Backend]

_FACTORIES: dict[str, BackendFactory] = {}
_BUILTIN_MODULES = {
    "llama_cpp": "ncpu.backends.llama_cpp",
    "transformers": "ncpu.backends.hf",
    "openai": "ncpu.backends.openai_compat",
    "fake": "ncpu.backends.fake",
}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``factory`` available as ``backend = name``."""
    _FACTORIES[name] = factory


def _load_builtin(name: str) -> None:
    module = _BUILTIN_MODULES.get(name)
    if module is not None:
        __import__(module)  # the module registers itself on import


def _load_entry_point(name: str) -> None:
    for entry in metadata.entry_points(group="ncpu.backends"):
        if entry.name == name:
            register_backend(name, entry.load())


def available_backends() -> list[str]:
    """Names a user may put in ``backend``."""
    names = set(_FACTORIES) | set(_BUILTIN_MODULES)
    names |= {entry.name for entry in metadata.entry_points(group="ncpu.backends")}
    return sorted(names)


def create_backend(name: str, path: Path | None, settings: ModelSettings) -> Backend:
    """Instantiate the backend called ``name`` for the model at ``path``."""
    if name not in _FACTORIES:
        _load_builtin(name)
    if name not in _FACTORIES:
        _load_entry_point(name)
    factory = _FACTORIES.get(name)
    if factory is None:
        raise BackendError(f"unknown backend {name!r}; available: {', '.join(available_backends())}")
    return complete_backend(factory(path, settings))


def complete_backend(backend: object) -> Backend:
    """``backend`` itself, or wrapped to gain ``sample`` and ``describe`` if it only has ``generate``."""
    if isinstance(backend, Backend):
        return backend
    return _Completed(backend)


class _Completed(BackendBase):
    """A plugin written against the first interface (``name``, ``generate``, ``close``)."""

    def __init__(self, inner: object) -> None:
        self._inner: Any = inner

    @property
    def name(self) -> str:
        """The plugin's name."""
        return str(self._inner.name)

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        """The plugin's generation."""
        generation: Generation = self._inner.generate(request, cancel)
        return generation

    def describe(self) -> str:
        """Says it is a plugin."""
        return f"plugin {self.name}"

    def close(self) -> None:
        """The plugin's clean-up."""
        self._inner.close()
