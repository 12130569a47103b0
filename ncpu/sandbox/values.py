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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _strict_key(value: Any) -> Any:
    """A hashable stand-in under which ``1``, ``1.0`` and ``True`` differ (for set elements and dict keys)."""
    if isinstance(value, tuple):
        return ("tuple", tuple(_strict_key(item) for item in value))
    if isinstance(value, frozenset):
        return ("frozenset", frozenset(_strict_key(item) for item in value))
    kind = next((k for k in (bool, int, float, complex, str, bytes) if isinstance(value, k)), type(value))
    return (kind.__name__, value)


def values_equal(actual: Any, expected: Any, *, float_result: bool = False) -> bool:
    """Compare like a careful test, and strictly: an ``int`` never equals a ``float`` (nor a ``bool``).

    A float tolerance (``REL_TOL``, ``ABS_TOL``) applies only where the example says float: the expected
    value is a ``float`` literal (``0.3``), or ``float_result`` (the function is annotated ``-> float``)
    and the example is a number. So ``10000009.0`` does not pass ``10000000``, nor ``4.0`` pass ``4``.
    Containers compare element by element under the same rules; never raises for odd values.
    """
    if isinstance(actual, Opaque):
        return False
    if isinstance(expected, float) or (float_result and _is_number(expected) and isinstance(actual, float)):
        if not _is_number(actual):
            return False
        try:
            if math.isnan(expected) or math.isnan(actual):
                return math.isnan(expected) and math.isnan(actual)
            return math.isclose(actual, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL)
        except (OverflowError, ValueError, TypeError):  # an int too large for a float is not this float
            return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual is expected
    if isinstance(actual, float) and isinstance(expected, int | decimal.Decimal | fractions.Fraction):
        return False  # the example is exact: a float is not it, however close
    if isinstance(expected, list | tuple) or isinstance(actual, list | tuple):
        same_kind = isinstance(expected, list) == isinstance(actual, list) and isinstance(
            expected, tuple
        ) == isinstance(actual, tuple)  # a namedtuple's stand-in is a tuple; a list is never a tuple
        return (
            same_kind
            and len(actual) == len(expected)
            and all(values_equal(a, e, float_result=float_result) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = {_strict_key(k): k for k in actual}
        return len(keys) == len(actual) == len(expected) and all(
            _strict_key(k) in keys and values_equal(actual[keys[_strict_key(k)]], v, float_result=float_result)
            for k, v in expected.items()
        )
    if isinstance(expected, set | frozenset) and isinstance(actual, set | frozenset):
        return {_strict_key(x) for x in actual} == {_strict_key(x) for x in expected}
    try:
        result = actual == expected
    except Exception:
        return False
    return result if isinstance(result, bool) else bool(result is True)


def parse_expected(source: str | None) -> tuple[bool, Any]:
    """``(True, value)`` when the worker can work out ``source`` without running anyone's code.

    The one reading of a check's expected value: the judge, the template synthesizer's examples and the
    evidence rules all parse it here. Literals (``ast.literal_eval``), and the constant expressions examples often hold: arithmetic on
    numbers (``10 ** 18 + 7``, ``-1/3``), ``float('nan')``, ``float('inf')``, containers of those. Sizes
    are bounded; anything else (a name, a call of the candidate's) is ``(False, None)``: judged in the child.
    """
    if source is None or len(source) > MAX_LITERAL_CHARS:
        return False, None
    try:
        return True, ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    try:
        return True, _constant(ast.parse(source.strip(), mode="eval").body, [MAX_NODES])
    except (_NotConstant, ValueError, SyntaxError, TypeError, MemoryError, RecursionError, ArithmeticError):
        return False, None


class _NotConstant(Exception):
    pass


_MAX_BITS = 100_000
_OPERATORS: dict[type, Any] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
}
_FLOAT_WORDS = {"nan", "inf", "-inf", "+inf", "infinity", "-infinity"}


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | complex):
        raise _NotConstant()
    if isinstance(value, int) and value.bit_length() > _MAX_BITS:
        raise _NotConstant()
    return value


