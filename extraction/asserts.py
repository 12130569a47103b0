"""``assert`` statements that call the stub → checks, read as Python reads them.

The forms people write in docstrings and test modules:

- ``assert f(x) == y`` and ``assert y == f(x)``, with ``y`` any literal (``("ab")`` is the string ``'ab'``,
  as Python parses it): a ``value`` check, judged outside the candidate's process;
- ``assert f(x) == pytest.approx(y)``: a ``value`` check on ``y`` (floats compare with a tolerance anyway);
- everything else that calls the stub (``assert is_even([1, 2])``, ``assert not f(3)``, ``assert
  math.isclose(area(2), 12.566, rel_tol=0.001)``, ``assert set(f(x)) == set([...])``, ``assert sorted(f(x))
  == [...]``, ``assert f(x) > 0``): a ``statement`` check that runs the assert as written, after importing the
  modules it names (``math``, ``pytest``...) that the candidate's module may not import.
"""

from __future__ import annotations

import ast
from typing import Literal

from extraction.check import Check

AssertOrigin = Literal["assert", "doctest", "workspace_test"]
_MODULES = frozenset({"math", "cmath", "pytest", "decimal", "fractions", "statistics", "re", "collections"})


def calls_name(node: ast.AST, name: str) -> bool:
    """Whether ``node`` contains a call of ``name`` (``name(...)`` or ``obj.name(...)``)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            if (isinstance(func, ast.Name) and func.id == name) or (
                isinstance(func, ast.Attribute) and func.attr == name
            ):
                return True
    return False


def _direct_call(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def _literal(node: ast.expr) -> str | None:
    """The literal's source as Python reads it, or ``None``; ``pytest.approx(y)`` counts as ``y``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "approx"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "pytest"
        and len(node.args) == 1
        and not node.keywords
    ):
        node = node.args[0]
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return ast.unparse(node)


def _imports_for(node: ast.AST) -> tuple[str, ...]:
    """``import math`` and the like for the modules the assert names (they may be missing from the module)."""
    used = {
        sub.value.id
        for sub in ast.walk(node)
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id in _MODULES
    }
    return tuple(f"import {module}" for module in sorted(used))


def assert_check(
    statement: ast.Assert, name: str, origin: AssertOrigin, line: int | None, text: str, setup: tuple[str, ...] = ()
) -> Check | None:
    """The check an ``assert`` states about ``name``, or ``None`` when it does not call it."""
    test = statement.test
    if not calls_name(test, name):
        return None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        left, right = test.left, test.comparators[0]
        for call, expected in ((left, right), (right, left)):
            if _direct_call(call, name):
                literal = _literal(expected)
                if literal is not None:
                    return Check(origin, ast.unparse(call), literal, "value", setup, line, text)
    source = ast.unparse(statement)
    return Check(origin, source, None, "statement", (*setup, *_imports_for(statement)), line, text)


def assert_line_check(text: str, name: str, origin: AssertOrigin, line: int | None) -> Check | None:
    """The check of one ``assert ...`` line (a docstring line), or ``None`` if it is not Python."""
    try:
        tree = ast.parse(text.strip())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        return None
    return assert_check(tree.body[0], name, origin, line, text.strip())
