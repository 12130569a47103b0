"""Doctests mean what they mean to ``doctest``: one session per docstring, in order, with its directives.

Two kinds of evidence: the standard library's own doctests (written by nobody here), whose verdict under
``doctest`` itself our checks must reproduce, and the object-building examples users write.
"""

from __future__ import annotations

import collections
import difflib
import doctest
import fractions
import heapq
import inspect
import io
import statistics
from types import ModuleType

import pytest

from extraction import extract_checks, find_stubs
from extraction.doctests import doctest_checks
from ncpu.sandbox import Sandbox
from ncpu.sandbox.harness import run_checks

STDLIB = (statistics, fractions, difflib, collections, heapq)


def _stdlib_doctests() -> list[tuple[ModuleType, doctest.DocTest]]:
    found = []
    for module in STDLIB:
        for test in doctest.DocTestFinder().find(module):
            runner = doctest.DocTestRunner(verbose=False)
            if test.examples and not runner.run(test, out=io.StringIO().write).failed:
                found.append((module, test))
    return found


STDLIB_DOCTESTS = _stdlib_doctests()


def test_the_corpus_is_not_trivial() -> None:
    assert len(STDLIB_DOCTESTS) >= 50
    assert sum(len(test.examples) for _, test in STDLIB_DOCTESTS) >= 200


@pytest.mark.parametrize(("module", "test"), STDLIB_DOCTESTS, ids=[test.name for _, test in STDLIB_DOCTESTS])
def test_a_docstring_doctest_passes_passes_our_checks(module: ModuleType, test: doctest.DocTest) -> None:
    """No false rejection: the real implementation, which passes ``doctest``, passes every check we made."""
    checks = doctest_checks(test.docstring or "", 1)
    verdict = run_checks(inspect.getsource(module), checks)
    results = zip(checks, verdict.results, strict=True) if verdict.error is None else []
    failed = [(check.text, result.actual, result.error) for check, result in results if not result.passed]
    assert verdict.error is None and not failed, failed


def test_examples_with_an_outcome_become_checks() -> None:
    stated = sum(1 for _, test in STDLIB_DOCTESTS for e in test.examples if e.want.strip() or e.exc_msg)
    made = sum(
        1
        for _, test in STDLIB_DOCTESTS
        for c in doctest_checks(test.docstring or "", 1)
        if c.expected not in (None, "")
    )
    assert made >= 0.95 * stated, (made, stated)


MUTANTS = [
    (module, test)
    for module, test in STDLIB_DOCTESTS
    if test.name.count(".") == 1 and inspect.isfunction(getattr(module, test.name.split(".")[1], None))
]


@pytest.mark.parametrize(("module", "test"), MUTANTS, ids=[test.name for _, test in MUTANTS])
def test_a_function_replaced_by_a_wrong_one_fails_our_checks(module: ModuleType, test: doctest.DocTest) -> None:
    """No false acceptance: the same function returning ``None`` (which fails ``doctest``) fails a check."""
    name = test.name.split(".")[1]
    mutant = inspect.getsource(module) + f"\n\ndef {name}(*args, **kwargs):\n    return None\n"
    assert not run_checks(mutant, doctest_checks(test.docstring or "", 1)).ok


INVENTORY = '''from dataclasses import dataclass, field
from decimal import Decimal


def to_cents(amount: Decimal) -> int:
    return int(amount * 100)


@dataclass
class Item:
    name: str
    price: Decimal
    quantity: int


@dataclass
class Inventory:
    items: dict[str, Item] = field(default_factory=dict)

    def add(self, item: Item) -> None:
        self.items[item.name] = item

    def total_value_cents(self) -> int:
        """The value of everything in stock, in cents.

        >>> inv = Inventory()
        >>> inv.add(Item("a", Decimal("1.25"), 2))
        >>> inv.add(Item("b", Decimal("0.10"), 3))
        >>> inv.total_value_cents()
        280
        """
        BODY
'''
RIGHT = "return sum(to_cents(i.price) * i.quantity for i in self.items.values())"


def _inventory(body: str) -> str:
    return INVENTORY.replace("BODY", body)


def test_the_examples_of_one_docstring_share_one_session(sandbox: Sandbox) -> None:
    source = _inventory("raise NotImplementedError")
    stub = next(s for s in find_stubs(source) if s.name == "total_value_cents")
    checks = extract_checks(source, stub)
    total = next(c for c in checks if c.call == "inv.total_value_cents()")
    assert total.setup == (
        "inv = Inventory()",
        'inv.add(Item("a", Decimal("1.25"), 2))',
        'inv.add(Item("b", Decimal("0.10"), 3))',
    )
    assert sandbox.verify(_inventory(RIGHT), checks).ok  # the correct body is accepted...
    wrong = sandbox.verify(_inventory("return 0"), checks)
    assert not wrong.ok and wrong.passed == len(checks) - 1  # ...and a wrong one fails on the total only


