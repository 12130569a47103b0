from __future__ import annotations

import time

import pytest

from extraction.check import Check, CompareMode
from ncpu.cascade.template_examples import examples_from_checks
from ncpu.cascade.templates import evidence_needed, template_bodies
from ncpu.sandbox.harness import run_checks

Pairs = list[tuple[str, str]]


def _checks(*pairs: tuple[str, str], mode: CompareMode = "value") -> list[Check]:
    return [Check("doctest", call, expected, mode) for call, expected in pairs]


def _program(name: str, params: tuple[str, ...], body: str) -> str:
    return f"def {name}({', '.join(params)}):\n    {body}"


def _top(params: list[str], *pairs: tuple[str, str], budget: float = 2.0) -> str:
    # A generous budget: these tests are about which body the search finds, and in the whole suite on 2
    # cores 0.3 s once found nothing (the search stops as soon as it has its answer).
    bodies = template_bodies(params, _checks(*pairs), time_budget_s=budget)
    assert bodies, "no body offered"
    return bodies[0]


def test_add_is_found_first() -> None:
    assert _top(["a", "b"], ("add(1, 2)", "3"), ("add(5, 7)", "12")) == "return a + b\n"


def test_identity() -> None:
    assert _top(["x"], ("same(1)", "1"), ("same('a')", "'a'")) == "return x\n"


def test_is_even() -> None:
    pairs = [("is_even(2)", "True"), ("is_even(3)", "False"), ("is_even(10)", "True"), ("is_even(7)", "False")]
    assert _top(["n"], *pairs, ("is_even(0)", "True")) == "return n % 2 == 0\n"
    # Four yes/no answers are too few bits to trust any predicate.
    assert template_bodies(["n"], _checks(*pairs)) == []


def test_len() -> None:
    assert _top(["s"], ("size('abc')", "3"), ("size('')", "0")) == "return len(s)\n"


def test_reverse_string() -> None:
    assert _top(["s"], ("rev('abc')", "'cba'"), ("rev('hello')", "'olleh'")) == "return s[::-1]\n"


def test_max_of_list() -> None:
    assert _top(["xs"], ("biggest([1, 5, 3])", "5"), ("biggest([-2, -7])", "-2")) == "return max(xs)\n"


def test_squares_comprehension() -> None:
    pairs = [("squares([1, 2, 3])", "[1, 4, 9]"), ("squares([])", "[]"), ("squares([4])", "[16]")]
    assert _top(["xs"], *pairs) == "return [x ** 2 for x in xs]\n"


def test_filtered_sum_and_parameter_bound() -> None:
    pairs = [("f([1, 2, 3, 4])", "6"), ("f([5, 7])", "0"), ("f([2])", "2")]
    assert _top(["xs"], *pairs) == "return sum([x for x in xs if x % 2 == 0])\n"
    above = [("above([1, 5, 3], 2)", "[5, 3]"), ("above([4, 0, 7], 3)", "[4, 7]"), ("above([0, 9], 10)", "[]")]
    assert _top(["xs", "t"], *above, ("above([2, 8, 1], 1)", "[2, 8]")) == "return [x for x in xs if x > t]\n"


def test_loop_variable_avoids_parameter_names() -> None:
    pairs = [("f([1, 2], 3)", "[3, 6]"), ("f([4], 2)", "[8]"), ("f([], 5)", "[]")]
    assert _top(["x", "k"], *pairs) == "return [v * k for v in x]\n"


def test_floats_compare_with_tolerance() -> None:
    assert _top(["x"], ("half(3)", "1.5"), ("half(4)", "2.0"), ("half(1)", "0.5")) == "return x / 2\n"
    pairs = [("mean([1, 2, 3, 4])", "2.5"), ("mean([5, 7])", "6.0"), ("mean([2])", "2.0")]
    # Five nodes: a generous budget keeps the test independent of the machine's load.
    assert _top(["xs"], *pairs, budget=2.0) == "return sum(xs) / len(xs)\n"


def test_palindrome_needs_enough_yes_no_examples() -> None:
    pairs = [("p('aba')", "True"), ("p('ab')", "False"), ("p('racecar')", "True"), ("p('abca')", "False")]
    assert template_bodies(["s"], _checks(*pairs)) == []  # `len(s) % 2 == 1` fits these as well
    more = [("p('abba')", "True"), ("p('xyz')", "False"), ("p('a')", "True"), ("p('abcab')", "False")]
    assert _top(["s"], *pairs, *more, budget=2.0) == "return s == s[::-1]\n"


def test_fits_that_only_memorize_are_not_offered() -> None:
    # `not 3 in xs` and `b // 3` fit these (HumanEval 3 and 13), but not once one example is hidden.
    assert template_bodies(["xs"], _checks(("f([1, 2, 3])", "False"), ("f([1, 2, -4, 5])", "True"))) == []
    assert template_bodies(["a", "b"], _checks(("gcd(3, 5)", "1"), ("gcd(25, 15)", "5"))) == []
    clamp = [("clamp(3, 4)", "4"), ("clamp(9, 2)", "9"), ("clamp(-1, -5)", "-1")]
    assert template_bodies(["a", "b"], _checks(*clamp)) == []  # one example tells `max(a, b)` from `a`
    assert _top(["a", "b"], *clamp, ("clamp(0, 7)", "7")) == "return max(a, b)\n"


def test_nothing_matches_returns_empty() -> None:
    rows = [(3, 1, 4), (1, 5, 9), (2, 6, 5), (3, 5, 8), (9, 7, 9)]
    checks = _checks(*((f"h({a}, {b}, {c})", str((a * 31 + b * 17 + c * 7) % 13 * 1000 + a)) for a, b, c in rows))
    assert template_bodies(["a", "b", "c"], checks, time_budget_s=0.2) == []


