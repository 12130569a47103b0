"""The template layer: a small enumerative synthesizer over the arguments, no model.

Expressions are built bottom-up by size from the parameters, constants seen in the examples, and a
small grammar (arithmetic, comparisons, common list/str builtins and methods). Each expression is
evaluated on the literal arguments of the value checks; expressions with the same outputs as a
smaller one are pruned (observational equivalence), and those that reproduce every expected value
come first. Only our own enumerated expressions run here, on literal data, with every error caught;
the caller verifies the resulting bodies in the sandbox against all checks.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable, Sequence
from typing import Any

from extraction.check import Check

_UNARY: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("-{0}", lambda a: -a),
    ("abs({0})", abs),
    ("len({0})", len),
    ("sum({0})", sum),
    ("max({0})", max),
    ("min({0})", min),
    ("sorted({0})", sorted),
    ("sorted({0}, reverse=True)", lambda a: sorted(a, reverse=True)),
    ("list(reversed({0}))", lambda a: list(reversed(a))),
    ("{0}[::-1]", lambda a: a[::-1]),
    ("sorted(set({0}))", lambda a: sorted(set(a))),
    ("len(set({0}))", lambda a: len(set(a))),
    ("not {0}", lambda a: not a),
    ("bool({0})", bool),
    ("str({0})", str),
    ("int({0})", int),
    ("float({0})", float),
    ("round({0})", round),
    ("any({0})", any),
    ("all({0})", all),
    ("{0}.upper()", lambda a: a.upper()),
    ("{0}.lower()", lambda a: a.lower()),
    ("{0}.strip()", lambda a: a.strip()),
    ("{0}.split()", lambda a: a.split()),
    ("{0}.title()", lambda a: a.title()),
    ("{0}.swapcase()", lambda a: a.swapcase()),
    ("{0}.capitalize()", lambda a: a.capitalize()),
    ("''.join(sorted({0}))", lambda a: "".join(sorted(a))),
    ("{0} % 2 == 0", lambda a: a % 2 == 0),
    ("{0} % 2 == 1", lambda a: a % 2 == 1),
    ("{0} * {0}", lambda a: a * a),
    ("[e * 2 for e in {0}]", lambda a: [e * 2 for e in a]),
    ("[e * e for e in {0}]", lambda a: [e * e for e in a]),
    ("[e for e in {0} if e > 0]", lambda a: [e for e in a if e > 0]),
    ("[e for e in {0} if e % 2 == 0]", lambda a: [e for e in a if e % 2 == 0]),
    ("[e for e in {0} if e % 2 == 1]", lambda a: [e for e in a if e % 2 == 1]),
    ("sum(e for e in {0} if e % 2 == 0)", lambda a: sum(e for e in a if e % 2 == 0)),
    ("sum(e * e for e in {0})", lambda a: sum(e * e for e in a)),
)
_BINARY: tuple[tuple[str, Callable[[Any, Any], Any]], ...] = (
    ("{0} + {1}", lambda a, b: a + b),
    ("{0} - {1}", lambda a, b: a - b),
    ("{0} * {1}", lambda a, b: _mul(a, b)),
    ("{0} / {1}", lambda a, b: a / b),
    ("{0} // {1}", lambda a, b: a // b),
    ("{0} % {1}", lambda a, b: a % b),
    ("{0} ** {1}", lambda a, b: a**b if abs(b) <= 64 and abs(a) <= 10**6 else None),
    ("{0} == {1}", lambda a, b: a == b),
    ("{0} != {1}", lambda a, b: a != b),
    ("{0} < {1}", lambda a, b: a < b),
    ("{0} <= {1}", lambda a, b: a <= b),
    ("{0} > {1}", lambda a, b: a > b),
    ("{0} >= {1}", lambda a, b: a >= b),
    ("{0} and {1}", lambda a, b: a and b),
    ("{0} or {1}", lambda a, b: a or b),
    ("max({0}, {1})", max),
    ("min({0}, {1})", min),
    ("{0} in {1}", lambda a, b: a in b),
    ("{1}.count({0})", lambda a, b: b.count(a)),
)
_MAX_LEN = 10_000
_MAX_INT = 10**18
MIN_EXAMPLES = {1: 2, 2: 4}
"""Examples needed before accepting an expression with that many operations: two examples are
matched by far too many two-operation expressions (``len(s) % 2 == 0`` "is" a palindrome test)."""


def _mul(a: Any, b: Any) -> Any:
    sequence = isinstance(a, str | list | tuple) or isinstance(b, str | list | tuple)
    if sequence and isinstance(a, int) and isinstance(b, int) is False and abs(a) > _MAX_LEN:
        return None
    if sequence and isinstance(b, int) and abs(b) > _MAX_LEN:
        return None
    return a * b


def _call_args(check: Check, params: Sequence[str]) -> tuple[Any, ...] | None:
    try:
        node = ast.parse(check.call, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call):
        return None
    try:
        positional = [ast.literal_eval(arg) for arg in node.args]
        keywords = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords}
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if any(name is None for name in keywords) or len(positional) + len(keywords) != len(params):
        return None
    values = list(positional)
    for name in params[len(positional) :]:
        if name not in keywords:
            return None
        values.append(keywords[name])
    return tuple(values)


def _key(values: tuple[Any, ...]) -> str | None:
    try:
        return repr([(type(v).__name__, v) for v in values])
    except Exception:
        return None


def _sane(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return abs(value) <= _MAX_INT
    if isinstance(value, str | list | tuple | set | dict):
        return len(value) <= _MAX_LEN
    return isinstance(value, float | type(None))


def _matches(outputs: tuple[Any, ...], expected: tuple[Any, ...]) -> bool:
    from ncpu.sandbox.harness import values_equal

    return all(values_equal(a, e) for a, e in zip(outputs, expected, strict=True))


def template_bodies(
    params: Sequence[str], checks: Sequence[Check], *, limit: int = 2000, time_budget_s: float = 0.5
) -> list[str]:
    """Candidate bodies, those reproducing every usable example first; ``[]`` when no example is usable."""
    rows: list[tuple[Any, ...]] = []
    expected: list[Any] = []
    for check in checks:
        if check.mode != "value" or check.expected is None:
            continue
        args = _call_args(check, params)
        if args is None:
            continue
        try:
            expected.append(ast.literal_eval(check.expected))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        rows.append(args)
    if not rows or not params:
        return []
    goal = tuple(expected)
    deadline = time.monotonic() + time_budget_s
    seen: dict[str, str] = {}
    levels: list[list[tuple[str, tuple[Any, ...]]]] = [[]]
    matching: list[str] = []
    constant_exprs: set[str] = set()
    size = 0

    def add(expr: str, values: tuple[Any, ...], level: list[tuple[str, tuple[Any, ...]]]) -> None:
        if not all(_sane(v) for v in values):
            return
        key = _key(values)
        if key is None or key in seen:
            return
        seen[key] = expr
        level.append((expr, values))
        uses_params = any(name in expr for name in params)
        if uses_params and len(rows) >= MIN_EXAMPLES.get(size, 99) and _matches(values, goal):
            matching.append(f"return {expr}\n")

    for index, name in enumerate(params):
        add(name, tuple(row[index] for row in rows), levels[0])
    constants = {e for e in expected if isinstance(e, int | str) and not isinstance(e, bool)} | {0, 1, 2}
    for constant in sorted(constants, key=repr)[:8]:
        constant_exprs.add(repr(constant))
        add(repr(constant), tuple(constant for _ in rows), levels[0])
    for size in (1, 2):
        if matching or time.monotonic() > deadline or len(rows) < MIN_EXAMPLES[size]:
            break
        level: list[tuple[str, tuple[Any, ...]]] = []
        pool = [item for lvl in levels for item in lvl]
        for expr, values in pool:
            if expr in constant_exprs:
                continue
            for template, function in _UNARY:
                _try(add, template.format(expr if " " not in expr else f"({expr})"), function, (values,), level)
            if time.monotonic() > deadline:
                break
        for left_expr, left in pool:
            if time.monotonic() > deadline:
                break
            for right_expr, right in pool:
                if left_expr in constant_exprs and right_expr in constant_exprs:
                    continue
                for template, binary in _BINARY:
                    l_text = left_expr if " " not in left_expr else f"({left_expr})"
                    r_text = right_expr if " " not in right_expr else f"({right_expr})"
                    _try(add, template.format(l_text, r_text), binary, (left, right), level)
        levels.append(level)
    return matching[:limit]


def _try(
    add: Callable[[str, tuple[Any, ...], list[tuple[str, tuple[Any, ...]]]], None],
    expr: str,
    function: Callable[..., Any],
    columns: tuple[tuple[Any, ...], ...],
    level: list[tuple[str, tuple[Any, ...]]],
) -> None:
    try:
        values = tuple(function(*args) for args in zip(*columns, strict=True))
    except Exception:
        return
    add(expr, values, level)
