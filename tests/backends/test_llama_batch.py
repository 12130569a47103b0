"""Batched sampling on the real model: n samples in one batch per step, reproducible, bounded, stoppable."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import pytest

from ncpu.backends.base import ChatMessage, GenerationRequest
from ncpu.backends.llama_cpp import LlamaCppBackend
from ncpu.cancel import Cancelled, CancelToken
from ncpu.config import ModelSettings

pytestmark = pytest.mark.real_model

REQUEST = GenerationRequest(
    messages=(ChatMessage("user", "Write a Python function that returns the square of a number."),),
    temperature=0.8,
    max_tokens=24,
    seed=11,
)


@pytest.fixture(scope="module")
def backend(embedded_gguf: Path):
    created = LlamaCppBackend(embedded_gguf, ModelSettings(n_ctx=2048))
    yield created
    created.close()


def test_a_batch_gives_n_samples_reproducibly_within_the_token_limit(backend: LlamaCppBackend) -> None:
    first = [g.text for g in backend.sample(REQUEST, 4)]
    again = [g.text for g in backend.sample(REQUEST, 4)]
    assert len(first) == 4 and first == again
    assert len(set(first)) > 1  # each sequence has its own seeded sampler
    assert all(0 < g.tokens <= 24 for g in backend.sample(REQUEST, 3))


def test_stop_strings_end_each_sequence(backend: LlamaCppBackend) -> None:
    stopped = dataclasses.replace(REQUEST, stop=("def",), max_tokens=64)
    assert all("def" not in g.text for g in backend.sample(stopped, 3))


def test_a_cancel_and_a_deadline_stop_the_batch_between_steps(backend: LlamaCppBackend) -> None:
    long = dataclasses.replace(REQUEST, max_tokens=400, messages=(ChatMessage("user", "Count from 1 to 500."),))
    cancel = CancelToken()
    threading.Timer(0.5, cancel.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        list(backend.sample(long, 4, cancel))
    assert time.monotonic() - started < 5.0
    started = time.monotonic()
    samples = list(backend.sample(dataclasses.replace(long, deadline=started + 1.0), 4))
    assert len(samples) == 4 and time.monotonic() - started < 5.0 and all(g.tokens < 400 for g in samples)


def test_sequential_sampling_is_still_there_when_asked_for(embedded_gguf: Path) -> None:
    sequential = LlamaCppBackend(embedded_gguf, ModelSettings(n_ctx=2048, batch_sampling=False))
    try:
        assert len(list(sequential.sample(REQUEST, 2))) == 2
    finally:
        sequential.close()