def test_method_stub_is_skipped() -> None:
    assert template_bodies(["self", "x"], _checks(("s.f(1)", "1"), ("s.f(2)", "2"))) == []
    assert template_bodies(["cls", "x"], _checks(("f(1)", "1"), ("f(2)", "2"))) == []


def test_unusable_checks_give_nothing() -> None:
    assert template_bodies(["a"], []) == []
    assert template_bodies(["a"], [Check("assert", "assert f(1) == 1", None, "statement")]) == []
    # Arguments that are not literals, calls of another function, missing parameters.
    assert template_bodies(["a"], _checks(("f(y)", "1"), ("f(len('ab'))", "2"))) == []
    assert examples_from_checks(["a", "b"], _checks(("f(1)", "1"))) == []
    assert examples_from_checks(["a"], _checks(("f(1)", "math.pi"))) == []


def test_keyword_arguments_and_callee_choice() -> None:
    checks = _checks(("add(b=2, a=1)", "3"), ("add(5, b=7)", "12"), ("str(1)", "'1'"))
    examples = examples_from_checks(["a", "b"], checks)
    assert [example.args for example in examples] == [(1, 2), (5, 7)]
    assert template_bodies(["a", "b"], checks)[0] == "return a + b\n"


def test_raises_and_output_checks_guide_the_search() -> None:
    values: Pairs = [("div(7, 2)", "3"), ("div(9, 3)", "3"), ("div(20, 6)", "3"), ("div(17, 4)", "4")]
    checks = [*_checks(*values), *_checks(("div(1, 0)", "ZeroDivisionError"), mode="raises")]
    assert template_bodies(["a", "b"], checks)[0] == "return a // b\n"
    checks = _checks(("shout('hi')", "'HI'"), ("shout('ok')", "'OK'"), mode="output")
    assert template_bodies(["s"], checks)[0] == "return s.upper()\n"


def test_one_example_is_never_enough() -> None:
    assert evidence_needed(1) == 2 and evidence_needed(3) == 2 and evidence_needed(5) == 3
    assert template_bodies(["a", "b"], _checks(("add(1, 2)", "3"))) == []
    assert template_bodies(["s"], _checks(("f('aB')", "'Ab'"))) == []
    # A constant answer needs several distinct examples, unless the function takes no parameters.
    assert template_bodies(["n"], _checks(("f(1)", "7"), ("f(2)", "7"))) == []
    assert _top(["n"], ("f(1)", "7"), ("f(2)", "7"), ("f(3)", "7")) == "return 7\n"
    assert _top([], ("greeting()", "'hi'")) == "return 'hi'\n"


def test_size_caps_keep_the_search_safe() -> None:
    checks = _checks(("f(99, 999999)", "1"), ("f(2, 3)", "8"), ("f(3, 2)", "9"))
    started = time.perf_counter()
    bodies = template_bodies(["a", "b"], checks, time_budget_s=0.3)
    assert time.perf_counter() - started < 1.0
    assert "return a ** b\n" not in bodies  # 99 ** 999999 was refused, never computed


def test_huge_expected_values_are_left_to_the_sandbox() -> None:
    checks = _checks(("f(10, 100)", str(10**100)), ("f(2, 3)", "8"), ("f(3, 2)", "9"), ("f(2, 5)", "32"))
    body = template_bodies(["a", "b"], checks)[0]
    assert body == "return a ** b\n"
    assert run_checks(_program("f", ("a", "b"), body), checks).ok


def test_limit_is_respected() -> None:
    checks = _checks(*((f"double({n})", str(2 * n)) for n in range(1, 6)))
    assert len(template_bodies(["n"], checks)) > 1
    assert len(template_bodies(["n"], checks, limit=1)) == 1
    assert template_bodies(["n"], checks, limit=0) == []


def test_time_bound_on_three_parameters_with_many_examples() -> None:
    rows = [(a, b, c) for a in range(1, 5) for b in range(1, 4) for c in range(2, 5)]
    checks = _checks(*((f"g({a}, {b}, {c})", str(a * b * 7 + c * c * c - a)) for a, b, c in rows))
    started = time.perf_counter()
    template_bodies(["a", "b", "c"], checks)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("name", "params", "pairs"),
    [
        ("add", ("a", "b"), [("add(1, 2)", "3"), ("add(5, 7)", "12")]),
        ("vowels", ("s",), [("vowels('hello')", "2"), ("vowels('xyz')", "0"), ("vowels('AEi')", "3")]),
        (
            "starts",
            ("words", "p"),
            [
                ("starts(['ab', 'b'], 'a')", "['ab']"),
                ("starts(['cat', 'car', 'dog'], 'ca')", "['cat', 'car']"),
                ("starts(['xa', 'ax'], 'a')", "['ax']"),
                ("starts(['b', 'a'], 'c')", "[]"),
            ],
        ),
        ("mean", ("xs",), [("mean([1, 2, 3, 4])", "2.5"), ("mean([5, 7])", "6.0"), ("mean([2])", "2.0")]),
    ],
)
def test_every_body_passes_the_harness(name: str, params: tuple[str, ...], pairs: Pairs) -> None:
    checks = _checks(*pairs)
    bodies = template_bodies(params, checks, time_budget_s=2.0)
    assert bodies
    for body in bodies:
        assert run_checks(_program(name, params, body), checks).ok, body


def test_add_program_passes_run_checks() -> None:
    checks = _checks(("add(1, 2)", "3"), ("add(5, 7)", "12"))
    program = _program("add", ("a", "b"), template_bodies(["a", "b"], checks)[0])
    assert program == "def add(a, b):\n    return a + b\n"
    verdict = run_checks(program, checks)
    assert verdict.ok and verdict.passed == 2
