"""Typed settings shared by the CLI, the language server and the benchmark.

Every field has a default, so an empty configuration is a working one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Resource limits for running one candidate."""

    wall_seconds: float = 5.0
    """Wall-clock time for one candidate against all its checks; the whole process group is killed after."""
    cpu_seconds: int = 5
    """CPU time (RLIMIT_CPU) for the candidate process."""
    memory_mb: int = 1024
    """Address space limit (RLIMIT_AS) in MiB."""
    file_size_mb: int = 16
    """Largest file the candidate may write (RLIMIT_FSIZE) in MiB."""
    max_processes: int = 64
    """RLIMIT_NPROC for the candidate (stops fork bombs where the OS enforces it per user)."""
    output_bytes: int = 64 * 1024
    """Captured stdout/stderr kept per candidate; the rest is dropped."""
    network: bool = False
    """Allow network access (off: a new network namespace or bwrap when the OS allows it)."""


@dataclass(frozen=True, slots=True)
class Budget:
    """How much one solve may spend on the model before giving up."""

    max_samples: int = 24
    """Model generations per solve, greedy included, across all layers and tiers."""
    max_tokens: int = 12_000
    """Generated tokens per solve, across all layers and tiers."""
    max_seconds: float = 300.0
    """Wall-clock seconds per solve."""
    retries: int = 4
    """Sampled attempts fed with the failing check (compounding retry)."""
    temperatures: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)
    """Temperatures tried by best-of-N; reordered by the store's per-temperature success rate."""
    samples_per_temperature: int = 4
    max_new_tokens: int = 512
    """Tokens per generation."""
    escalation_samples: int = 4
    """Samples of ``max_samples`` kept for the larger tier; the first tier cannot spend them."""


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """Which model backs the cascade."""

    backend: str = "llama_cpp"
    """Registered backend name (``llama_cpp``, ``fake``)."""
    model_path: Path | None = None
    """A GGUF file; ``None`` uses the embedded default (the ``[model]`` extra)."""
    escalation_path: Path | None = None
    """A larger GGUF to escalate to after a verified failure; ``None`` uses the packaged large tier if installed."""
    escalate: bool = True
    n_ctx: int = 4096
    n_threads: int | None = None
    seed: int = 1234


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a solve needs to know."""

    model: ModelSettings = field(default_factory=ModelSettings)
    budget: Budget = field(default_factory=Budget)
    sandbox: SandboxLimits = field(default_factory=SandboxLimits)
    store_path: Path | None = None
    """Directory of the store; ``None`` uses the user cache dir."""
    use_store: bool = True
    layers: tuple[str, ...] = ("store", "library", "template", "greedy", "retry", "best_of_n", "escalate")
    """Cascade layers to run, in this order (any subset)."""
    offer_unverified: bool = False
    """When there are no checks, return an unverified greedy body instead of only a message."""
