"""Backends register by name, like plugins; the built-in ones register the same way as third-party ones.

Third-party packages add a backend through the ``ncpu.backends`` entry-point group, whose value is a
factory ``(path: Path | None, settings: ModelSettings) -> Backend``. The backend implements the whole
``Backend`` interface; subclassing ``BackendBase`` supplies the default ``sample`` and ``describe``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from ncpu.backends.base import Backend, BackendError
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
    backend = factory(path, settings)
    if not isinstance(backend, Backend):
        close = getattr(backend, "close", None)
        if callable(close):
            close()
        raise BackendError(
            f"backend {name!r} does not implement the backend interface (name, generate, sample, describe, close); "
            "a plugin's backend can subclass ncpu.backends.base.BackendBase for the default sample and describe"
        )
    return backend
