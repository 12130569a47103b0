"""Agreement in the cascade (issue 15): more passing bodies, the largest group of alike behaviour, the question.

The scripted model writes bodies that all pass the user's one example and differ on inputs nobody wrote; the
real sandbox runs them on the generated inputs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from extraction import extract_checks, find_stubs
from ncpu.backends.fake import ScriptedBackend
from ncpu.cascade.solution import Solution
from ncpu.config import Budget, Settings
from ncpu.edit import add_example, note_for
from ncpu.engine import Engine
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox
from ncpu.store import Store

SOURCE = '''def count_runs(values: list[int]) -> int:
    """Count the runs of equal neighbours.

    >>> count_runs([1, 1, 2, 3, 3])
    3
    """
'''
CAREFUL = "def count_runs(values):\n    return sum(1 for i, v in enumerate(values) if i == 0 or v != values[i - 1])\n"
HASTY = "def count_runs(values):\n    runs = 1\n    for a, b in zip(values, values[1:]):\n        runs += a != b\n    return runs\n"
"""Passes the example; says 1 for the empty list, where CAREFUL says 0."""


def _engine(store_dir: Path, sandbox: Sandbox, script: list[str], **budget: object) -> tuple[Engine, ScriptedBackend]:
    backend = ScriptedBackend({"*": script})
    layers = ("store", "greedy", "retry", "best_of_n")
    settings = Settings(layers=layers, budget=dataclasses.replace(Budget(), **budget))  # type: ignore[arg-type]
    return Engine(settings, store=Store.open(store_dir), sandbox=sandbox, backends=[backend]), backend


def _problem(source: str = SOURCE) -> Problem:
    return Problem.from_source(source, find_stubs(source)[0])


def test_the_largest_group_wins_over_the_first_pass(store_dir: Path, sandbox: Sandbox) -> None:
    engine, backend = _engine(store_dir, sandbox, [HASTY, CAREFUL])
    solution = engine.solve(_problem())
    assert solution.status == "verified"
    assert solution.body is not None and "enumerate" in solution.body  # CAREFUL twice outvotes the greedy HASTY
    assert solution.agreement.startswith("2 of 3 passing candidates agree on ")
    assert solution.evidence.startswith("1/1 checks; 2 of 3 passing candidates agree")
    assert [request.temperature for request in backend.requests] == [0.0, 0.6, 0.6]  # greedy, then one round of 2
    stored = engine.store.get(solution.key) if engine.store else None
    assert stored is not None and stored.body == solution.body and stored.agreement == solution.agreement


def test_a_tie_is_ambiguous_asks_about_the_separating_input_and_is_not_stored(
    store_dir: Path, sandbox: Sandbox
) -> None:
    engine, _ = _engine(store_dir, sandbox, [CAREFUL, HASTY], agreement_passes=2)
    solution = engine.solve(_problem())
    assert solution.status == "ambiguous" and not solution.verified
    ambiguity = solution.ambiguity
    assert ambiguity is not None and ambiguity.call == "count_runs([])"
    assert [(a.outcome, a.candidates) for a in ambiguity.answers] == [("0", 1), ("1", 1)]
    assert ambiguity.question() == "`count_runs([])`: 0 (1 candidate) or 1 (1)"
    assert ambiguity.answers[0].example == ">>> count_runs([])\n0"
    assert engine.store is not None and engine.store.get(solution.key) is None


def test_the_added_example_settles_it_and_that_solve_is_verified_and_stored(store_dir: Path, sandbox: Sandbox) -> None:
    engine, _ = _engine(store_dir, sandbox, [CAREFUL, HASTY], agreement_passes=2)
    ambiguity = engine.solve(_problem()).ambiguity
    assert ambiguity is not None
    settled = add_example(SOURCE, find_stubs(SOURCE)[0], ambiguity.answers[0].example)
    assert settled is not None and len(extract_checks(settled, find_stubs(settled)[0])) == 2
    again, _ = _engine(store_dir, sandbox, [CAREFUL, HASTY], agreement_passes=2)
    solution = again.solve(_problem(settled))
    assert solution.status == "verified" and solution.body is not None and "enumerate" in solution.body
    assert again.store is not None and again.store.get(solution.key) is not None


def test_an_exception_is_an_answer_and_its_example_is_a_doctest_traceback(store_dir: Path, sandbox: Sandbox) -> None:
    raising = HASTY.replace("    runs = 1\n", "    runs = 1\n    values[0]\n")
    engine, _ = _engine(store_dir, sandbox, [raising, CAREFUL], agreement_passes=2)
    ambiguity = engine.solve(_problem()).ambiguity
    assert ambiguity is not None
    answers = {a.outcome: a.example for a in ambiguity.answers}
    assert answers["raises IndexError"] == (
        ">>> count_runs([])\nTraceback (most recent call last):\n    ...\nIndexError: list index out of range"
    )
    settled = add_example(SOURCE, find_stubs(SOURCE)[0], answers["raises IndexError"])
    assert settled is not None
    (check,) = [c for c in extract_checks(settled, find_stubs(settled)[0]) if c.call == "count_runs([])"]
    assert check.mode == "raises"


def test_without_generated_inputs_the_first_pass_is_the_answer_and_says_so(store_dir: Path, sandbox: Sandbox) -> None:
    source = '''def answer():
    """The answer.

    >>> answer()
    42
    """
'''
    engine, backend = _engine(store_dir, sandbox, ["def answer():\n    return 42\n"])
    solution = engine.solve(_problem(source))
    assert solution.status == "verified"
    assert solution.agreement == "the only passing candidate; no inputs could be generated"
    assert len(backend.requests) == 1  # nothing to compare on: no samples for agreement


def test_agreement_stays_within_its_share_of_the_samples(store_dir: Path, sandbox: Sandbox) -> None:
    failing = "def count_runs(values):\n    return 7\n"
    for proposed, entry_points in ((0, ["count_runs"] * 3), (6, ["count_runs", "count_runs#inputs", "count_runs"])):
        engine, backend = _engine(
            store_dir / str(proposed),
            sandbox,
            [HASTY, failing],
            max_samples=8,
            agreement_share=0.25,
            proposed_inputs=proposed,
        )
        solution = engine.solve(_problem())
        # greedy, then ceil(0.25 * 8) = 2 more: two samples, or the model's proposed inputs and one sample
        assert solution.status == "verified" and solution.samples == 3
        assert solution.agreement.startswith("the only passing candidate")
        assert [request.entry_point for request in backend.requests] == entry_points


def test_one_agreement_pass_is_the_first_pass_wins(store_dir: Path, sandbox: Sandbox) -> None:
    engine, backend = _engine(store_dir, sandbox, [HASTY, CAREFUL], agreement_passes=1)
    solution = engine.solve(_problem())
    assert solution.status == "verified" and solution.body is not None and "zip" in solution.body
    assert solution.agreement == "" and len(backend.requests) == 1


SHELF = '''class Shelf:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def add(self, sku: str, count: int) -> None:
        self.counts[sku] = count

    def low(self, threshold: int) -> list[str]:
        """The SKUs with fewer than ``threshold`` units, sorted.

        >>> shelf = Shelf()
        >>> shelf.add("b", 1)
        >>> shelf.add("a", 0)
        >>> shelf.add("c", 9)
        >>> shelf.low(2)
        ['a', 'b']
        """
'''
STRICT = "def low(self, threshold):\n    return sorted(s for s, n in self.counts.items() if n < threshold)\n"
LOOSE = (
    "def low(self, threshold):\n    return sorted(s for s, n in self.counts.items() if n <= threshold - 1 or n < 1)\n"
)
"""Passes the example; says ``['a']`` for ``low(0)``, where STRICT says ``[]``."""


def test_a_method_on_session_state_is_compared_on_generated_inputs_and_settled_by_an_added_example(
    store_dir: Path, sandbox: Sandbox
) -> None:
    engine, _ = _engine(store_dir, sandbox, [STRICT, LOOSE], agreement_passes=2)
    solution = engine.solve(_problem(SHELF))
    assert solution.status == "ambiguous", solution.message
    ambiguity = solution.ambiguity
    assert ambiguity is not None and ambiguity.call == "shelf.low(0)"
    assert [(a.outcome, a.example) for a in ambiguity.answers] == [
        ("[]", ">>> shelf.low(0)\n[]"),
        ("['a']", ">>> shelf.low(0)\n['a']"),
    ]
    settled = add_example(SHELF, find_stubs(SHELF)[0], ambiguity.answers[0].example)
    assert settled is not None
    again, _ = _engine(store_dir, sandbox, [LOOSE, STRICT], agreement_passes=2)
    solution = again.solve(_problem(settled))
    assert solution.status == "verified" and solution.body is not None and "n < threshold)" in solution.body


LEAP = '''def is_leap(year: int) -> bool:
    """Whether ``year`` is a leap year of the Gregorian calendar.

    >>> is_leap(2024)
    True
    """
'''
NAIVE = "def is_leap(year):\n    return year % 4 == 0\n"
"""Passes the example and every mutation of 2024 (0, 2025, 2023, -2024, 1, -1, 2024007); wrong on 1900."""
GREGORIAN = "def is_leap(year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n"
GREGORIAN_TOO = "def is_leap(year):\n    return year % 400 == 0 or (year % 4 == 0 and year % 100 != 0)\n"


def test_an_input_the_model_proposes_separates_what_the_mutations_cannot(store_dir: Path, sandbox: Sandbox) -> None:
    script = {"is_leap": [NAIVE, GREGORIAN, GREGORIAN_TOO], "is_leap#inputs": ["2000)\nis_leap(1900)\nis_leap(2024)\n"]}
    layers = ("store", "greedy", "retry", "best_of_n")
    for proposed, chosen, agreement in ((8, GREGORIAN, "2 of 3"), (0, NAIVE, "3 of 3")):
        backend = ScriptedBackend(dict(script))
        budget = dataclasses.replace(Budget(), proposed_inputs=proposed)
        settings = Settings(layers=layers, budget=budget)
        engine = Engine(settings, store=Store.open(store_dir / str(proposed)), sandbox=sandbox, backends=[backend])
        solution = engine.solve(_problem(LEAP))
        assert solution.status == "verified" and solution.body is not None
        assert solution.body.strip() == chosen.split("\n", 1)[1].strip()
        assert solution.agreement.startswith(agreement), solution.agreement
        assert solution.agreement.endswith("(2 proposed by the model)") == bool(proposed), solution.agreement
        asked = [request for request in backend.requests if request.entry_point == "is_leap#inputs"]
        assert len(asked) == (1 if proposed else 0)
        if asked:  # the model is shown the stub without its example
            assert "2024" not in asked[0].messages[-1].content


NTH_PRIME = '''def nth_prime(n: int) -> int:
    """The n-th prime, counting from 1.

    >>> nth_prime(3)
    5
    """
'''
SLOW_RIGHT = (
    "def nth_prime(n):\n    count, k = 0, 1\n    while count < n:\n        k += 1\n"
    "        if sum(1 for d in range(1, k + 1) if k % d == 0) == 2:\n            count += 1\n    return k\n"
)
"""Right, and slow on the large generated input: ``nth_prime(3007)`` counts divisors for minutes."""
SLOW_RIGHT_AGAIN = SLOW_RIGHT.replace("sum(1 for d", "len([d for d").replace("== 0) == 2", "== 0]) == 2")
FAST_WRONG = "def nth_prime(n):\n    return 2 * n - 1 if n > 1 else 2\n"
"""Passes the example (and n = 1, 2, 4); wrong on 0, negatives and the large input, and fast on every one."""


def test_one_slow_input_costs_that_input_not_the_comparison(store_dir: Path, sandbox: Sandbox) -> None:
    engine, _ = _engine(store_dir, sandbox, [FAST_WRONG, SLOW_RIGHT, SLOW_RIGHT_AGAIN], agreement_passes=3)
    solution = engine.solve(_problem(NTH_PRIME))
    assert solution.status == "verified" and solution.body is not None and "range(1, k + 1)" in solution.body
    assert solution.agreement.startswith("2 of 3 passing candidates agree on ")
    assert "more timed out)" in solution.agreement


def test_the_first_pass_is_handed_over_before_agreement_samples(store_dir: Path, sandbox: Sandbox) -> None:
    engine, backend = _engine(store_dir, sandbox, [HASTY, CAREFUL])
    handed: list[tuple[Solution, int]] = []
    solution = engine.solve(_problem(), on_first_pass=lambda s: handed.append((s, len(backend.requests))))
    [(checking, requests_then)] = handed
    assert (
        checking.status == "checking"
        and not checking.verified
        and checking.body is not None
        and "runs += a != b" in checking.body
    )
    assert checking.layer == "greedy" and checking.evidence == "" and checking.checks_passed == 1
    assert requests_then == 1  # the greedy only: agreement's samples came after
    assert note_for(checking).startswith("# ncpu: checking (greedy, 1/1 checks passed; comparing it with more")
    assert solution.status == "verified" and "enumerate" in (solution.body or "")  # the answer moved on


def test_nothing_is_handed_over_without_agreement_or_for_a_store_hit(store_dir: Path, sandbox: Sandbox) -> None:
    handed: list[Solution] = []
    alone, _ = _engine(store_dir / "alone", sandbox, [CAREFUL], agreement_passes=1)
    assert alone.solve(_problem(), on_first_pass=handed.append).status == "verified"
    engine, _ = _engine(store_dir, sandbox, [CAREFUL])
    engine.solve(_problem())
    again, _ = _engine(store_dir, sandbox, [HASTY])
    assert again.solve(_problem(), on_first_pass=handed.append).layer == "store"
    assert handed == []


def test_a_failing_first_pass_callback_does_not_fail_the_solve(store_dir: Path, sandbox: Sandbox) -> None:
    engine, _ = _engine(store_dir, sandbox, [CAREFUL])

    def broken(_: Solution) -> None:
        raise RuntimeError("editor gone")

    assert engine.solve(_problem(), on_first_pass=broken).status == "verified"
