"""The server's settings: typed, documented field by field, camelCase on the wire.

A bad value is reported (naming the key) and that key keeps its default; the server never dies of it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ncpu.config import Budget, ModelSettings, SandboxLimits, Settings


@dataclass(frozen=True)
class ServerConfig:
    """Settings under the ``ncpu`` section (``initializationOptions`` or ``didChangeConfiguration``)."""

    backend: str = "llama_cpp"
    """Backend name (``llama_cpp``, ``transformers``, ``openai``, ``fake`` for tests, or a plugin's)."""
    model_path: str | None = None
    """A GGUF file (or a model directory for ``transformers``); empty uses the embedded default model."""
    model_name: str | None = None
    """``openai``: the served model (empty: the server's first); ``transformers``: a repo id in the local cache."""
    device: str = "auto"
    """``transformers``: ``auto`` (CUDA when available), ``cpu``, ``cuda``, ``cuda:1``..."""
    base_url: str = "http://127.0.0.1:8000/v1"
    """``openai``: the OpenAI-compatible server."""
    api_key_env: str = "NCPU_OPENAI_API_KEY"
    """``openai``: the environment variable holding the API key (the key itself never goes in settings)."""
    request_timeout: float = 120.0
    """``openai``: seconds one request may take."""
    escalation_path: str | tuple[str, ...] | None = None
    """A larger GGUF to escalate to (or ``BACKEND:TARGET``, such as ``openai:MODEL``), or a list of them (a
    ladder, cheapest first); empty uses the packaged large tier when installed."""
    escalate: bool = True
    """Escalate to a larger model after the first tier failed."""
    max_samples: int = 24
    """Model generations per solve."""
    max_tokens: int = 12_000
    """Generated tokens per solve."""
    max_seconds: float = 300.0
    """Wall-clock seconds per solve."""
    wall_seconds: float = 5.0
    """Sandbox wall-clock limit per candidate."""
    memory_mb: int = 1024
    """Sandbox memory limit per candidate."""
    unsafe_sandbox: bool = False
    """Verify even where the OS refuses the sandbox's kernel boundary, with best-effort isolation only."""
    project_python: str | None = None
    """The project's interpreter (or virtual environment) candidates run on; empty: the workspace's ``.venv``
    or ``venv``, then ``$VIRTUAL_ENV``, then the server's own."""
    store_path: str | None = None
    """Store directory; empty uses the user cache dir."""
    offer_unverified: bool = False
    """Offer clearly marked unverified bodies for stubs without examples."""
    idle_unload_seconds: float = 600.0
    """Free the model after this long without a solve (0 keeps it loaded)."""
    gpu_layers: int | None = None
    """``llama_cpp``: layers offloaded to the GPU; empty offloads all when llama.cpp has GPU support, ``-1`` all."""
    cpu_safe: bool = False
    """``llama_cpp``: load without repacked weight layouts or AMX kernels (slower; runs on every CPU)."""
    model_host: str = "auto"
    """Where the model runs: ``process`` (its own process, which may crash without taking the server down),
    ``inline`` (the server's), ``auto``: ``process`` for ``llama_cpp`` and ``transformers``."""

    def to_settings(self) -> Settings:
        """The engine's settings."""
        return Settings(
            model=ModelSettings(
                backend=self.backend,
                model_path=Path(self.model_path).expanduser() if self.model_path else None,
                model_name=self.model_name,
                device=self.device,
                base_url=self.base_url,
                api_key_env=self.api_key_env,
                request_timeout=self.request_timeout,
                escalation_tiers=_tiers(self.escalation_path),
                escalate=self.escalate,
                gpu_layers=self.gpu_layers,
                cpu_safe=self.cpu_safe,
                host=self.model_host,
            ),
            budget=replace(
                Budget(), max_samples=self.max_samples, max_tokens=self.max_tokens, max_seconds=self.max_seconds
            ),
            sandbox=replace(
                SandboxLimits(),
                wall_seconds=self.wall_seconds,
                memory_mb=self.memory_mb,
                allow_unsafe=self.unsafe_sandbox,
            ),
            store_path=Path(self.store_path).expanduser() if self.store_path else None,
            offer_unverified=self.offer_unverified,
            python=str(Path(self.project_python).expanduser()) if self.project_python else None,
        )


_POSITIVE = {"max_samples", "max_tokens", "max_seconds", "wall_seconds", "memory_mb", "request_timeout"}


def _tiers(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _convert(name: str, kind: Any, value: Any) -> Any:
    text = str(kind)
    if value is None or value == "":
        if "None" in text:
            return None
        raise ValueError("must not be empty")
    if name == "escalation_path" and isinstance(value, list):
        if not all(isinstance(item, str) and item for item in value):
            raise ValueError(f"expected a path or a list of paths, got {value!r}")
        return tuple(value)
    if text.startswith("bool"):
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if text.startswith("int"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {value!r}")
    elif text.startswith("float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {value!r}")
        value = float(value)
    elif not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    if name in _POSITIVE and value <= 0:
        raise ValueError(f"must be positive, got {value!r}")
    if name == "idle_unload_seconds" and value < 0:
        raise ValueError(f"must not be negative, got {value!r}")
    if name == "model_host" and value not in ("auto", "process", "inline"):
        raise ValueError(f"must be auto, process or inline, got {value!r}")
    if name == "gpu_layers" and value < -1:
        raise ValueError(f"must be -1 (all layers) or more, got {value!r}")
    return value


def parse_config(raw: Any) -> tuple[ServerConfig, list[str]]:
    """Build a config from client settings; return it and one message per rejected key."""
    if raw is None:
        return ServerConfig(), []
    if isinstance(raw, dict) and isinstance(raw.get("ncpu"), dict):
        raw = raw["ncpu"]
    if not isinstance(raw, dict):
        return ServerConfig(), [f"ncpu settings must be an object, got {type(raw).__name__}; using defaults"]
    known = {_camel(f.name): f for f in fields(ServerConfig)}
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in raw.items():
        spec = known.get(key)
        if spec is None:
            problems.append(f"unknown setting ncpu.{key} ignored")
            continue
        try:
            values[spec.name] = _convert(spec.name, spec.type, value)
        except ValueError as exc:
            problems.append(f"setting ncpu.{key} {exc}; using the default")
    return ServerConfig(**values), problems


__all__ = ["ServerConfig", "parse_config"]