def _constant(node: ast.AST, budget: list[int]) -> Any:
    """The value of a constant expression built only of numbers, arithmetic, containers and float('nan')."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _NotConstant()
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _number(_constant(node.operand, budget))
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.BinOp):
        left, right = _number(_constant(node.left, budget)), _number(_constant(node.right, budget))
        if isinstance(node.op, ast.Pow):
            if isinstance(right, int) and isinstance(left, int):
                if right < 0 or right > _MAX_BITS or abs(left).bit_length() * right > _MAX_BITS:
                    raise _NotConstant()
            elif isinstance(left, complex) or isinstance(right, complex) or abs(right) > 1_000:
                raise _NotConstant()
            return _number(left**right)
        operator = _OPERATORS.get(type(node.op))
        if operator is None:
            raise _NotConstant()
        return _number(operator(left, right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float" and not node.keywords:
        word = node.args[0].value if len(node.args) == 1 and isinstance(node.args[0], ast.Constant) else None
        if isinstance(word, str) and word.strip().lower() in _FLOAT_WORDS:
            return float(word)
        raise _NotConstant()
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items = [_constant(item, budget) for item in node.elts]
        return (
            list(items) if isinstance(node, ast.List) else tuple(items) if isinstance(node, ast.Tuple) else set(items)
        )
    if isinstance(node, ast.Dict) and all(key is not None for key in node.keys):
        return {_constant(k, budget): _constant(v, budget) for k, v in zip(node.keys, node.values, strict=True) if k}
    raise _NotConstant()


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


MAX_INT_DIGITS = 100_000
"""Hex digits of one decoded ``int`` (400,000 bits); parsing hex is linear, so this bounds time too."""
MAX_HASHED_ITEMS = 5_000
"""Elements of all the sets and dicts in one value: a candidate can make every hash collide."""
MAX_PART_DIGITS = 10_000
"""Hex digits of a ``Fraction``'s parts and characters of a ``Decimal``: normalizing is quadratic."""


def decode(tree: Any, depth: int = 0, budget: list[int] | None = None) -> Any:
    """Rebuild a value from ``encode``'s output; raises ``ValueError`` for anything malformed or too large."""
    budget = [MAX_NODES, MAX_HASHED_ITEMS] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError("value too large")
    if depth > MAX_DEPTH + 2 or not isinstance(tree, list) or not tree or not isinstance(tree[0], str):
        raise ValueError("malformed value")
    tag, args = tree[0], tree[1:]
    try:
        if tag == "N":
            return None
        if tag == "b":
            return args[0] is True
        if tag == "i":
            return int(_text(args[0], MAX_INT_DIGITS), 16)
        if tag == "f":
            return float(_text(args[0], 64))
        if tag == "c":
            return complex(float(_text(args[0], 64)), float(_text(args[1], 64)))
        if tag == "s":
            return _text(args[0])
        if tag == "y":
            return bytes.fromhex(_text(args[0]))
        if tag == "D":
            return decimal.Decimal(_text(args[0], MAX_PART_DIGITS))
        if tag == "Q":
            parts = (int(_text(args[0], MAX_PART_DIGITS), 16), int(_text(args[1], MAX_PART_DIGITS), 16))
            return fractions.Fraction(*parts)
        if tag == "?":
            return Opaque(_text(args[0])[:100])
        items = args[0]
        if not isinstance(items, list):
            raise ValueError("malformed container")
        if tag in ("d", "S", "F"):
            # Hashing is quadratic when every key collides (multiples of 2**61 - 1 all hash to 0): the
            # elements of all the sets and dicts of one value are counted together.
            budget[1] -= len(items)
            if budget[1] < 0:
                raise ValueError("sets or dicts too large to judge")
        if tag == "d":
            return {decode(k, depth + 1, budget): decode(v, depth + 1, budget) for k, v in items}
        containers: dict[str, Any] = {
            "l": list,
            "L": _ListSubclass,
            "t": tuple,
            "T": _TupleSubclass,
            "S": set,
            "F": frozenset,
        }
        return containers[tag](decode(x, depth + 1, budget) for x in items)
    except (IndexError, KeyError, TypeError, ArithmeticError, decimal.InvalidOperation) as exc:
        raise ValueError(f"malformed value: {exc}") from None


def _text(item: Any, limit: int | None = None) -> str:
    if not isinstance(item, str):
        raise ValueError("malformed text")
    if limit is not None and len(item) > limit:
        raise ValueError("value too large to judge")
    return item
