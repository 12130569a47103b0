"""The prompt shows the project-local definitions the stub's module imports."""

from __future__ import annotations

from pathlib import Path

from extraction import find_stubs
from ncpu.cascade.prompts import build_request
from ncpu.problem import Problem

INVENTORY = Path(__file__).resolve().parents[1] / "data" / "projects" / "inventory"


def test_a_relative_import_of_a_helper_shows_its_signature_docstring_and_short_body() -> None:
    path = INVENTORY / "inventory" / "core.py"
    source = path.read_text()
    stub = next(s for s in find_stubs(source) if s.name == "total_value_cents")
    problem = Problem.from_source(source, stub, path=path, workspace_root=INVENTORY)
    prompt = build_request(problem, temperature=0.0, max_tokens=64).messages[-1].content
    assert "# to_cents, imported from inventory/money.py:\ndef to_cents(amount: Decimal) -> int:" in prompt
    assert "ROUND_HALF_UP" in prompt  # the short body, whose rounding the tests rely on
    assert prompt.index("def to_cents") < prompt.index("class Inventory")
    assert "raise NotImplementedError" not in prompt  # never another stub's placeholder


def test_without_a_project_nothing_is_imported_into_the_prompt() -> None:
    source = 'from .money import to_cents\n\n\ndef f(x):\n    """\n    >>> f(1)\n    1\n    """\n'
    problem = Problem.from_source(source, find_stubs(source)[0])
    assert "imported from" not in build_request(problem, temperature=0.0, max_tokens=64).messages[-1].content