def test_state_carries_over_from_examples_with_output() -> None:
    doc = """
    >>> stack = [3, 1, 2]
    >>> stack.pop()
    2
    >>> stack
    [3, 1]
    >>> f(2)
    4
    """
    checks = doctest_checks(doc, 1)
    assert [c.setup for c in checks[:2]] == [("stack = [3, 1, 2]",), ("stack = [3, 1, 2]", "stack.pop()")]
    assert run_checks("def f(x):\n    return x * 2\n", checks).ok


def test_an_expression_with_no_output_that_uses_the_session_must_print_nothing() -> None:
    doc = """
    >>> items = []
    >>> push(items, 3)
    >>> items
    [3]
    """
    checks = doctest_checks(doc, 1)
    assert (checks[0].call, checks[0].mode, checks[0].expected) == ("push(items, 3)", "output", "")
    assert run_checks("def push(xs, x):\n    xs.append(x)\n", checks).ok
    returns_length = run_checks("def push(xs, x):\n    xs.append(x)\n    return len(xs)\n", checks)
    assert not returns_length.ok  # doctest fails it too: "Expected nothing, Got 1"


def test_an_expected_exception_is_a_check_and_its_side_effects_are_replayed() -> None:
    doc = """
    >>> seen = []
    >>> record(seen, -1)
    Traceback (most recent call last):
      ...
    ValueError: negative
    >>> seen
    [-1]
    """
    checks = doctest_checks(doc, 1)
    assert (checks[0].mode, checks[0].expected) == ("raises", "ValueError: negative")
    program = "def record(xs, x):\n    xs.append(x)\n    if x < 0:\n        raise ValueError('negative')\n"
    assert run_checks(program, checks).ok


@pytest.mark.parametrize(
    ("expected", "raised", "directive", "passes"),
    [
        ("ValueError: negative size", "ValueError('negative size')", "", True),
        ("ValueError: negative size", "ValueError('negative')", "", False),  # doctest compares the message
        ("ValueError: negative size", "TypeError('negative size')", "", False),
        ("ValueError", "ValueError('why')", "", False),  # a bare name expects no message
        ("ValueError", "ValueError()", "", True),
        ("ValueError: negative ...", "ValueError('negative size: -3')", "  # doctest: +ELLIPSIS", True),
        ("pkg.errors.ValueError: anything", "ValueError('other')", "  # doctest: +IGNORE_EXCEPTION_DETAIL", True),
        ("ValueError: anything", "TypeError('anything')", "  # doctest: +IGNORE_EXCEPTION_DETAIL", False),
        ("KeyError: 'a'", "KeyError('a')", "", True),
    ],
)
def test_exception_lines_compare_as_doctest_compares_them(
    expected: str, raised: str, directive: str, passes: bool
) -> None:
    """Each case is also run through the standard library's ``doctest``: our verdict must be its verdict."""
    doc = f">>> boom(){directive}\nTraceback (most recent call last):\n  ...\n{expected}\n"
    program = f"def boom():\n    raise {raised}\n"
    namespace: dict[str, object] = {}
    exec(program, namespace)
    test = doctest.DocTestParser().get_doctest(doc, namespace, "boom", None, 0)
    runner = doctest.DocTestRunner(verbose=False)
    runner.run(test, out=lambda _text: None)
    assert (runner.failures == 0) is passes  # what doctest itself says
    assert run_checks(program, doctest_checks(doc, 1)).ok is passes


@pytest.mark.parametrize(
    ("example", "right", "wrong"),
    [
        (">>> third()  # doctest: +ELLIPSIS\n0.333...", "1 / 3", "0.5"),
        (">>> words()  # doctest: +NORMALIZE_WHITESPACE\n['a',   'b',\n 'c']", "['a', 'b', 'c']", "['a', 'c']"),
        (">>> print(third())\n0.333", "round(1 / 3, 3)", "0.5"),
        (">>> show()\nline one\n<BLANKLINE>\nline three", "print('line one\\n\\nline three')", "print('x')"),
    ],
)
def test_directives_and_printed_output_read_as_doctest_reads_them(example: str, right: str, wrong: str) -> None:
    checks = doctest_checks(example, 1)
    assert len(checks) == 1
    name = example.split("(")[0].removeprefix(">>> ").replace("print", "third")
    assert run_checks(f"def {name}():\n    return {right}\n", checks).ok
    assert not run_checks(f"def {name}():\n    return {wrong}\n", checks).ok


def test_a_skipped_example_is_neither_checked_nor_run() -> None:
    doc = """
    >>> boom()  # doctest: +SKIP
    1
    >>> f(1)
    2
    """
    checks = doctest_checks(doc, 1)
    assert [c.call for c in checks] == ["f(1)"] and checks[0].setup == ()


def test_pure_calls_are_not_replayed() -> None:
    """``>>> f(2)`` / ``4`` changes no state: later checks do not run it again (HumanEval keys stay put)."""
    checks = doctest_checks(">>> f(1)\n2\n>>> f(2)\n4\n", 1)
    assert [c.setup for c in checks] == [(), ()]
