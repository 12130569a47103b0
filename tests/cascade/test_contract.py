"""What a docstring rules out about its inputs (ncpu.cascade.contract), and the generated inputs keeping to it."""

from __future__ import annotations

import pytest

from extraction import extract_checks, find_stub
from ncpu.cascade.contract import Contract
from ncpu.cascade.probes import probe_calls


@pytest.mark.parametrize(
    ("docstring", "params", "expected"),
    [
        ("Given a positive integer n, return the count.", ("n",), Contract(minimum_of={"n": 1})),
        ("You are given two positive integers n and m.", ("n", "m"), Contract(minimum_of={"n": 1, "m": 1})),
        ("You are given a non-empty list of positive integers.", ("lst",), Contract(no_empty=True, minimum=1)),
        ("This function takes an non-negative integer.", ("n",), Contract(minimum=0)),
        ("From a supplied list of numbers (of length at least two) select", ("numbers",), Contract(min_length=2)),
        # The words describe the output, not the input: nothing is ruled out.
        ("Return only positive numbers in the list.", ("l",), Contract()),
        ("If the list is not empty, return its head.", ("items",), Contract()),
        ("Returns a list of length at least two.", ("n",), Contract()),
        # A bound written out wins over the words ("positive integer k", then "0 <= k <= len(arr)").
        ("Given an array arr and a positive integer k, sort.\n\nNote: 0 <= k <= len(arr)", ("arr", "k"),
         Contract(minimum_of={"k": 0})),
        ("No contract at all.", ("x",), Contract()),
        (None, ("x",), Contract()),
    ],
)  # fmt: skip
def test_contract_read(docstring: str | None, params: tuple[str, ...], expected: Contract) -> None:
    assert Contract.read(docstring, params) == expected


def test_contract_admits_by_kind_and_parameter() -> None:
    contract = Contract(no_empty=True, min_length=2, minimum=0, minimum_of={"k": 1})
    assert not contract.admits([]) and not contract.admits("") and not contract.admits([3])
    assert contract.admits([0, 3]) and not contract.admits([-1, 3])
    assert contract.admits(0, "n") and not contract.admits(0, "k") and not contract.admits(-1, "n")
    assert contract.admits(True) and contract.admits(None) and contract.admits("a")
    assert not Contract(minimum=1).admits(0.0) and Contract(minimum=1).admits(0.5)


def test_generated_inputs_keep_to_the_docstring() -> None:
    source = '''def smallest(numbers: list[int]) -> int:
    """Given a non-empty list of positive integers, return the smallest.

    >>> smallest([3, 1, 2])
    1
    """
'''
    stub = find_stub(source, "smallest")
    assert stub is not None
    calls = probe_calls(stub, extract_checks(source, stub))
    assert calls and "smallest([])" not in calls
    assert not any("-" in call or "[0" in call or ", 0" in call for call in calls), calls
