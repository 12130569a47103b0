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
    created = LlamaCppBackend(embedded_gguf, ModelSettings(n_ctx=2048, greedy_in_batch=True))
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


def test_the_prompt_is_evaluated_once_for_calls_in_a_row_and_the_samples_do_not_change(
    backend: LlamaCppBackend,
) -> None:
    from ncpu.backends.llama_batch import BatchedSampler

    other = dataclasses.replace(REQUEST, messages=(ChatMessage("user", "Write a function that reverses a list."),))
    sampler = backend._batched()
    list(backend.sample(other, 2))  # the kept context now holds another prompt
    reused = sampler.prompts_reused
    fresh = [g.text for g in backend.sample(REQUEST, 3)]
    assert sampler.prompts_reused == reused  # a new prompt: a new context
    cooler = dataclasses.replace(REQUEST, temperature=0.4)
    cooler_kept = [g.text for g in backend.sample(cooler, 3)]
    assert sampler.prompts_reused == reused + 1
    early = backend.sample(REQUEST, 3)
    next(early)
    early.close()  # stopped after one sample: the context is still kept
    assert [g.text for g in backend.sample(REQUEST, 3)] == fresh
    assert sampler.prompts_reused == reused + 3
    alone = BatchedSampler(backend._llama, 2)
    try:  # a sampler that never kept anything gives the same samples
        assert [g.text for g in alone.sample(backend.render_prompt(cooler), cooler, 3)] == cooler_kept
    finally:
        alone.close()


def test_the_cascade_prompt_gets_the_system_prompt_the_model_was_tuned_with(backend: LlamaCppBackend) -> None:
    from extraction import find_stubs
    from ncpu.cascade.prompts import build_request
    from ncpu.problem import Problem

    source = 'def double(x: int) -> int:\n    """>>> double(2)\n    4\n    """\n'
    problem = Problem.from_source(source, find_stubs(source)[0])
    rendered = backend.render_prompt(build_request(problem, temperature=0.0, max_tokens=8))
    assert rendered.startswith(
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nComplete the following Python function."
    )
    assert rendered.endswith("<|im_start|>assistant\n```python\n" + source)


def test_a_batch_running_while_another_runs_gets_a_context_of_its_own(backend: LlamaCppBackend) -> None:
    outer = backend.sample(REQUEST, 2)
    first = next(outer)
    inner = [g.text for g in backend.sample(REQUEST, 2)]  # the kept context is busy: a context of its own
    rest = list(outer)
    assert inner == [first.text, *(g.text for g in rest)] == [g.text for g in backend.sample(REQUEST, 2)]


GREEDY = dataclasses.replace(REQUEST, temperature=0.0, max_tokens=32)


def test_a_greedy_answer_leaves_its_prompt_for_the_samples_after_it(backend: LlamaCppBackend) -> None:
    from ncpu.backends.llama_batch import BatchedSampler

    sampler = backend._batched()
    text = backend.generate(GREEDY).text
    assert text and backend.generate(GREEDY).text == text
    reused = sampler.prompts_reused
    samples = [g.text for g in backend.sample(REQUEST, 3)]
    assert sampler.prompts_reused == reused + 1  # the greedy answer's prompt was kept
    alone = BatchedSampler(backend._llama, 2)
    try:  # and the samples are those of a sampler that never kept anything
        assert [g.text for g in alone.sample(backend.render_prompt(REQUEST), REQUEST, 3)] == samples
    finally:
        alone.close()


def test_a_prompt_that_starts_the_same_way_reuses_the_cells_of_that_start(backend: LlamaCppBackend) -> None:
    sampler = backend._batched()
    backend.generate(GREEDY)
    question = GREEDY.messages[0].content + " Give it a docstring."
    longer = dataclasses.replace(GREEDY, messages=(ChatMessage("user", question),))
    reused, whole = sampler.tokens_reused, sampler.prompts_reused
    assert backend.generate(longer).text
    assert sampler.tokens_reused - reused >= 20 and sampler.prompts_reused == whole


def test_a_greedy_answer_with_drafts_stays_within_its_limits(embedded_gguf: Path) -> None:
    drafting = LlamaCppBackend(embedded_gguf, ModelSettings(n_ctx=2048, greedy_in_batch=True, draft_tokens=6))
    line = "the quick brown fox jumps over the lazy dog, " * 3
    copy = dataclasses.replace(
        GREEDY, messages=(ChatMessage("user", f"Repeat this text exactly, once: {line}"),), max_tokens=40
    )
    try:
        sampler = drafting._batched()
        generation = drafting.generate(copy)
        assert 0 < generation.tokens <= 40 and "quick brown fox" in generation.text
        assert sampler.drafts_taken > 0  # the model took drafted tokens: several tokens in a step
        stopped = drafting.generate(dataclasses.replace(copy, stop=("lazy",)))
        assert "lazy" not in stopped.text and "quick" in stopped.text
    finally:
        drafting.close()
