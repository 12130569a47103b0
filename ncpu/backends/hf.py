"""The ``transformers`` backend: a Hugging Face causal LM in this process (the ``[hf]`` extra).

It loads a model directory, a repo id already in the local cache, or a GGUF file directly (transformers
dequantizes it; needs ``gguf``), so with no path it runs the embedded default model. Nothing is ever
downloaded. The prompt is rendered with the tokenizer's chat template and the answer prefilled, as with
llama.cpp. Several samples of one prompt are decoded as one batch (``num_return_sequences``); stop strings
and cancellation are checked after every decoding step.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ncpu.backends.base import BackendBase, BackendError, Generation, GenerationRequest, apply_stops, past
from ncpu.backends.registry import register_backend
from ncpu.cancel import Cancelled, CancelToken
from ncpu.config import ModelSettings

_CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_TAIL_TOKENS = 16
"""Tokens decoded per step to look for a stop string (stops are short)."""


def _load_torch() -> Any:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise BackendError("the transformers backend needs the [hf] extra: run `pip install 'ncpu[hf]'`") from exc
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    return torch


def pick_device(torch: Any, wanted: str) -> str:
    """``auto`` becomes ``cuda`` when a GPU is usable, else ``cpu``; anything else is taken as given."""
    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return wanted


class TransformersBackend(BackendBase):
    """One model on one device. Generation is serialized: the model is shared and the seed is global."""

    def __init__(self, source: str, gguf_file: str | None, settings: ModelSettings) -> None:
        torch = _load_torch()
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._torch = torch
        self._device = pick_device(torch, settings.device)
        if settings.n_threads:
            torch.set_num_threads(settings.n_threads)
        # Half precision only where it is fast; on CPU float32 is both quicker and exact.
        dtype = torch.float16 if self._device.startswith("cuda") else torch.float32
        options: dict[str, Any] = {"local_files_only": True}
        if gguf_file is not None:
            options["gguf_file"] = gguf_file
        try:
            # The GGUF conversion draws its own progress bar; the editor's log is no place for it.
            with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
                self._tokenizer = AutoTokenizer.from_pretrained(source, **options)
                model: Any = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **options)
            self._model = model.to(self._device).eval()
        except (OSError, ValueError, RuntimeError, ImportError) as exc:
            raise BackendError(f"cannot load {gguf_file or source} with transformers: {exc}") from exc
        if not self._tokenizer.chat_template:
            self._tokenizer.chat_template = _CHATML
        if self._tokenizer.pad_token_id is None:
            self._tokenizer.pad_token = self._tokenizer.eos_token
        self._name = Path(gguf_file).stem if gguf_file else source.rstrip("/").rsplit("/", 1)[-1]
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The GGUF file's stem, or the model directory's (repo's) last part."""
        return self._name

    def describe(self) -> str:
        """Backend, model and device."""
        return f"transformers {self._name} on {self._device}"

    def render_prompt(self, request: GenerationRequest) -> str:
        """The chat template applied, the assistant's answer prefilled."""
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        prompt = self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return str(prompt) + request.response_prefix

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        """One completion: greedy at temperature 0, sampled otherwise."""
        return self._batch(request, 1, cancel)[0]

    def sample(self, request: GenerationRequest, n: int, cancel: CancelToken | None = None) -> Iterator[Generation]:
        """All ``n`` samples in one batched ``generate`` call (greedy samples would all be equal)."""
        if n <= 1 or request.temperature <= 0:
            yield from super().sample(request, n, cancel)
            return
        yield from self._batch(request, n, cancel)

    def _batch(self, request: GenerationRequest, n: int, cancel: CancelToken | None) -> list[Generation]:
        torch = self._torch
        inputs = self._tokenizer(self.render_prompt(request), return_tensors="pt").to(self._device)
        prompt_length = int(inputs["input_ids"].shape[1])
        stops = _StopAtStrings(self._tokenizer, prompt_length, request.stop, cancel, request.deadline)
        options: dict[str, Any] = {
            "max_new_tokens": request.max_tokens,
            "num_return_sequences": n,
            "stopping_criteria": [stops],
            "pad_token_id": self._tokenizer.pad_token_id,
        }
        if request.temperature > 0:
            options.update(do_sample=True, temperature=request.temperature, top_p=0.95, top_k=40)
        else:
            options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        started = time.perf_counter()
        with self._lock, torch.inference_mode():
            if cancel is not None:
                cancel.raise_if_cancelled()
            if request.temperature > 0 and request.seed is not None:
                torch.manual_seed(request.seed)
            output = self._model.generate(**inputs, **options)
        seconds = time.perf_counter() - started
        generations = []
        for row in output[:, prompt_length:]:
            ids = row.tolist()
            text, tokens = self._text_until_stop(ids, request.stop)
            generations.append(Generation(text=text, tokens=tokens, seconds=seconds / n))
        return generations

    def _decode(self, ids: list[int]) -> str:
        return str(self._tokenizer.decode(ids, skip_special_tokens=True))

    def _text_until_stop(self, ids: list[int], stop: tuple[str, ...]) -> tuple[str, int]:
        """The text up to the first stop string or end of sequence, and the tokens that took."""
        eos = {self._tokenizer.eos_token_id, self._tokenizer.pad_token_id} - {None}
        end = next((i for i, token in enumerate(ids) if token in eos), len(ids))
        text, stopped = apply_stops(self._decode(ids[:end]), stop)
        if not stopped:
            return text, max(1, end)
        # Count the tokens up to the stop, not those decoded after it while other rows went on.
        low, high = 1, end
        while low < high:
            middle = (low + high) // 2
            if apply_stops(self._decode(ids[:middle]), stop)[1]:
                high = middle
            else:
                low = middle + 1
        return text, low

    def close(self) -> None:
        """Free the model (and the GPU memory it held)."""
        model = getattr(self, "_model", None)
        if model is not None:
            del self._model
            if self._device.startswith("cuda"):
                with contextlib.suppress(Exception):
                    self._torch.cuda.empty_cache()


