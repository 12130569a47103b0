"""The llama.cpp backend: a local GGUF model through llama-cpp-python, loaded once and reused.

Prompts are rendered with the model's own chat template (from the GGUF metadata) and the assistant's
answer can be prefilled, so generation continues the function the user started. Consecutive samples
of the same prompt reuse llama.cpp's KV cache for the shared prefix. Tokens are streamed so a cancel
takes effect between two tokens.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ncpu.backends.base import BackendBase, BackendError, Generation, GenerationRequest, past
from ncpu.backends.registry import register_backend
from ncpu.cancel import Cancelled, CancelToken
from ncpu.config import ModelSettings

if TYPE_CHECKING:
    from ncpu.backends.llama_batch import BatchedSampler

logger = logging.getLogger(__name__)
_CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


MIN_ANSWER_TOKENS = 128
"""The fewest new tokens a generation may be cut to when the prompt nearly fills the context window."""


class LlamaCppBackend(BackendBase):
    """One GGUF model in this process. Generation is serialized: llama.cpp contexts are not thread-safe.

    Greedy generations stream through ``Llama.create_completion`` (or, with ``greedy_in_batch``, decode in the
    batch context); sampled batches decode together in a context of their own (``ncpu.backends.llama_batch``).
    """

    def __init__(self, path: Path, settings: ModelSettings) -> None:
        if not path.is_file():
            raise BackendError(f"model file not found: {path}")
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as exc:  # pragma: no cover - llama-cpp-python is a core dependency
            raise BackendError("llama-cpp-python is not installed: run `pip install llama-cpp-python`") from exc
        threads = settings.n_threads or max(1, os.cpu_count() or 1)
        self._mode = load_mode(settings)
        self._gpu_layers = gpu_layers(settings.gpu_layers)
        try:
            with (
                open(os.devnull, "w") as devnull,
                contextlib.redirect_stderr(devnull),
                _model_params(use_extra_bufts=self._mode.extra_buffers),
            ):
                self._llama = Llama(
                    model_path=str(path),
                    n_ctx=settings.n_ctx,
                    n_threads=threads,
                    n_threads_batch=threads,
                    n_gpu_layers=self._gpu_layers,
                    seed=settings.seed,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise BackendError(f"cannot load model {path}: {exc}") from exc
        metadata: dict[str, Any] = self._llama.metadata or {}
        template = metadata.get("tokenizer.chat_template") or _CHATML
        self._formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=self._token_text(self._llama.token_eos()),
            bos_token=self._token_text(self._llama.token_bos()),
        )
        self._name = path.stem  # GGUF metadata names are often those of another quantization
        self._path = path
        self._threads = threads
        self._batch_sampling = settings.batch_sampling
        self._greedy_in_batch = settings.batch_sampling and settings.greedy_in_batch
        self._draft_tokens = settings.draft_tokens
        self._batch_sampler: BatchedSampler | None = None
        self._lock = threading.Lock()

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self._llama.detokenize([token], special=True).decode("utf-8", errors="ignore")

    @property
    def name(self) -> str:
        """The model's name from its GGUF metadata."""
        return self._name

    @property
    def mode(self) -> LoadMode:
        """How the weights were loaded (CPU-safe, AMX off)."""
        return self._mode

    @property
    def device(self) -> str:
        """``CPU``, or the GPU offload: ``GPU (all layers)``, ``GPU (12 layers) + CPU``."""
        if self._gpu_layers == 0:
            return "CPU"
        return "GPU (all layers)" if self._gpu_layers < 0 else f"GPU ({self._gpu_layers} layers) + CPU"

    def describe(self) -> str:
        """Backend, model file, device, threads and CPU mode."""
        return f"llama_cpp {self._path.name} ({self.device}, {self._threads} threads, {self._mode.summary})"

    def render_prompt(self, request: GenerationRequest) -> str:
        """The exact text the model sees: chat template applied, assistant answer prefilled."""
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        rendered = self._formatter(messages=messages)  # type: ignore[arg-type]
        return rendered.prompt + request.response_prefix

    def _fitting_max_tokens(self, prompt: str, wanted: int) -> int:
        """``wanted`` new tokens, or fewer so that the prompt and the answer fit the context window."""
        window = self._llama.n_ctx()
        length = len(self._llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))
        room = window - length - 8
        if room < min(wanted, MIN_ANSWER_TOKENS):
            raise BackendError(
                f"the prompt is {length} tokens, too long for the model's context window of {window} "
                "(raise n_ctx, or the stub's docstring is too long)"
            )
        return min(wanted, room)

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        """One completion, checking ``cancel`` between steps.

        Greedy requests decode in the batch context (``ncpu.backends.llama_batch``) when ``greedy_in_batch`` is
        on, and through ``Llama.create_completion`` otherwise, when llama.cpp cannot make that context
        (logged), and for sampled requests.
        """
        prompt = self.render_prompt(request)
        if request.temperature <= 0 and self._greedy_in_batch:
            with self._lock:
                max_tokens = self._fitting_max_tokens(prompt, request.max_tokens)
            fitted = dataclasses.replace(request, max_tokens=max_tokens)
            try:
                return self._batched().greedy(prompt, fitted, cancel, draft=self._draft_tokens)
            except BackendError as exc:
                logger.warning("greedy decoding in the batch context failed (%s); decoding one token a step", exc)
        return self._completion(prompt, request, cancel)

    def _completion(self, prompt: str, request: GenerationRequest, cancel: CancelToken | None) -> Generation:
        """Stream one completion through llama-cpp-python's own context, checking ``cancel`` between tokens."""
        started = time.perf_counter()
        pieces: list[str] = []
        tokens = 0
        seed = request.seed if request.seed else None  # llama.cpp treats seed 0 as "unset"
        with self._lock:
            if cancel is not None:
                cancel.raise_if_cancelled()
            max_tokens = self._fitting_max_tokens(prompt, request.max_tokens)
            stream = self._llama.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=request.temperature,
                top_p=0.95 if request.temperature > 0 else 1.0,
                top_k=40 if request.temperature > 0 else 1,
                min_p=0.05,
                repeat_penalty=1.0,
                stop=list(request.stop) or None,
                seed=seed,
                stream=True,
            )
            try:
                for chunk in stream:
                    choice: Any = chunk["choices"][0]  # type: ignore[index]
                    if choice["text"] or choice["finish_reason"] is None:  # the closing chunk carries no token
                        tokens += 1
                        pieces.append(choice["text"])
                    if cancel is not None and cancel.cancelled:
                        raise Cancelled()
                    if past(request.deadline):  # the solve's time budget ran out: keep what was written
                        break
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
        return Generation(text="".join(pieces), tokens=tokens, seconds=time.perf_counter() - started)

    def sample(self, request: GenerationRequest, n: int, cancel: CancelToken | None = None) -> Iterator[Generation]:
        """``n`` samples decoded together in one batch per step (``llama_batch``), else one at a time.

        Greedy requests and ``n == 1`` go one at a time (the samples would all be equal, or there is nothing
        to batch); so does everything when ``batch_sampling`` is off or llama.cpp cannot make the batch's
        context (too little memory), which is logged.
        """
        if n <= 1 or request.temperature <= 0 or not self._batch_sampling:
            yield from super().sample(request, n, cancel)
            return
        samples = self._batched().sample(self.render_prompt(request), request, n, cancel)
        try:
            first = next(samples, None)
        except BackendError as exc:
            logger.warning("batched sampling unavailable (%s); sampling one at a time", exc)
            yield from super().sample(request, n, cancel)
            return
        if first is None:
            return
        yield first
        yield from samples

    def _batched(self) -> BatchedSampler:
        """The model's batch sampler, made on first use (it keeps its context between calls)."""
        if self._batch_sampler is None:
            from ncpu.backends.llama_batch import BatchedSampler

            self._batch_sampler = BatchedSampler(self._llama, self._threads, keep_prefixes=self._greedy_in_batch)
        return self._batch_sampler

    def close(self) -> None:
        """Free the model's memory."""
        sampler: BatchedSampler | None = getattr(self, "_batch_sampler", None)
        if sampler is not None:
            sampler.close()
            self._batch_sampler = None
        llama: Any = getattr(self, "_llama", None)
        if llama is not None:
            llama.close()
            del self._llama


