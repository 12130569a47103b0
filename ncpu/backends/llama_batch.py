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
it finishes; finished samples are handed out in the order they finish, so the caller verifies each
while the rest are still to be decoded, and stops them all by closing the generator. A cancel or the
deadline stops the loop between two steps.

The batch's context is kept for the next call: best-of-N asks for samples of one prompt at several
temperatures in turn, and a prompt of 300 tokens costs about as long to evaluate on 2 cores as 60 new
tokens. When the next call has the same prompt (and fits), the samples' cells are removed and the
prompt's are kept. The prompt's last token is always decoded alone, in a fresh context too, so that the
first logits, and hence the samples of a seed, do not depend on whether the context was kept.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ncpu.backends.base import BackendError, Generation, GenerationRequest, apply_stops, past
from ncpu.cancel import Cancelled, CancelToken

_PIECE_BYTES = 256


def _context_size(tokens: list[int], request: GenerationRequest, n: int) -> int:
    """Cells for the prompt and ``n`` answers of ``request.max_tokens`` each."""
    return len(tokens) + n * (request.max_tokens + 1) + 16


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


@dataclass
class _Kept:
    """A batch context left from the last call, with the prompt whose cells it still holds."""

    context: Any
    batch: Any
    tokens: list[int]
    n_ctx: int
    n_seq: int


class BatchedSampler:
    """Decodes ``n`` samples of one prompt in one batch on a loaded ``llama_cpp.Llama``.

    One instance per model: it keeps the last batch context (see the module's docstring) until a call with
    another prompt, or ``close``. A call made while another batch is running gets a context of its own.
    """

    def __init__(self, llama: Any, threads: int) -> None:
        import llama_cpp

        self._raw = llama_cpp
        self._llama = llama
        self._model = llama._model.model
        self._vocab = llama_cpp.llama_model_get_vocab(self._model)
        self._threads = threads
        self._kept: _Kept | None = None
        self._busy = threading.Lock()
        self.prompts_reused = 0
        """How many calls found their prompt's cells kept (for tests and benchmarks)."""

    def sample(
        self, prompt: str, request: GenerationRequest, n: int, cancel: CancelToken | None = None
    ) -> Iterator[Generation]:
        """The ``n`` samples, each yielded when it finishes; raises ``BackendError`` if the batch cannot start."""
        tokens = self._llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        if not tokens:
            raise BackendError("empty prompt")
        if not self._busy.acquire(blocking=False):  # another batch holds the kept context
            yield from self._run(self._open(tokens, request, n), tokens, request, n, cancel, keep=False)
            return
        try:
            kept, self._kept = self._kept, None
            if kept is not None and self._fits(kept, tokens, request, n):
                self.prompts_reused += 1
                self._clear_samples(kept)
            else:
                if kept is not None:
                    self._free(kept)
                kept = self._open(tokens, request, n)
            yield from self._run(kept, tokens, request, n, cancel, keep=True)
        finally:
            self._busy.release()

    def close(self) -> None:
        """Free the kept context."""
        with self._busy:
            if self._kept is not None:
                self._free(self._kept)
                self._kept = None

    def _fits(self, kept: _Kept, tokens: list[int], request: GenerationRequest, n: int) -> bool:
        return kept.tokens == tokens and n <= kept.n_seq and _context_size(tokens, request, n) <= kept.n_ctx

    def _open(self, tokens: list[int], request: GenerationRequest, n: int) -> _Kept:
        """A context for ``n`` sequences with the prompt's cells (all but its last token) in sequence 0."""
        raw = self._raw
        n_ctx = _context_size(tokens, request, n)
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
        kept = _Kept(context, raw.llama_batch_init(max(len(tokens), n), 0, n), tokens, n_ctx, n)
        try:
            if len(tokens) > 1:
                self._decode(kept, tokens[:-1], 0, logits=False)
        except BackendError:
            self._free(kept)
            raise
        return kept

    def _clear_samples(self, kept: _Kept) -> None:
        """Drop the last call's samples, and the prompt's last token, which is decoded again."""
        memory = self._raw.llama_get_memory(kept.context)
        for seq in range(1, kept.n_seq):
            self._raw.llama_memory_seq_rm(memory, seq, -1, -1)
        self._raw.llama_memory_seq_rm(memory, 0, len(kept.tokens) - 1, -1)

    def _run(
        self,
        kept: _Kept,
        tokens: list[int],
        request: GenerationRequest,
        n: int,
        cancel: CancelToken | None,
        *,
        keep: bool,
    ) -> Iterator[Generation]:
        raw = self._raw
        started = time.perf_counter()
        sequences: list[_Sequence] = []
        reusable = False
        try:
            self._decode(kept, tokens[-1:], len(tokens) - 1, logits=True)
            memory = raw.llama_get_memory(kept.context)
            for seq in range(1, n):
                raw.llama_memory_seq_cp(memory, 0, seq, -1, -1)
            seed = request.seed if request.seed else int(time.time_ns() & 0x7FFFFFFF)
            sequences = [_Sequence(i, self._sampler(request.temperature, seed + i), len(tokens)) for i in range(n)]
            for sequence in sequences:
                sequence.logits_row = 0
            yield from self._steps(kept.context, kept.batch, sequences, request, cancel, started)
            reusable = True
        except (GeneratorExit, Cancelled):  # the caller stopped early, or the solve was cancelled
            reusable = True
            raise
        finally:
            for sequence in sequences:
                raw.llama_sampler_free(sequence.sampler)
            if keep and reusable:  # not after a failed decode: its cells are in no known state
                self._kept = kept
            else:
                self._free(kept)

    def _free(self, kept: _Kept) -> None:
        self._raw.llama_batch_free(kept.batch)
        self._raw.llama_free(kept.context)

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

    def _decode(self, kept: _Kept, tokens: list[int], start: int, *, logits: bool) -> None:
        """Decode ``tokens`` into sequence 0 from position ``start``; logits for the last one if asked."""
        raw = self._raw
        batch = kept.batch
        batch.n_tokens = len(tokens)
        for row, token in enumerate(tokens):
            batch.token[row] = token
            batch.pos[row] = start + row
            batch.n_seq_id[row] = 1
            batch.seq_id[row][0] = 0
            batch.logits[row] = logits and row == len(tokens) - 1
        if raw.llama_decode(kept.context, batch) != 0:
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
