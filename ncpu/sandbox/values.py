"""Values across the process boundary: encoded by the candidate's process, compared by the worker.

A candidate's return value is untrusted: its ``__eq__``, ``__repr__`` or the builtins it sees may
all be patched. The child therefore never decides a value check on its own: it sends the value as a
tree of plain builtin types (``encode``), read through the base types' own methods so that an
overridden method of a subclass is never called, and the worker rebuilds it (``decode``) and compares
it with the expected literal it parsed itself (``parse_expected``). Anything that is not a plain value
(a custom class, a numpy array) is sent as ``opaque`` and cannot pass a value check judged outside.

Stays importable with the standard library alone (it runs in the forked child).
"""

from __future__ import annotations

import ast
import decimal
import fractions
import math
from typing import Any

__all__ = ["Opaque", "decode", "encode", "parse_expected", "values_equal"]

REL_TOL = 1e-6
ABS_TOL = 1e-6
MAX_DEPTH = 100
MAX_NODES = 200_000
MAX_LITERAL_CHARS = 100_000


class Opaque:
    """A value the child could not reduce to plain types (only its type name travels)."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


class _ListSubclass(list):
    """Stands for an instance of a ``list`` subclass: not ``type(...) is list``, compares as a list."""

    __slots__ = ()


class _TupleSubclass(tuple):
    """Stands for an instance of a ``tuple`` subclass (a namedtuple): compares element-wise as a tuple."""

    __slots__ = ()


class _TooLarge(Exception):
    pass


def values_equal(actual: Any, expected: Any) -> bool:
    """Compare like a careful test: floats with a tolerance, containers element by element."""
    if isinstance(actual, Opaque):
        return False
    if isinstance(expected, float) or (isinstance(actual, float) and isinstance(expected, int)):
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            return False
        if math.isnan(expected) and math.isnan(actual):
            return True
        return math.isclose(actual, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(expected, list | tuple) and type(actual) is type(expected):
        return len(actual) == len(expected) and all(values_equal(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(values_equal(actual[k], expected[k]) for k in expected)
    result = actual == expected
    return result if isinstance(result, bool) else bool(result is True)


def parse_expected(source: str | None) -> tuple[bool, Any]:
    """``(True, value)`` when ``source`` is a literal the worker can judge without running code."""
    if source is None or len(source) > MAX_LITERAL_CHARS:
        return False, None
    try:
        return True, ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


# Bound at import, before any candidate runs: a candidate that rebinds the builtins does not reach these.
def encode(
    value: Any,
    *,
    _type: Any = type,
    _int: Any = int,
    _float: Any = float,
    _complex: Any = complex,
    _str: Any = str,
    _bytes: Any = bytes,
    _list: Any = list,
    _tuple: Any = tuple,
    _dict: Any = dict,
    _set: Any = set,
    _frozenset: Any = frozenset,
    _issubclass: Any = issubclass,
    _decimal: Any = decimal.Decimal,
    _fraction: Any = fractions.Fraction,
    _id: Any = id,
) -> Any:
    """``value`` as JSON-ready nested lists of plain types; ``["?", type name]`` for anything else."""
    budget = [MAX_NODES]

    def walk(item: Any, depth: int, path: set[int]) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise _TooLarge()
        kind = _type(item)
        if item is None:
            return ["N"]
        if item is True or item is False:
            return ["b", item is True]
        if depth > MAX_DEPTH:
            raise _TooLarge()
        if _issubclass(kind, _int):
            return ["i", _int.__format__(item, "x")]
        if _issubclass(kind, _float):
            return ["f", _float.__repr__(item)]
        if _issubclass(kind, _complex):
            return ["c", _float.__repr__(_complex.real.__get__(item)), _float.__repr__(_complex.imag.__get__(item))]
        if _issubclass(kind, _str):
            return ["s", _str.__str__(item)]
        if _issubclass(kind, _bytes):
            return ["y", _bytes.hex(item)]
        if kind is _decimal:
            return ["D", _decimal.__str__(item)]
        if kind is _fraction:
            return ["Q", _int.__format__(item.numerator, "x"), _int.__format__(item.denominator, "x")]
        marker = _id(item)
        if marker in path:  # a container that contains itself
            return ["?", kind.__name__]
        inner = path | {marker}
        if _issubclass(kind, _list):
            return ["l" if kind is _list else "L", [walk(x, depth + 1, inner) for x in _list.__iter__(item)]]
        if _issubclass(kind, _tuple):
            return ["t" if kind is _tuple else "T", [walk(x, depth + 1, inner) for x in _tuple.__iter__(item)]]
        if _issubclass(kind, _dict):
            pairs = [[walk(k, depth + 1, inner), walk(v, depth + 1, inner)] for k, v in _dict.items(item)]
            return ["d", pairs]
        if _issubclass(kind, _frozenset):
            return ["F", [walk(x, depth + 1, inner) for x in _frozenset.__iter__(item)]]
        if _issubclass(kind, _set):
            return ["S", [walk(x, depth + 1, inner) for x in _set.__iter__(item)]]
        return ["?", _str(_type.__getattribute__(kind, "__name__"))]

    try:
        return walk(value, 0, set())
    except _TooLarge:
        return ["?", "value too large or too deep"]
    except BaseException:  # a candidate that sabotaged the encoder only fails its own check
        return ["?", "unencodable value"]


def decode(tree: Any, depth: int = 0) -> Any:
    """Rebuild a value from ``encode``'s output; raises ``ValueError`` for anything malformed."""
    if depth > MAX_DEPTH + 2 or not isinstance(tree, list) or not tree or not isinstance(tree[0], str):
        raise ValueError("malformed value")
    tag, args = tree[0], tree[1:]
    try:
        if tag == "N":
            return None
        if tag == "b":
            return args[0] is True
        if tag == "i":
            return int(args[0], 16)
        if tag == "f":
            return float(args[0])
        if tag == "c":
            return complex(float(args[0]), float(args[1]))
        if tag == "s":
            return _text(args[0])
        if tag == "y":
            return bytes.fromhex(args[0])
        if tag == "D":
            return decimal.Decimal(_text(args[0]))
        if tag == "Q":
            return fractions.Fraction(int(args[0], 16), int(args[1], 16))
        if tag == "?":
            return Opaque(_text(args[0])[:100])
        items = args[0]
        if not isinstance(items, list):
            raise ValueError("malformed container")
        if tag == "d":
            return {decode(k, depth + 1): decode(v, depth + 1) for k, v in items}
        containers: dict[str, Any] = {
            "l": list,
            "L": _ListSubclass,
            "t": tuple,
            "T": _TupleSubclass,
            "S": set,
            "F": frozenset,
        }
        return containers[tag](decode(x, depth + 1) for x in items)
    except (IndexError, KeyError, TypeError, ArithmeticError, decimal.InvalidOperation) as exc:
        raise ValueError(f"malformed value: {exc}") from None


def _text(item: Any) -> str:
    if not isinstance(item, str):
        raise ValueError("malformed text")
    return item
