"""Generated inputs: the examples' arguments mutated by type, admitted by the examples' types and the hints."""

from __future__ import annotations

import ast

import pytest

from extraction import extract_checks, find_stubs
from ncpu.cascade.probes import Probe, admits, bound_probes, mutate, probe_calls, probes


def _calls(source: str, limit: int = 48) -> list[str]:
    stub = find_stubs(source)[0]
    return probe_calls(stub, extract_checks(source, stub), limit)


COUNT_RUNS = '''def count_runs(values: list[int]) -> int:
    """Count the runs of equal neighbours.

    >>> count_runs([1, 1, 2, 3, 3])
    3
    """
'''


def test_a_list_of_ints_gets_the_edge_cases_nobody_wrote() -> None:
    calls = _calls(COUNT_RUNS)
    assert calls[:4] == [
        "count_runs([])",
        "count_runs([1])",
        "count_runs([3, 3, 2, 1, 1])",
        "count_runs([1, 1, 2, 3, 3, 3])",
    ]
    assert "count_runs([1, 1, 2, 3, 3])" not in calls  # the user's own input is not generated again
    assert len(calls) == len(set(calls)) and all(c.startswith("count_runs([") for c in calls)
    for call in calls:  # every input is a list of ints
        value = ast.literal_eval(call[len("count_runs(") : -1])
        assert type(value) is list and all(type(item) is int for item in value)


def test_every_parameter_is_mutated_within_the_first_inputs() -> None:
    source = '''def repeat(text: str, times: int) -> str:
    """>>> repeat("ab", 2)
    'abab'
    """
'''
    calls = _calls(source, limit=4)
    assert calls == ["repeat('', 2)", "repeat('ab', 0)", "repeat('a', 2)", "repeat('ab', 3)"]


def test_types_the_examples_never_gave_are_not_generated() -> None:
    source = '''def flag(on):
    """>>> flag(True)
    1
    >>> flag(False)
    0
    """
'''
    assert _calls(source) == []  # the only mutations of a bool are the other bool, which an example has


def test_annotations_narrow_what_is_generated() -> None:
    source = '''def halve(x: float | None) -> float:
    """>>> halve(3.0)
    1.5
    """
'''
    calls = _calls(source)
    assert calls[:3] == ["halve(0.0)", "halve(3.5)", "halve(2.5)"]


def test_keyword_only_parameters_are_passed_by_name() -> None:
    source = '''def clip(x: int, *, top: int) -> int:
    """>>> clip(5, top=3)
    3
    """
'''
    calls = _calls(source, limit=2)
    assert calls == ["clip(0, top=3)", "clip(5, top=0)"]


def test_methods_star_args_and_examples_without_literals_get_no_inputs() -> None:
    method = '''class Box:
    def put(self, item: int) -> None:
        """>>> Box().put(1)
        """
'''
    star = '''def total(*values: int) -> int:
    """>>> total(1, 2)
    3
    """
'''
    computed = '''def double(x: int) -> int:
    """>>> double(len("ab"))
    4
    """
'''
    assert _calls(method) == [] and _calls(star) == [] and _calls(computed) == []


@pytest.mark.parametrize(
    ("annotation", "value", "admitted"),
    [
        ("int", 3, True),
        ("int", True, False),
        ("int", 2.5, False),
        ("float", 2, True),
        ("list[int]", [1, 2], True),
        ("list[int]", [1, "2"], False),
        ("List[str]", ["a"], True),
        ("Optional[int]", None, True),
        ("int | None", None, True),
        ("int | None", "x", False),
        ("Union[int, str]", "x", True),
        ("tuple[int, str]", (1, "a"), True),
        ("tuple[int, str]", (1, 2), False),
        ("tuple[int, ...]", (1, 2, 3), True),
        ("dict[str, int]", {"a": 1}, True),
        ("dict[str, int]", {"a": "b"}, False),
        ("'list[int]'", [1], True),
        ("MyType", object(), True),
        ("np.ndarray", [1], True),
        ("Callable[[int], int]", 3, True),
    ],
)
def test_admits(annotation: str, value: object, admitted: bool) -> None:
    assert admits(ast.parse(annotation, mode="eval").body, value) is admitted


def test_mutations_are_type_aware_and_exclude_the_value_itself() -> None:
    assert mutate(5)[:4] == [0, 6, 4, -5]
    assert mutate(0) == [1, -1, 2, 10**6]
    assert mutate("Ab")[:6] == ["", "A", "AB", "ab", "aB", " Ab "]
    assert mutate("aba")[2:5] == ["ABA", "Aba", " aba "]  # the first character's case alone, then spaces
    assert "a ba" in mutate("aba") and "aba!" in mutate("aba")
    assert mutate(True) == [False]
    assert mutate((1, 2))[:3] == [(), (1,), (2, 1)]
    assert {} in mutate({"a": 1}) and all(type(m) is dict for m in mutate({"a": 1}))
    assert 2.5 in mutate(2.0) and 1.5 in mutate(2.0)


