"""The ``openai`` backend: any server speaking OpenAI's chat completions API (vLLM, llama.cpp's server, Ollama, TGI).

The API key comes only from an environment variable whose name is configurable, never from a settings
file. One generation is streamed, so a cancel or a stop string ends it between two chunks; several samples
of one prompt are asked for with ``n`` and, when the server ignores ``n`` (llama-cpp-python's server does),
as that many requests in flight at once.

Chat completions cannot portably prefill the assistant's answer, so when the request has a fenced
``response_prefix`` the model writes the whole function in a code block (the prompt asks for exactly that)
and the parser takes it from there. Stop strings are applied from the opening fence on, here rather than on
the server, so a sentence before the code block cannot end the answer early.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ncpu.backends.base import (
    BackendBase,
    BackendError,
    Generation,
    GenerationRequest,
    apply_stops,
    past,
    sample_request,
)
from ncpu.backends.http import HttpClient, IsCancelled
from ncpu.backends.naming import model_label
from ncpu.backends.registry import register_backend
from ncpu.cancel import CancelToken
from ncpu.config import ModelSettings

DEFAULT_KEY_ENV = "NCPU_OPENAI_API_KEY"
FALLBACK_KEY_ENV = "OPENAI_API_KEY"
_SERVER_STOPS = 4
"""OpenAI's API rejects more stop strings than this; the rest are applied here."""


def api_key(env_name: str) -> str | None:
    """The key from the environment variable ``env_name`` (the default name falls back to ``OPENAI_API_KEY``)."""
    key = os.environ.get(env_name)
    if not key and env_name == DEFAULT_KEY_ENV:
        key = os.environ.get(FALLBACK_KEY_ENV)
    return key or None


