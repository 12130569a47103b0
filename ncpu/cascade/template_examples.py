"""The examples the template search learns from: checks reduced to literal arguments and outcomes.

Only checks that call the stub directly with literal arguments and a literal expectation qualify; the
rest still run in the sandbox, they just cannot guide the search.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from extraction.check import Check
from ncpu.cascade.template_grammar import Raised, within_caps
from ncpu.sandbox.judge import normalize_output
from ncpu.sandbox.values import parse_expected, values_equal

_LITERAL_ERRORS = (ValueError, TypeError, SyntaxError, MemoryError, RecursionError)


@dataclass(frozen=True, slots=True)
class Example:
    """One check reduced to literal data: the arguments in parameter order and the expected outcome."""

    args: tuple[Any, ...]
    mode: str
    """``value``, ``raises`` or ``output``, as in ``Check.mode``."""
    expected: Any
    """The expected value, exception class name or output text."""

    def accepts(self, outcome: Any) -> bool:
        """Whether an expression's outcome on this example passes, judged like the sandbox harness."""
        if type(outcome) is Raised:
            return self.mode == "raises" and self.expected in outcome.names
        try:
            if self.mode == "value":
                return values_equal(outcome, self.expected)
            if self.mode == "output":
                shown = repr(outcome) if outcome is not None else ""
                return normalize_output(shown) == normalize_output(self.expected)
        except Exception:  # an odd comparison is a mismatch, never a crash
            return False
        return False


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        value = ast.literal_eval(node)
    except _LITERAL_ERRORS:
        return False, None
    return within_caps(value), value


def _split_call(source: str) -> ast.Call | None:
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return None
    body = tree.body
    return body if isinstance(body, ast.Call) and isinstance(body.func, ast.Name) else None


def _bind(params: Sequence[str], call: ast.Call) -> tuple[Any, ...] | None:
    if len(call.args) > len(params) or any(isinstance(arg, ast.Starred) for arg in call.args):
        return None
    bound: dict[str, Any] = {}
    for param, node in zip(params, call.args, strict=False):
        ok, bound[param] = _literal(node)
        if not ok:
            return None
    for keyword in call.keywords:
        if keyword.arg is None or keyword.arg not in params or keyword.arg in bound:
            return None
        ok, bound[keyword.arg] = _literal(keyword.value)
        if not ok:
            return None
    # Parameters with defaults the examples leave out: the values are unknown here.
    return tuple(bound[param] for param in params) if len(bound) == len(params) else None


def _expected(check: Check) -> tuple[bool, Any]:
    if check.mode == "raises":
        return bool(check.expected and check.expected.isidentifier()), check.expected
    if check.mode == "output":
        return True, check.expected or ""
    ok, value = parse_expected(check.expected)
    return (True, value) if ok and within_caps(value) else (False, None)


def examples_from_checks(params: Sequence[str], checks: Sequence[Check], name: str | None = None) -> list[Example]:
    """The checks usable for the search: a direct call of the stub with literal arguments and expectation.

    Without ``name``, the stub is taken to be the function called most often by the checks.
    """
    calls = [(check, _split_call(check.call)) for check in checks if check.mode != "statement"]
    names = Counter(call.func.id for _, call in calls if call is not None and isinstance(call.func, ast.Name))
    if not names:
        return []
    callee = name or names.most_common(1)[0][0]
    examples = []
    for check, call in calls:
        if call is None or not isinstance(call.func, ast.Name) or call.func.id != callee:
            continue
        args = _bind(params, call)
        ok, expected = _expected(check)
        if args is not None and ok:
            examples.append(Example(args, check.mode, expected))
    return examples


def weight(value: Any, budget: int) -> int:
    """Count the items in a value, nested ones included, stopping once past ``budget``."""
    if isinstance(value, str):
        return len(value)
    if not isinstance(value, list | tuple | set | frozenset | dict):
        return 1
    total = len(value)
    for item in value.items() if isinstance(value, dict) else value:
        if total > budget:
            break
        total += weight(item, budget - total)
    return total
