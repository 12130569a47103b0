"""Batched sampling on llama.cpp: ``n`` samples of one prompt decoded together, one batch per step.

llama-cpp-python's ``Llama`` decodes one sequence at a time. llama.cpp itself decodes many sequences that
share a prompt in one batch (its ``batched`` example, ``llama-server -np N``): the prompt is evaluated
once, its KV cells are copied to ``n`` sequences (``llama_memory_seq_cp``), and each step decodes one token
of every unfinished sequence in one ``llama_decode``. On a CPU a step of 8 tokens costs far less than 8
steps of one (the weights are read once per step), which is where the speed comes from.

The batch runs in a context of its own on the already loaded model (``n_seq_max = n``, one unified KV
cache), so the single-sequence context of ``Llama`` and its prompt cache are left alone. Each sequence
has its own sampler chain (top-k 40, top-p 0.95, min-p 0.05, temperature, then a seeded draw: the
settings the one-at-a-time path uses), its own stop strings and token budget, and leaves the batch when
it finishes; finished samples are handed out in the order they finish. A cancel or the deadline stops
the loop between two steps.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ncpu.backends.base import BackendError, Generation, GenerationRequest, apply_stops, past
from ncpu.cancel import Cancelled, CancelToken

_PIECE_BYTES = 256


@dataclass
class _Sequence:
    """One sample in the batch."""

    index: int
    sampler: Any
    position: int
    pieces: list[bytes] = field(default_factory=list)
    tokens: int = 0
    logits_row: int = -1
    done: bool = False

    def text(self) -> str:
        return b"".join(self.pieces).decode("utf-8", errors="ignore")


class BatchedSampler:
    """Decodes ``n`` samples of one prompt in one batch on a loaded ``llama_cpp.Llama``."""

    def __init__(self, llama: Any, threads: int) -> None:
        import llama_cpp

        self._raw = llama_cpp
        self._llama = llama
        self._model = llama._model.model
        self._vocab = llama_cpp.llama_model_get_vocab(self._model)
        self._threads = threads

    def sample(
        self, prompt: str, request: GenerationRequest, n: int, cancel: CancelToken | None = None
    ) -> Iterator[Generation]:
        """The ``n`` samples, each yielded when it finishes; raises ``BackendError`` if the batch cannot start."""
        raw = self._raw
        tokens = self._llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        if not tokens:
            raise BackendError("empty prompt")
        started = time.perf_counter()
        n_ctx = len(tokens) + n * (request.max_tokens + 1) + 16
        params = raw.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = max(len(tokens), n)
        params.n_ubatch = min(512, params.n_batch)
        params.n_seq_max = n
        params.kv_unified = True
        params.n_threads = self._threads
        params.n_threads_batch = self._threads
        params.no_perf = True
        context = raw.llama_init_from_model(self._model, params)
        if not context:
            raise BackendError(f"llama.cpp could not make a context for {n} sequences of {n_ctx} tokens")
        batch = raw.llama_batch_init(max(len(tokens), n), 0, n)
        sequences: list[_Sequence] = []
        try:
            self._decode_prompt(context, batch, tokens, n)
            memory = raw.llama_get_memory(context)
            for seq in range(1, n):
                raw.llama_memory_seq_cp(memory, 0, seq, -1, -1)
            seed = request.seed if request.seed else int(time.time_ns() & 0x7FFFFFFF)
            sequences = [_Sequence(i, self._sampler(request.temperature, seed + i), len(tokens)) for i in range(n)]
            for sequence in sequences:
                sequence.logits_row = len(tokens) - 1
            yield from self._steps(context, batch, sequences, request, cancel, started)
        finally:
            for sequence in sequences:
                raw.llama_sampler_free(sequence.sampler)
            raw.llama_batch_free(batch)
            raw.llama_free(context)

    def _sampler(self, temperature: float, seed: int) -> Any:
        raw = self._raw
        chain = raw.llama_sampler_chain_init(raw.llama_sampler_chain_default_params())
        for stage in (
            raw.llama_sampler_init_top_k(40),
            raw.llama_sampler_init_top_p(0.95, 1),
            raw.llama_sampler_init_min_p(0.05, 1),
            raw.llama_sampler_init_temp(temperature),
            raw.llama_sampler_init_dist(seed & 0xFFFFFFFF),
        ):
            raw.llama_sampler_chain_add(chain, stage)
        return chain

    def _decode_prompt(self, context: Any, batch: Any, tokens: list[int], n: int) -> None:
        raw = self._raw
        batch.n_tokens = len(tokens)
        for position, token in enumerate(tokens):
            batch.token[position] = token
            batch.pos[position] = position
            batch.n_seq_id[position] = 1
            batch.seq_id[position][0] = 0
            batch.logits[position] = position == len(tokens) - 1
        if raw.llama_decode(context, batch) != 0:
            raise BackendError("llama.cpp could not evaluate the prompt for batched sampling")

    def _piece(self, token: int) -> bytes:
        buffer = ctypes.create_string_buffer(_PIECE_BYTES)
        length = self._raw.llama_token_to_piece(self._vocab, token, buffer, _PIECE_BYTES, 0, False)
        return buffer.raw[: max(0, length)]

    def _steps(
        self,
        context: Any,
        batch: Any,
        sequences: list[_Sequence],
        request: GenerationRequest,
        cancel: CancelToken | None,
        started: float,
    ) -> Iterator[Generation]:
        raw = self._raw
        active = list(sequences)
        last = started
        while active:
            if cancel is not None and cancel.cancelled:
                raise Cancelled()
            finished: list[_Sequence] = []
            batch.n_tokens = 0
            for sequence in active:
                token = raw.llama_sampler_sample(sequence.sampler, context, sequence.logits_row)
                raw.llama_sampler_accept(sequence.sampler, token)
                if raw.llama_vocab_is_eog(self._vocab, token):
                    finished.append(sequence)
                    continue
                sequence.pieces.append(self._piece(token))
                sequence.tokens += 1
                text, stopped = apply_stops(sequence.text(), request.stop)
                if stopped or sequence.tokens >= request.max_tokens or past(request.deadline):
                    finished.append(sequence)
                    continue
                row = batch.n_tokens
                batch.token[row] = token
                batch.pos[row] = sequence.position
                batch.n_seq_id[row] = 1
                batch.seq_id[row][0] = sequence.index
                batch.logits[row] = True
                sequence.logits_row = row
                sequence.position += 1
                batch.n_tokens += 1
            for sequence in finished:
                active.remove(sequence)
                sequence.done = True
                text, _ = apply_stops(sequence.text(), request.stop)
                now = time.perf_counter()
                yield Generation(
                    text=text, tokens=max(1, sequence.tokens), seconds=now - last
                )  # the batch's time, split
                last = now
            if active and raw.llama_decode(context, batch) != 0:
                raise BackendError("llama.cpp failed to decode a batch step")
