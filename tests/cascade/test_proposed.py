"""Inputs the model proposes: the prompt hides the examples, and only admissible calls are kept."""

from __future__ import annotations

from extraction import extract_checks, find_stubs
from ncpu.cascade.proposed import REQUEST_SUFFIX, description, proposal_request, proposed_calls
from ncpu.problem import Problem

SOURCE = '''def count_runs(values: list[int], gap: int = 0) -> int:
    """Count the runs of neighbours that differ by at most ``gap``.

    For example:
    >>> count_runs([1, 1, 2, 3, 3])
    3
    >>> count_runs([1, 2],
    ...            gap=1)
    1

    count_runs([5]) == 1
    Input: [4, 4]
    Output: 1
    The values are not sorted.
    """
'''


def _problem(source: str = SOURCE) -> Problem:
    return Problem.from_source(source, find_stubs(source)[0])


def _proposed(answer: str, limit: int = 8, source: str = SOURCE) -> list[str]:
    stub = find_stubs(source)[0]
    return proposed_calls(stub, extract_checks(source, stub), answer, limit)


def test_the_description_keeps_the_prose_and_leaves_out_every_example() -> None:
    text = description(_problem())
    assert text.startswith("def count_runs(values: list[int], gap: int = 0) -> int:")
    assert "Count the runs" in text and "The values are not sorted." in text
    for example in (
        ">>>",
        "...",
        "[1, 1, 2, 3, 3]",
        "count_runs([5])",
        "Input:",
        "Output:",
        "For example",
        "\n    3\n",
    ):
        assert example not in text, example


def test_the_request_asks_for_calls_greedily_under_an_entry_point_of_its_own() -> None:
    request = proposal_request(_problem(), 8)
    assert request.temperature == 0.0 and request.entry_point == "count_runs" + REQUEST_SUFFIX
    assert request.response_prefix.endswith("count_runs(")
    assert "[1, 1, 2, 3, 3]" not in request.messages[-1].content
    assert "results" in request.messages[-1].content


def test_admissible_calls_are_kept_in_order_and_results_the_model_wrote_are_dropped() -> None:
    answer = "[])\ncount_runs([7], gap=2)\nassert count_runs([1, 2, 2]) == 2\nprint(count_runs([-1, -1]))  # ties\n"
    assert _proposed(answer) == [
        "count_runs([])",
        "count_runs([7], 2)",
        "count_runs([1, 2, 2])",
        "count_runs([-1, -1])",
    ]


def test_calls_that_do_not_fit_the_signature_or_the_examples_types_are_dropped() -> None:
    answer = "\n".join(
        [
            "'abc')",  # a str where the hint and the examples say list[int]
            "count_runs([1.5, 2.5])",  # floats: no example gave them
            "count_runs([1], 2, 3)",  # too many arguments
            "count_runs(gap=1)",  # the required parameter is missing
            "count_runs(values=[2], values=[3])",  # not Python
            "count_runs(sorted([3, 1]))",  # not a literal
            "count_runs([1, 1, 2, 3, 3])",  # the user's own example
            "count_runs([True])",  # bool is not int
            "other([1])",  # not the stub
            "count_runs([9] * 3)",  # not a literal either
            "count_runs(list(range(20000)))",
            "count_runs([10**18])",  # not a literal
            "count_runs([1000000000000])",  # too large to be quick on every candidate
            f"count_runs({[1] * 101})",  # too many items for one of a test's inputs
        ]
    )
    assert _proposed(answer) == []


def test_duplicates_go_and_the_limit_holds() -> None:
    answer = "[1])\ncount_runs([1])\ncount_runs(values=[1])\ncount_runs([2])\ncount_runs([3])\n"
    assert _proposed(answer, limit=2) == ["count_runs([1])", "count_runs([2])"]


def test_a_method_gets_no_proposals() -> None:
    source = '''class Shelf:
    def low(self, threshold: int) -> list[str]:
        """Names below ``threshold``.

        >>> Shelf().low(1)
        []
        """
'''
    assert _proposed("1)\nShelf().low(2)\n", source=source) == []