class _StopAtStrings:
    """A stopping criterion: per sequence, done once its new text holds a stop string; raises on cancel."""

    def __init__(
        self,
        tokenizer: Any,
        prompt_length: int,
        stop: tuple[str, ...],
        cancel: CancelToken | None,
        deadline: float | None = None,
    ) -> None:
        self._deadline = deadline
        self._tokenizer = tokenizer
        self._prompt_length = prompt_length
        self._stop = tuple(s for s in stop if s)
        self._cancel = cancel
        self._done: list[bool] = []

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        if self._cancel is not None and self._cancel.cancelled:
            raise Cancelled()
        rows = input_ids.shape[0]
        if len(self._done) != rows:
            self._done = [False] * rows
        if past(self._deadline):  # the solve's time budget ran out: every row ends here
            return torch.ones(rows, dtype=torch.bool, device=input_ids.device)
        if self._stop:
            new = input_ids[:, self._prompt_length :]
            for row in range(rows):
                if not self._done[row]:
                    tail = self._tokenizer.decode(new[row, -_TAIL_TOKENS:], skip_special_tokens=True)
                    self._done[row] = any(stop in tail for stop in self._stop)
        return torch.tensor(self._done, dtype=torch.bool, device=input_ids.device)


def _factory(path: Path | None, settings: ModelSettings) -> TransformersBackend:
    if path is None and settings.model_name:
        return TransformersBackend(settings.model_name, None, settings)
    if path is None:
        from ncpu.models import EMBEDDED_DEFAULT, ensure_model

        path = ensure_model(EMBEDDED_DEFAULT)
    if path.is_dir():
        return TransformersBackend(str(path), None, settings)
    if not path.is_file():
        raise BackendError(f"model not found: {path}")
    if path.suffix != ".gguf":
        raise BackendError(f"the transformers backend takes a model directory or a .gguf file, got {path}")
    return TransformersBackend(str(path.parent), path.name, settings)


register_backend("transformers", _factory)
