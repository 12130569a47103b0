"""Typed settings shared by the CLI, the language server and the benchmark.

Every field has a default, so an empty configuration is a working one. A field whose values are bounded
says so in its metadata (``check``); ``check_value`` applies it, for the server's settings and the CLI alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

Check = Callable[[Any], "str | None"]
"""A bound on a field's values: ``None`` when ``value`` is allowed, else why not ("must be positive...")."""


def _positive(value: Any) -> str | None:
    return None if value > 0 else f"must be positive, got {value!r}"


def _not_negative(value: Any) -> str | None:
    return None if value >= 0 else f"must not be negative, got {value!r}"


def _layer_count(value: Any) -> str | None:
    return None if value >= -1 else f"must be -1 (all layers) or more, got {value!r}"


def _share(value: Any) -> str | None:
    return None if 0 < value <= 1 else f"must be more than 0 and at most 1, got {value!r}"


def _host(value: Any) -> str | None:
    return None if value in ("auto", "process", "inline") else f"must be auto, process or inline, got {value!r}"


POSITIVE = {"check": _positive}
NOT_NEGATIVE = {"check": _not_negative}


def check_value(owner: type, name: str, value: Any) -> str | None:
    """Why ``value`` is not allowed for the field ``name`` of the settings class ``owner``, or ``None``."""
    spec = next(f for f in fields(owner) if f.name == name)
    check: Check | None = spec.metadata.get("check")
    return None if check is None or value is None else check(value)


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Resource limits for running one candidate."""

    wall_seconds: float = field(default=5.0, metadata=POSITIVE)
    """Wall-clock time for one candidate against all its checks; the whole process group is killed after."""
    cpu_seconds: int = 5
    """CPU time (RLIMIT_CPU) for the candidate process."""
    memory_mb: int = field(default=1024, metadata=POSITIVE)
    """Address space limit (RLIMIT_AS) in MiB."""
    file_size_mb: int = 16
    """Largest file the candidate may write (RLIMIT_FSIZE) in MiB."""
    max_processes: int = 64
    """RLIMIT_NPROC for the candidate (stops fork bombs where the OS enforces it per user)."""
    output_bytes: int = 64 * 1024
    """Captured stdout/stderr kept per candidate; the rest is dropped."""
    network: bool = False
    """Allow network access (off: candidates get a network namespace of their own)."""
    allow_unsafe: bool = False
    """Run candidates even where the OS refuses the kernel boundary (user namespaces, seccomp), with
    best-effort isolation only. Off: verification fails with a message naming what is missing."""


@dataclass(frozen=True, slots=True)
class Budget:
    """How much one solve may spend on the model before giving up."""

    max_samples: int = field(default=24, metadata=POSITIVE)
    """Model generations per solve, greedy included, across all layers and tiers."""
    max_tokens: int = field(default=12_000, metadata=POSITIVE)
    """Generated tokens per solve, across all layers and tiers."""
    max_seconds: float = field(default=300.0, metadata=POSITIVE)
    """Wall-clock seconds per solve."""
    retries: int = 4
    """Sampled attempts fed with the failing check (compounding retry)."""
    temperatures: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)
    """Temperatures tried by best-of-N; reordered by the store's per-temperature success rate."""
    samples_per_temperature: int = 4
    max_new_tokens: int = 512
    """Tokens per generation."""
    escalation_samples: int = 4
    """Samples of ``max_samples`` kept for each larger tier; the first tier cannot spend them."""
    agreement_passes: int = field(default=3, metadata=POSITIVE)
    """After the first body passes every check, keep sampling until this many distinct bodies pass, then
    choose from the largest group of bodies that behave alike on generated inputs (1: the first pass wins)."""
    agreement_share: float = field(default=0.25, metadata={"check": _share})
    """The share of ``max_samples`` and ``max_seconds`` the search for agreeing bodies may spend after the
    first pass (never more than is left of either)."""
    agreement_temperature: float = field(default=0.6, metadata=NOT_NEGATIVE)
    """The temperature the agreeing bodies are sampled at."""
    proposed_inputs: int = field(default=0, metadata=NOT_NEGATIVE)
    """Calls the model is asked to propose (CodeT-style, shown the stub without its examples), compared on
    alongside the mutated examples once agreement wants more than one body (0: mutated inputs only). Off by
    default: with the embedded 0.5B they changed no answer on HumanEval/0-79 (``benchmarks/RESULTS.md``) and
    cost one generation per solve; 6 is a reasonable number for a larger model."""
    ambiguity_margin: float = field(default=1.0, metadata={"check": _share})
    """The answer is *ambiguous* when the second largest group has at least this share of the largest's
    members (1.0: only a tie at the top)."""
    unconfirmed_after: int = field(default=3, metadata=NOT_NEGATIVE)
    """A body from a template or a blind sample that passes every check alone, none of them one of the
    project's tests, is *unconfirmed* (offered, not stored as verified) once at least this many other bodies
    the model wrote failed them (0: never). A couple of failures is an example doing its job; on HumanEval+
    every lone pass came after 5 or more (``ncpu.cascade.cascade.GUESSING_LAYERS``)."""


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """Which model backs the cascade."""

    backend: str = "llama_cpp"
    """Registered backend name (``llama_cpp``, ``transformers``, ``openai``, ``fake``)."""
    model_path: Path | None = None
    """A GGUF file (``transformers`` also takes a model directory); ``None`` uses the embedded default."""
    model_name: str | None = None
    """A model by name: a Hugging Face repo id already in the local cache (``transformers``, never
    downloaded), or the model an OpenAI-compatible server serves (``openai``; ``None``: its first)."""
    escalation_tiers: tuple[str, ...] = ()
    """Larger models to escalate to after a verified failure, each a tier of the ladder: a model file, or
    ``BACKEND:TARGET`` such as ``openai:qwen2.5-coder-32b`` (see ``ncpu.backends.tiers``). Empty uses the
    packaged large tier if installed. With several, the store's ledger orders them by past solves per second
    spent (see ``Store.tier_order``)."""
    escalate: bool = True
    n_ctx: int = 4096
    n_threads: int | None = field(default=None, metadata=POSITIVE)
    seed: int = 1234
    device: str = "auto"
    """Where ``transformers`` runs the model: ``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda:0``..."""
    gpu_layers: int | None = field(default=None, metadata={"check": _layer_count})
    """``llama_cpp``: layers offloaded to the GPU; ``None`` offloads all of them when the installed llama.cpp
    supports GPU offload (a CUDA, Metal or Vulkan build) and none otherwise, ``-1`` all, ``0`` none."""
    batch_sampling: bool = True
    """``llama_cpp``: decode the samples of one best-of-N step together, one batch per step (``False``: one
    after another, each reusing the prompt's KV cache)."""
    greedy_in_batch: bool = True
    """``llama_cpp`` with ``batch_sampling``: decode greedy answers in the batch context too, so the samples
    after a greedy answer (agreement's, best-of-N's) find its prompt evaluated, and a retry's prompt the
    start it shares with it. ``False``: greedy answers go through ``Llama.create_completion`` in a context of
    their own. Measured side by side in the cascade on the 0.5B (``benchmarks/RESULTS.md``)."""
    draft_tokens: int = field(default=0, metadata=NOT_NEGATIVE)
    """``llama_cpp`` with ``greedy_in_batch``: tokens a greedy step drafts by prompt lookup (copying what
    followed the same tokens earlier in the prompt or the answer) and checks in the same batch, keeping those
    equal to the model's own choice. ``0`` decodes one token a step: on 2 CPU cores drafts of 3 to 8 tokens
    did not make greedy answers faster (``benchmarks/RESULTS.md``)."""
    cpu_safe: bool = False
    """``llama_cpp``: load without llama.cpp's extra CPU buffer types (no weight repacking, no AMX kernels),
    the slower path that runs on every CPU. Without it, only the AMX kernels are switched off, and only on
    CPUs that have AMX; a model host that crashed restarts in this mode by itself."""
    host: str = field(default="auto", metadata={"check": _host})
    """Where the backend runs: ``process`` (a model host process of its own, which may crash without taking
    the caller down), ``inline`` (the caller's process), or ``auto``: ``process`` for backends with native
    code (``llama_cpp``, ``transformers``), ``inline`` for the others."""
    base_url: str = "http://127.0.0.1:8000/v1"
    """The OpenAI-compatible server (``openai``): vLLM, llama.cpp's server, Ollama, TGI..."""
    api_key_env: str = "NCPU_OPENAI_API_KEY"
    """Name of the environment variable holding the server's API key (``OPENAI_API_KEY`` is read when this
    default is unset). The key itself is never read from settings files."""
    request_timeout: float = field(default=120.0, metadata=POSITIVE)
    """Seconds one request to the server may take before it fails."""
    request_retries: int = 3
    """Retries (with backoff) of a request the server refused as busy (429, 5xx) or that could not connect."""


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
    python: str | None = None
    """The project's interpreter candidates run on (an interpreter, or a virtual environment's folder);
    ``None``: the workspace's ``.venv``/``venv``, else ``$VIRTUAL_ENV``, else the one ncpu runs on."""
    concurrency: int = field(default=1, metadata=POSITIVE)
    """Stubs solved at once in batch mode (``ncpu solve``), each with its own sandbox. Raise it for a backend
    that serves several requests at once (an OpenAI-compatible server); in-process models gain nothing."""
