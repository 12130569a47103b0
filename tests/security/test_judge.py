"""The judge is strict: an int never equals a float unless the example (or a ``-> float``) says float."""

from __future__ import annotations

import pytest

from extraction.check import Check
from ncpu.sandbox import Sandbox

LOOSE = [  # (what the candidate returns, the example's expected literal): each must FAIL
    pytest.param("10000009.0", "10000000", id="float-near-a-big-int"),
    pytest.param("4.0", "4", id="float-for-an-int"),
    pytest.param("True", "1", id="bool-for-an-int"),
    pytest.param("1", "True", id="int-for-a-bool"),
    pytest.param("[1.0, 2]", "[1, 2]", id="float-inside-a-list"),
    pytest.param("{'a': 1.0}", "{'a': 1}", id="float-inside-a-dict"),
    pytest.param("(1, 2)", "[1, 2]", id="tuple-for-a-list"),
    pytest.param("__import__('decimal').Decimal('4.0000001')", "4", id="decimal-near-an-int"),
    pytest.param("2.0000001", "2", id="float-within-tolerance-of-an-int"),
    pytest.param("10 ** 400", "0.5", id="int-too-large-for-a-float"),
    pytest.param("float('nan')", "1.0", id="nan-for-a-float"),
    pytest.param("type('I', (int,), {'__eq__': lambda s, o: True})(5)", "6", id="int-subclass-lying-eq"),
    pytest.param("'4'", "4", id="str-for-an-int"),
    pytest.param("{1.0, 2}", "{1, 2}", id="float-inside-a-set"),
    pytest.param("{1.0: 'a'}", "{1: 'a'}", id="float-dict-key"),
    pytest.param("{(1, 2.0)}", "{(1, 2)}", id="float-in-a-tuple-in-a-set"),
]
STRICT_BUT_FAIR = [  # each must PASS
    pytest.param("0.1 + 0.2", "0.3", id="float-example-gets-a-tolerance"),
    pytest.param("2", "2.0", id="int-where-the-example-is-a-float"),
    pytest.param("[0.1 + 0.2, 1]", "[0.3, 1]", id="float-tolerance-inside-a-list"),
    pytest.param("__import__('fractions').Fraction(8, 2)", "4", id="exact-fraction"),
    pytest.param("{2, 1}", "{1, 2}", id="sets-in-any-order"),
    pytest.param("{'b': [2], 'a': (1,)}", "{'a': (1,), 'b': [2]}", id="dicts-in-any-order"),
]


@pytest.mark.parametrize(("returned", "expected"), LOOSE)
def test_no_loose_equality(bare: Sandbox, returned: str, expected: str) -> None:
    verdict = bare.verify(f"def f(x):\n    return {returned}\n", [Check("doctest", "f(1)", expected)])
    assert not verdict.ok, verdict
    # Judged, not crashed: the candidate ran, returned a value, and the judge found it unequal.
    assert verdict.error is None, verdict
    assert [(r.passed, r.error, r.actual is not None) for r in verdict.results] == [(False, None, True)], verdict


@pytest.mark.parametrize(("returned", "expected"), STRICT_BUT_FAIR)
def test_tolerance_where_the_example_says_float(bare: Sandbox, returned: str, expected: str) -> None:
    assert bare.verify(f"def f(x):\n    return {returned}\n", [Check("doctest", "f(1)", expected)]).ok


def test_a_float_annotation_gives_integer_examples_a_tolerance(bare: Sandbox) -> None:
    checks = [Check("doctest", "half(4)", "2")]
    assert bare.verify("def half(x) -> float:\n    return x / 2 + 1e-9\n", checks).ok
    assert not bare.verify("def half(x):\n    return x / 2 + 1e-9\n", checks).ok
    assert not bare.verify("def half(x) -> float:\n    return x / 2 + 0.5\n", checks).ok