class OpenAIBackend(BackendBase):
    """A model behind an OpenAI-compatible HTTP server. Thread-safe: requests share no state."""

    def __init__(self, settings: ModelSettings) -> None:
        headers = {"Accept": "application/json, text/event-stream"}
        key = api_key(settings.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._client = HttpClient(
            settings.base_url, headers=headers, timeout=settings.request_timeout, retries=settings.request_retries
        )
        self._closed = threading.Event()
        self._model = settings.model_name or self._served_model()
        self._n_supported: bool | None = None
        """Learnt from the first batch: whether the server honours ``n``."""

    def _served_model(self) -> str:
        """The server's first model; also proves the server is there before the first solve needs it."""
        listing = self._client.get_json("/models", self._closed.is_set)
        models = listing.get("data") if isinstance(listing, dict) else None
        if not models or not isinstance(models[0], dict) or not models[0].get("id"):
            raise BackendError(f"{self._client.base_url}/models lists no model; set the model name explicitly")
        return str(models[0]["id"])

    @property
    def name(self) -> str:
        """The served model's name, without a directory or ``.gguf`` (servers often report the file path)."""
        return model_label(model_name=self._model)

    @property
    def model(self) -> str:
        """The model id sent with every request."""
        return self._model

    def describe(self) -> str:
        """Backend, model and server."""
        return f"openai {self._model} at {self._client.base_url}"

    def _is_cancelled(self, cancel: CancelToken | None, *more: threading.Event) -> IsCancelled:
        def cancelled() -> bool:
            return (cancel is not None and cancel.cancelled) or self._closed.is_set() or any(e.is_set() for e in more)

        return cancelled

    def _payload(self, request: GenerationRequest, n: int, stream: bool) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": stream,
        }
        if request.temperature > 0:
            payload["top_p"] = 0.95
        if request.seed is not None:
            payload["seed"] = request.seed
        if n > 1:
            payload["n"] = n
        stops = [s for s in request.stop if "```" not in s or not _writes_code(request)][:_SERVER_STOPS]
        if stops:
            payload["stop"] = stops
        return payload

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        """Stream one answer, checking for a cancel and for the stop strings as chunks arrive."""
        return self._stream(request, self._is_cancelled(cancel))

    def _stream(self, request: GenerationRequest, cancelled: IsCancelled) -> Generation:
        started = time.perf_counter()
        text, chunks, usage = "", 0, None
        events = self._client.post_events("/chat/completions", self._payload(request, 1, True), cancelled)
        try:
            for event in events:
                usage = _completion_tokens(event) or usage
                for choice in event.get("choices") or ():
                    piece = (choice.get("delta") or choice.get("message") or {}).get("content") or ""
                    if piece:
                        chunks += 1
                        text += piece
                if _finished(text, request) or past(request.deadline):
                    break  # closing the stream drops the connection; good servers stop generating
        finally:
            events.close()
        return Generation(_answer(text, request), usage or chunks, time.perf_counter() - started)

    def sample(self, request: GenerationRequest, n: int, cancel: CancelToken | None = None) -> Iterator[Generation]:
        """Ask for ``n`` choices at once; if the server ignores ``n``, send the rest as parallel requests."""
        if n <= 1 or request.temperature <= 0:
            yield from super().sample(request, n, cancel)
            return
        done = 0
        if self._n_supported is not False:
            batch = self._choices(request, n, self._is_cancelled(cancel))
            self._n_supported = len(batch) >= n
            yield from batch[:n]
            done = len(batch)
        if done < n:
            yield from self._parallel(request, range(done, n), cancel)

    def _choices(self, request: GenerationRequest, n: int, cancelled: IsCancelled) -> list[Generation]:
        started = time.perf_counter()
        answer = self._client.post_json("/chat/completions", self._payload(request, n, False), cancelled)
        seconds = time.perf_counter() - started
        choices = answer.get("choices") if isinstance(answer, dict) else None
        if not isinstance(choices, list) or not choices:
            raise BackendError(f"{self._client.base_url} answered without choices")
        texts = [((c.get("message") or {}).get("content") or "") for c in choices if isinstance(c, dict)]
        total = _completion_tokens(answer) or sum(max(1, len(t) // 4) for t in texts)
        share = max(1, round(total / max(1, len(texts))))
        return [Generation(_answer(t, request), share, seconds / len(texts)) for t in texts]

    def _parallel(self, request: GenerationRequest, indices: range, cancel: CancelToken | None) -> Iterator[Generation]:
        abandoned = threading.Event()  # set when the caller stops pulling: the rest are dropped
        cancelled = self._is_cancelled(cancel, abandoned)
        with ThreadPoolExecutor(max_workers=len(indices), thread_name_prefix="ncpu-openai") as pool:
            futures = [pool.submit(self._stream, sample_request(request, i), cancelled) for i in indices]
            try:
                for future in futures:
                    yield future.result()
            finally:
                abandoned.set()

    def close(self) -> None:
        """Abort requests in flight; the server keeps its model."""
        self._closed.set()


def _writes_code(request: GenerationRequest) -> bool:
    """Whether the answer is expected as a fenced code block (the prefix could not be prefilled)."""
    return request.response_prefix.startswith("```")


def _code_start(text: str) -> int | None:
    """Offset just past the opening fence's line, or ``None`` while there is no complete one."""
    fence = text.find("```")
    if fence < 0:
        return None
    newline = text.find("\n", fence)
    return None if newline < 0 else newline + 1


def _finished(text: str, request: GenerationRequest) -> bool:
    if not _writes_code(request):
        return apply_stops(text, request.stop)[1]
    start = _code_start(text)
    return start is not None and apply_stops("\n" + text[start:], request.stop)[1]


def _answer(text: str, request: GenerationRequest) -> str:
    """The answer cut at the first stop; for code, the fenced block alone, from its opening fence."""
    if not _writes_code(request):
        return apply_stops(text, request.stop)[0]
    start = _code_start(text)
    if start is None:
        return apply_stops(text, request.stop)[0]
    code, _ = apply_stops("\n" + text[start:], request.stop)
    return "```python" + code + "\n"


def _completion_tokens(document: Any) -> int | None:
    usage = document.get("usage") if isinstance(document, dict) else None
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return int(tokens) if isinstance(tokens, int | float) and tokens > 0 else None


def _factory(path: Path | None, settings: ModelSettings) -> OpenAIBackend:
    if path is not None:
        raise BackendError("the openai backend serves a model by name (--model-name), not a model file")
    return OpenAIBackend(settings)


register_backend("openai", _factory)
