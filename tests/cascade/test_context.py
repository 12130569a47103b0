"""What the model is shown around the stub: the class and module a person would read first."""

from __future__ import annotations

from pathlib import Path

from extraction import find_stubs
from ncpu.cascade.context import code_context
from ncpu.cascade.prompts import build_request, stub_text
from ncpu.problem import Problem

ROOT = Path(__file__).resolve().parents[2]

MODULE = '''import math
from decimal import Decimal

RATE = 100


def to_cents(amount: Decimal) -> int:
    """Dollars to cents."""
    return int(amount * RATE)


def unrelated_helper(x):
    """Something else entirely."""
    return [x] * 3


def other_stub(x):
    """Not written yet."""
    raise NotImplementedError("secret placeholder")


class Wallet(Base):
    """Money in a wallet."""

    currency = "EUR"

    def __init__(self) -> None:
        self.coins: list[Decimal] = []

    def add(self, coin: Decimal) -> None:
        """Put a coin in."""
        self.coins.append(coin)

    def total_cents(self) -> int:
        """All coins, in cents, using to_cents.

        >>> w = Wallet()
        >>> w.add(Decimal("0.50"))
        >>> w.total_cents()
        50
        """
        pass

    def later(self):
        """Also a stub."""
        ...
'''


def _problem(source: str, name: str) -> Problem:
    return Problem.from_source(source, next(s for s in find_stubs(source) if s.name == name))


def test_a_method_sees_its_class_fields_constructor_and_siblings() -> None:
    problem = _problem(MODULE, "total_cents")
    text = code_context(problem, stub_text(problem))
    for wanted in (
        "class Wallet(Base):",
        '"""Money in a wallet."""',
        'currency = "EUR"',
        "self.coins: list[Decimal] = []",
        "def add(self, coin: Decimal) -> None:",
        "self.coins.append(coin)",
        "def to_cents(amount: Decimal) -> int:",
        "RATE = 100",
        "import math",
    ):
        assert wanted in text, wanted
    assert text.index("def to_cents") < text.index("class Wallet") < text.index("def total_cents")


def test_other_stubs_show_no_placeholder_body() -> None:
    problem = _problem(MODULE, "total_cents")
    text = code_context(problem, stub_text(problem))
    assert "def other_stub(x):" in text and "def later(self):" in text
    assert "secret placeholder" not in text and "NotImplementedError" not in text


def test_the_budget_keeps_what_the_stub_names_first() -> None:
    problem = _problem(MODULE, "total_cents")
    text = code_context(problem, stub_text(problem), budget=400)  # the class takes up to half of it
    assert "def to_cents" in text  # named in the docstring
    assert "unrelated_helper" not in text


def test_the_prompt_carries_the_context_and_the_answer_starts_at_the_stub() -> None:
    problem = _problem(MODULE, "total_cents")
    request = build_request(problem, temperature=0.0, max_tokens=8)
    assert "self.coins.append(coin)" in request.messages[-1].content
    assert request.response_prefix.startswith("```python\ndef total_cents(self) -> int:")


def test_the_readme_demo_method_sees_the_attribute_it_must_use() -> None:
    """``Stack.push_all`` once came back as ``self.values = values``: the class keeps ``self.items``."""
    problem = _problem((ROOT / "examples" / "text.py").read_text(), "push_all")
    assert "self.items" in code_context(problem, stub_text(problem))


def test_a_broken_module_still_shows_the_stub() -> None:
    source = "def f(x):\n    '''Double.\n\n    >>> f(2)\n    4\n    '''\n\nclass Broken(:\n    pass\n"
    problem = _problem(source, "f")
    assert code_context(problem, stub_text(problem)).startswith("def f(x):")


def test_a_huge_class_around_a_method_is_cut_to_signatures_then_to_its_nearest_members() -> None:
    """The class around a method stub is budgeted too: a 60-method class once made a prompt over 4096 tokens."""
    doc = '        """' + "A long docstring line of the method.\n        " * 10 + '"""\n'
    methods = "".join(f"    def m{i}(self, x):\n{doc}        return x + {i}\n\n" for i in range(60))
    source = f'class Big:\n    """Many methods."""\n\n{methods}    def target(self, x):\n        """\n        >>> Big().target(1)\n        2\n        """\n'
    problem = _problem(source, "target")
    text = code_context(problem, stub_text(problem), budget=2_000)
    assert len(text) < 2_000 and "def target(self, x):" in text and "def m59(self, x):" in text
    assert "A long docstring line" not in text and "    ..." in text
