"""The batch context on llama.cpp: ``n`` samples of one prompt decoded together, one batch per step, and greedy answers.

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

The batch's context is kept for the next call, and greedy answers can decode in it too (one sequence,
``BatchedSampler.greedy``, with ``ModelSettings.greedy_in_batch``): the cascade's greedy answer, then agreement's or best-of-N's samples of the
same prompt at several temperatures, and a prompt of 300 tokens costs about as long to evaluate on 2 cores
as 35 new tokens. When the next call has the same prompt, its cells are kept; with ``keep_prefixes`` (on
with ``greedy_in_batch``) so are those of the start a different prompt shares with it (a retry's prompt
adds the failing check to the question), and only the rest is evaluated. The prompt's last token is always decoded alone, in a fresh context too, so that the first
logits, and hence the samples of a seed, do not depend on whether the whole prompt was kept.

A greedy step can also check a draft: tokens copied from where the last few occurred before
(``ncpu.backends.lookup``), decoded in the same batch and kept while they equal the model's choices.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ncpu.backends.base import BackendError, Generation, GenerationRequest, apply_stops, past
from ncpu.backends.lookup import PromptLookup
from ncpu.cancel import Cancelled, CancelToken

_PIECE_BYTES = 256
BATCH_TOKENS = 512
"""Tokens per ``llama_decode`` of a prompt (a longer one is decoded in parts)."""
KEPT_SEQUENCES = 4
"""Sequences a new kept context has room for at least: best-of-N's samples per temperature."""


def _context_size(tokens: list[int], request: GenerationRequest, n: int) -> int:
    """Cells for the prompt and ``n`` answers of ``request.max_tokens`` each."""
    return len(tokens) + n * (request.max_tokens + 1) + 16


def _fill(batch: Any, tokens: list[int], start: int, logits: list[bool]) -> None:
    """Put ``tokens`` into ``batch`` for sequence 0 from position ``start``, with logits for the rows asked."""
    batch.n_tokens = len(tokens)
    for row, token in enumerate(tokens):
        batch.token[row] = token
        batch.pos[row] = start + row
        batch.n_seq_id[row] = 1
        batch.seq_id[row][0] = 0
        batch.logits[row] = logits[row]


def _common_prefix(first: list[int], second: list[int]) -> int:
    """How many leading tokens the two have in common."""
    for index, (a, b) in enumerate(zip(first, second, strict=False)):
        if a != b:
            return index
    return min(len(first), len(second))


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
    capacity: int
    """The most tokens one ``llama_decode`` of this context takes (its batch's size)."""