SHELF = '''class Shelf:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def add(self, sku: str, count: int) -> None:
        self.counts[sku] = count

    def low(self, threshold: int, *, sort: bool = True) -> list[str]:
        """The SKUs with fewer than ``threshold`` units.

        >>> shelf = Shelf()
        >>> shelf.add("b", 1)
        >>> shelf.low(5)
        ['b']
        >>> shelf.add("a", 0)
        >>> shelf.low(2, sort=True)
        ['a', 'b']
        """


def restock(shelf: Shelf, threshold: int) -> dict[str, int]:
    """Units to order.

    >>> shelf = Shelf()
    >>> shelf.add("a", 1)
    >>> restock(shelf, 4)
    {'a': 3}
    """
'''


def _probes(name: str, limit: int = 48) -> list[Probe]:
    stub = next(s for s in find_stubs(SHELF) if s.name == name)
    return bound_probes(stub, extract_checks(SHELF, stub), limit)


def test_a_method_on_state_the_session_builds_gets_its_literal_arguments_mutated() -> None:
    found = _probes("low")
    calls = [probe.call for probe in found]
    assert calls[:4] == [
        "shelf.low(0, sort=True)",
        "shelf.low(2, sort=False)",
        "shelf.low(3, sort=True)",
        "shelf.low(1, sort=True)",
    ]
    assert len(set(calls)) == len(calls) and "shelf.low(2, sort=True)" not in calls
    # only the session's last example is a site, after the session as written up to it and that example itself
    assert not any(call.startswith("shelf.low(5") for call in calls)
    assert {probe.setup for probe in found} == {
        ("shelf = Shelf()", 'shelf.add("b", 1)', "shelf.low(5)", 'shelf.add("a", 0)', "shelf.low(2, sort=True)")
    }


def test_a_function_called_on_built_state_keeps_that_argument_and_mutates_the_literal() -> None:
    found = _probes("restock")
    assert [probe.call for probe in found][:3] == ["restock(shelf, 0)", "restock(shelf, 5)", "restock(shelf, 3)"]
    assert all(probe.setup[-1] == "restock(shelf, 4)" for probe in found)


def test_bound_probes_are_admitted_by_the_hints_and_the_examples_types() -> None:
    assert all(ast.literal_eval(probe.call.split("(", 1)[1].split(",")[0]) is not None for probe in _probes("low"))
    assert not any("'" in probe.call.split(",")[1] for probe in _probes("restock"))  # threshold stays an int
    assert len(_probes("restock", limit=2)) == 2


def test_calls_with_literal_arguments_only_are_not_bound_probes_and_come_first() -> None:
    stub = find_stubs(COUNT_RUNS)[0]
    checks = extract_checks(COUNT_RUNS, stub)
    assert bound_probes(stub, checks) == []
    assert probes(stub, checks, 5) == [Probe(call) for call in probe_calls(stub, checks, 5)]


FIND_ZERO = '''def find_zero(xs: list[int]) -> float:
    """A zero of the polynomial with coefficients xs.

    >>> round(find_zero([1, 2]), 2)  # f(x) = 1 + 2x
    -0.5
    >>> sorted([find_zero([-6, 11, -6, 1])])[0] > 0
    True
    """
'''


def test_a_call_inside_the_example_is_probed_inside_the_same_expression() -> None:
    stub = find_stubs(FIND_ZERO)[0]
    checks = extract_checks(FIND_ZERO, stub)
    assert probe_calls(stub, checks) == []  # no example calls find_zero directly
    found = probes(stub, checks)
    assert found and all(probe.setup == () for probe in found)  # literal arguments: no state to build first
    calls = [probe.call for probe in found]
    assert calls[0] == "sorted([find_zero([])])[0] > 0"  # the docstring's last example, its wrapper as written
    assert (
        "sorted([find_zero([11, -6, 1])])[0] > 0" in calls
        and "sorted([find_zero([-6, 11, -6, 1])])[0] > 0" not in calls
    )
    twice = '''def f(x: int) -> int:
    """Twice.

    >>> f(1) + f(1)
    4
    """
'''
    assert probes(find_stubs(twice)[0], extract_checks(twice, find_stubs(twice)[0])) == []  # which call to vary?