@dataclass(frozen=True, slots=True)
class LoadMode:
    """Which of llama.cpp's CPU weight layouts a load uses."""

    extra_buffers: bool
    """llama.cpp's extra CPU buffer types (weight repacking; AMX where the process may use it)."""
    summary: str
    """``CPU-safe``, ``AMX off``, or ``default``."""


def load_mode(settings: ModelSettings) -> LoadMode:
    """CPU-safe when asked (or when AMX is present and this process could not refuse it), else the default.

    In a model host on an AMX CPU the AMX kernels were refused already (``ncpu.backends.amx_guard``), so the
    other repacked layouts stay; in any other process AMX cannot be turned off alone, so all go.
    """
    from ncpu.backends import amx_guard
    from ncpu.backends.cpu_features import cpu_features

    if settings.cpu_safe:
        return LoadMode(extra_buffers=False, summary="CPU-safe")
    if cpu_features().amx:
        if amx_guard.refused():
            return LoadMode(extra_buffers=True, summary="AMX off")
        return LoadMode(extra_buffers=False, summary="CPU-safe (AMX CPU)")
    return LoadMode(extra_buffers=True, summary="default")


def gpu_offload_supported() -> bool:
    """Whether the installed llama.cpp was built with a GPU backend (CUDA, Metal, Vulkan, ROCm...)."""
    try:
        import llama_cpp
    except ImportError:  # pragma: no cover - a core dependency
        return False
    return bool(llama_cpp.llama_supports_gpu_offload())


def gpu_layers(configured: int | None) -> int:
    """Layers to offload: ``None`` means all of them where the build supports offload, else none."""
    if configured is None:
        return -1 if gpu_offload_supported() else 0
    return configured


@contextlib.contextmanager
def _model_params(**fields: Any) -> Iterator[None]:
    """Set ``llama_model_params`` fields that ``Llama()`` takes no argument for, for the loads in the block.

    ``Llama.__init__`` builds its model parameters from ``llama_model_default_params()`` and loads at once,
    so the defaults are overridden for the block. Loads are serialized by ``_LOAD_LOCK``. A field this
    llama-cpp-python does not have raises ``BackendError``: the safe mode it asks for is not available.
    """
    import llama_cpp.llama_cpp as raw

    original = raw.llama_model_default_params
    probe = original()
    missing = [name for name in fields if not hasattr(probe, name)]
    if missing:
        raise BackendError(f"this llama-cpp-python has no llama_model_params.{missing[0]}: upgrade to 0.3.36 or later")

    def patched() -> Any:
        params = original()
        for name, value in fields.items():
            setattr(params, name, value)
        return params

    with _LOAD_LOCK:
        raw.llama_model_default_params = patched
        try:
            yield
        finally:
            raw.llama_model_default_params = original


_LOAD_LOCK = threading.Lock()


def _factory(path: Path | None, settings: ModelSettings) -> LlamaCppBackend:
    if path is None:
        from ncpu.models import EMBEDDED_DEFAULT, ensure_model

        path = ensure_model(EMBEDDED_DEFAULT)
    return LlamaCppBackend(path, settings)


register_backend("llama_cpp", _factory)
