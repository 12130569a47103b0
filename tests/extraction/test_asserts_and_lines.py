"""The assert forms people write, several examples on one line, and which empty bodies are stubs."""

from __future__ import annotations

import pytest

from extraction import extract_checks, find_stubs
from extraction.notation import notation_checks
from ncpu.sandbox.harness import run_checks


def _checks(line: str, name: str, params: tuple[str, ...] = ("x",)) -> list[tuple[str, str, str | None]]:
    return [(c.mode, c.call, c.expected) for c in notation_checks(f"Doc.\n\n    {line}\n", name, params, 1)]


@pytest.mark.parametrize(
    ("line", "name", "expected"),
    [
        ("assert join_chars(('a', 'b')) == (\"ab\")", "join_chars", [("value", "join_chars(('a', 'b'))", "'ab'")]),
        ("assert 5 == add(2, 3)", "add", [("value", "add(2, 3)", "5")]),
        ("assert area(2) == pytest.approx(12.566)", "area", [("value", "area(2)", "12.566")]),
        ("assert is_even([1, 2])", "is_even", [("statement", "assert is_even([1, 2])", None)]),
        ("assert not is_even(3)", "is_even", [("statement", "assert not is_even(3)", None)]),
        ("assert set(f(1)) == set([1, 2])", "f", [("statement", "assert set(f(1)) == set([1, 2])", None)]),
        ("assert sorted(f(1)) == [1, 2]", "f", [("statement", "assert sorted(f(1)) == [1, 2]", None)]),
    ],
)
def test_assert_forms_become_checks(line: str, name: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert _checks(line, name) == expected


def test_math_isclose_keeps_the_users_tolerance_and_imports_math() -> None:
    (check,) = notation_checks("Doc.\n\n    assert math.isclose(area(2), 12.566, rel_tol=0.001)\n", "area", ("r",), 1)
    assert check.mode == "statement" and check.setup == ("import math",)
    # 4 * pi = 12.566370...: within 0.1% of 12.566, not within the default float tolerance.
    assert run_checks("import math\ndef area(r):\n    return math.pi * r * r\n", [check]).ok
    assert not run_checks("def area(r):\n    return 12.0\n", [check]).ok


def test_module_level_asserts_with_the_call_on_either_side() -> None:
    source = "def add(a, b):\n    pass\n\nassert 3 == add(1, 2)\nassert add(2, 2) == 4\nassert add(0, 0) >= 0\n"
    checks = extract_checks(source, find_stubs(source)[0])
    assert [(c.mode, c.call, c.expected) for c in checks] == [
        ("value", "add(1, 2)", "3"),
        ("value", "add(2, 2)", "4"),
        ("statement", "assert add(0, 0) >= 0", None),
    ]


def test_several_examples_on_one_line_are_several_checks() -> None:
    # notation_checks also finds the second example again inside the prose; extract_checks drops repeats.
    assert _checks("add(1, 2) -> 3 add(10, -5) -> 5", "add", ("a", "b"))[:2] == [
        ("value", "add(1, 2)", "3"),
        ("value", "add(10, -5)", "5"),
    ]
    assert _checks("add(1, 2) -> 3, add(10, -5) -> 5", "add", ("a", "b"))[:2] == [
        ("value", "add(1, 2)", "3"),
        ("value", "add(10, -5)", "5"),
    ]


def test_a_nested_call_is_not_cut_in_two() -> None:
    assert _checks("f(f(1)) -> 4", "f") == []


EMPTY_BY_DESIGN = '''from abc import ABC, abstractmethod
from typing import Protocol, overload


class Base(ABC):
    @abstractmethod
    def run(self):
        """Run it."""

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        ...

    def __len__(self):
        """Size.

        >>> len(Base.__new__(Base))
        0
        """


class Reader(Protocol):
    def read(self) -> bytes: ...


@overload
def double(x: int) -> int: ...
def double(x):
    """Double.

    >>> double(2)
    4
    """
'''


def test_bodies_meant_to_stay_empty_are_not_stubs() -> None:
    assert [s.qualified_name for s in find_stubs(EMPTY_BY_DESIGN)] == ["Base.__len__", "double"]
    reasons = [(s.qualified_name, s.empty_by_design) for s in find_stubs(EMPTY_BY_DESIGN, include_empty_by_design=True)]
    assert reasons == [
        ("Base.run", "abstract method"),
        ("Base.__enter__", "dunder with an empty body"),
        ("Base.__exit__", "dunder with an empty body"),
        ("Base.__len__", None),
        ("Reader.read", "Protocol member"),
        ("double", "overload"),
        ("double", None),
    ]


def test_nothing_in_a_pyi_file_is_a_stub() -> None:
    assert find_stubs("def f(x: int) -> int: ...\n", stub_file=True) == []
    assert [s.empty_by_design for s in find_stubs("def f(x): ...\n", stub_file=True, include_empty_by_design=True)] == [
        "stub file"
    ]