class BatchedSampler:
    """Decodes ``n`` samples of one prompt in one batch on a loaded ``llama_cpp.Llama``.

    One instance per model: it keeps the last batch context (see the module's docstring) until a call with
    another prompt, or ``close``. A call made while another batch is running gets a context of its own.
    """

    def __init__(self, llama: Any, threads: int, *, keep_prefixes: bool = False) -> None:
        import llama_cpp

        self._raw = llama_cpp
        self._llama = llama
        self._model = llama._model.model
        self._vocab = llama_cpp.llama_model_get_vocab(self._model)
        self._threads = threads
        self._kept: _Kept | None = None
        self._keep_prefixes = keep_prefixes
        """Keep the common start of a prompt that differs from the kept one (else only a whole prompt is kept,
        so that no sample depends on how its prompt was split into batches)."""
        self._busy = threading.Lock()
        self.prompts_reused = 0
        """How many calls found their whole prompt's cells kept (for tests and benchmarks)."""
        self.tokens_reused = 0
        """How many prompt tokens were not evaluated again because their cells were kept."""
        self.drafts_taken = 0
        """How many drafted tokens greedy answers kept (each one a token without a step of its own)."""

    def sample(
        self, prompt: str, request: GenerationRequest, n: int, cancel: CancelToken | None = None
    ) -> Iterator[Generation]:
        """The ``n`` samples, each yielded when it finishes; raises ``BackendError`` if the batch cannot start."""
        tokens = self._tokenize(prompt)
        if not self._busy.acquire(blocking=False):  # another batch holds the kept context
            yield from self._run(self._open(tokens, request, n), tokens, request, n, cancel, keep=False)
            return
        try:
            yield from self._run(self._prepare(tokens, request, n), tokens, request, n, cancel, keep=True)
        finally:
            self._busy.release()

    def greedy(
        self, prompt: str, request: GenerationRequest, cancel: CancelToken | None = None, *, draft: int = 0
    ) -> Generation:
        """The greedy answer, with up to ``draft`` tokens a step drafted by prompt lookup and checked in one batch.

        Drafted tokens are kept only where they equal the model's own greedy choice, so the text is the greedy
        answer however many are drafted (``0``: one token a step), up to rounding: llama.cpp's CPU kernels do not
        give bit-identical logits for a token decoded alone and in a batch, which can tip a near tie. The
        prompt's cells stay in the kept context for the samples of the same prompt that often follow. Raises
        ``BackendError`` if the context cannot be made or a step cannot be decoded.
        """
        tokens = self._tokenize(prompt)
        if not self._busy.acquire(blocking=False):
            kept = self._open(tokens, request, 1)
            try:
                return self._greedy_steps(kept, tokens, request, cancel, draft)
            finally:
                self._free(kept)
        try:
            kept = self._prepare(tokens, request, 1)
            try:
                generation = self._greedy_steps(kept, tokens, request, cancel, draft)
            except Cancelled:  # stopped between two steps: the cells are in a known state
                self._kept = kept
                raise
            except BaseException:  # a failed decode: its cells are in no known state
                self._free(kept)
                raise
            self._kept = kept
            return generation
        finally:
            self._busy.release()

    def _tokenize(self, prompt: str) -> list[int]:
        tokens: list[int] = self._llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        if not tokens:
            raise BackendError("empty prompt")
        return tokens

    def _prepare(self, tokens: list[int], request: GenerationRequest, n: int) -> _Kept:
        """The kept context with ``tokens`` (all but the last) in sequence 0, reusing the prefix it shares.

        A context that is too small for ``n`` sequences of this request is replaced by one that is large enough
        for ``KEPT_SEQUENCES`` of them, so that a greedy answer's context also serves the samples after it.
        """
        kept, self._kept = self._kept, None
        common = 0 if kept is None else min(_common_prefix(kept.tokens, tokens), len(tokens) - 1)
        if not self._keep_prefixes and common < len(tokens) - 1:
            common = 0
        if kept is not None and common and n <= kept.n_seq and _context_size(tokens, request, n) <= kept.n_ctx:
            self._clear(kept, common)
            try:
                self._decode(kept, tokens[common:-1], common, logits=False)
            except BackendError:
                self._free(kept)
                raise
            if common == len(tokens) - 1:
                self.prompts_reused += 1
            self.tokens_reused += common
            kept.tokens = tokens
            return kept
        if kept is not None:
            self._free(kept)
        return self._open(tokens, request, max(n, KEPT_SEQUENCES))

    def close(self) -> None:
        """Free the kept context."""
        with self._busy:
            if self._kept is not None:
                self._free(self._kept)
                self._kept = None

    def _open(self, tokens: list[int], request: GenerationRequest, n: int) -> _Kept:
        """A context for ``n`` sequences with the prompt's cells (all but its last token) in sequence 0.

        It has room for a prompt twice as long as this one, so that a retry's longer prompt fits it too.
        """
        raw = self._raw
        n_ctx = _context_size(tokens, request, n) + len(tokens)
        capacity = max(len(tokens), n, BATCH_TOKENS)
        params = raw.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = capacity
        params.n_ubatch = min(BATCH_TOKENS, capacity)
        params.n_seq_max = n
        params.kv_unified = True
        params.n_threads = self._threads
        params.n_threads_batch = self._threads
        params.no_perf = True
        context = raw.llama_init_from_model(self._model, params)
        if not context:
            raise BackendError(f"llama.cpp could not make a context for {n} sequences of {n_ctx} tokens")
        kept = _Kept(context, raw.llama_batch_init(capacity, 0, n), tokens, n_ctx, n, capacity)
        try:
            self._decode(kept, tokens[:-1], 0, logits=False)
        except BackendError:
            self._free(kept)
            raise
        return kept

    def _clear(self, kept: _Kept, keep_cells: int) -> None:
        """Drop every sample's cells, and sequence 0's from ``keep_cells`` on."""
        memory = self._raw.llama_get_memory(kept.context)
        for seq in range(1, kept.n_seq):
            self._raw.llama_memory_seq_rm(memory, seq, -1, -1)
        self._raw.llama_memory_seq_rm(memory, 0, keep_cells, -1)

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
        """Decode ``tokens`` into sequence 0 from ``start``, a batch at a time; logits for the last one if asked."""
        raw = self._raw
        batch = kept.batch
        for offset in range(0, len(tokens), kept.capacity):
            chunk = tokens[offset : offset + kept.capacity]
            last = offset + len(chunk) == len(tokens)
            _fill(batch, chunk, start + offset, [False] * (len(chunk) - 1) + [logits and last])
            if raw.llama_decode(kept.context, batch) != 0:
                raise BackendError("llama.cpp could not evaluate the prompt")

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

    def _greedy_steps(
        self, kept: _Kept, tokens: list[int], request: GenerationRequest, cancel: CancelToken | None, draft: int
    ) -> Generation:
        """Decode the greedy answer in sequence 0 after ``tokens``, checking each step's draft in the same batch.

        Each step decodes the last chosen token and the draft that follows it, with logits for every row; row
        ``i``'s greedy choice is the token after row ``i``. The choices are taken while they equal the drafted
        tokens; the cells of the drafted tokens past the first difference are removed.
        """
        import numpy as np

        raw = self._raw
        started = time.perf_counter()
        n_vocab = raw.llama_vocab_n_tokens(self._vocab)
        lookup = PromptLookup(tokens) if draft > 0 else None  # indexing the prompt is for drafts only
        memory = raw.llama_get_memory(kept.context)
        batch = kept.batch
        pieces: list[bytes] = []
        produced = 0
        position = len(tokens) - 1
        last = tokens[-1]
        while True:
            if cancel is not None and cancel.cancelled:
                raise Cancelled()
            room = min(draft, request.max_tokens - produced - 1, kept.capacity - 1, kept.n_ctx - position - 2)
            drafted = lookup.draft(room) if lookup is not None else []
            rows = [last, *drafted]
            _fill(batch, rows, position, [True] * len(rows))
            if raw.llama_decode(kept.context, batch) != 0:
                raise BackendError("llama.cpp failed to decode a greedy step")
            finished = False
            for row in range(len(rows)):
                logits = np.ctypeslib.as_array(raw.llama_get_logits_ith(kept.context, row), shape=(n_vocab,))
                chosen = int(logits.argmax())
                if raw.llama_vocab_is_eog(self._vocab, chosen):
                    finished = True
                    break
                pieces.append(self._piece(chosen))
                produced += 1
                if lookup is not None:
                    lookup.append(chosen)
                text, stopped = apply_stops(b"".join(pieces).decode("utf-8", errors="ignore"), request.stop)
                if stopped or produced >= request.max_tokens or past(request.deadline):
                    finished = True
                    break
                last = chosen
                if row == len(drafted) or drafted[row] != chosen:  # the draft ends here, or is wrong from here
                    break
                self.drafts_taken += 1
            if finished:
                text, _ = apply_stops(b"".join(pieces).decode("utf-8", errors="ignore"), request.stop)
                return Generation(text=text, tokens=max(1, produced), seconds=time.perf_counter() - started)
            position += row + 1
            raw.llama_memory_seq_rm(memory, 0, position, -1)  # the drafted cells after the last one taken
