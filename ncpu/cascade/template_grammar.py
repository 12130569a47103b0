"""The small expression grammar the template layer enumerates: what each operator accepts, computes and prints.

Operators compute on plain literal values (parsed from the user's examples) and build an ``ast`` node for
the same expression, so that the printed body means exactly what was evaluated. Every operator stays
within size caps: a result too big to be a plausible answer is refused, never computed in full.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

INT_LIMIT = 10**18
LEN_LIMIT = 10_000
POW_BITS = 64
SMALL_INTS = (0, 1, 2, 3, 10)
VOWELS = "aeiouAEIOU"
_PLAIN = frozenset({int, float, bool, str, type(None), list, tuple, set, frozenset, dict})
_SIZED = (str, list, tuple, set, frozenset, dict)

Apply = Callable[..., Any]
Build = Callable[..., ast.expr]


class TooBig(Exception):
    """An operator refused to compute a result beyond the search's caps."""


@dataclass(frozen=True, slots=True)
class Raised:
    """What an expression raised on one example: the names of the exception's classes, most derived first."""

    names: tuple[str, ...]


def raised(exc: BaseException) -> Raised:
    """Record an exception by the names in its class's MRO (how ``raises`` checks match)."""
    return Raised(tuple(cls.__name__ for cls in type(exc).__mro__))


def within_caps(value: Any) -> bool:
    """Whether a value is plain data of a plausible size (ints up to 10**18, containers up to 10,000 items)."""
    kind = type(value)
    if kind is int:
        return -INT_LIMIT <= value <= INT_LIMIT
    if kind not in _PLAIN:
        return False
    if isinstance(value, _SIZED):
        if len(value) > LEN_LIMIT:
            return False
        if kind is list or kind is tuple:
            return all(type(item) is not int or -INT_LIMIT <= item <= INT_LIMIT for item in value)
    return True


# -- kinds: what an expression's values look like across all examples ------------------------------------

_KIND_NAMES = {
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    type(None): "none",
    list: "list",
    tuple: "tuple",
    set: "set",
    frozenset: "set",
    dict: "dict",
}


def _merge(kinds: set[str]) -> str:
    if not kinds:
        return ""
    if len(kinds) == 1:
        return next(iter(kinds))
    return "float" if kinds == {"int", "float"} else "mixed"


def kind_of(values: tuple[Any, ...]) -> tuple[str, str]:
    """Return (kind, element kind) of a value vector; ``Raised`` entries are ignored, ``""`` means unknown."""
    present = [value for value in values if type(value) is not Raised]
    kind = _merge({_KIND_NAMES.get(type(value), "other") for value in present})
    if kind == "str":
        return kind, "str"
    if kind in ("list", "tuple", "set"):
        return kind, _merge({_KIND_NAMES.get(type(item), "other") for value in present for item in value})
    return kind, ""


_NUM = ("int", "float")
_COLL = ("list", "tuple", "set")
_SIGS: dict[str, Callable[[str, str], bool]] = {
    "any": lambda k, e: k not in ("", "mixed"),
    "num": lambda k, e: k in _NUM,
    "int": lambda k, e: k == "int",
    "float": lambda k, e: k == "float",
    "bool": lambda k, e: k == "bool",
    "str": lambda k, e: k == "str",
    "ordered": lambda k, e: k in ("int", "float", "str"),
    "seq": lambda k, e: k in ("str", "list", "tuple"),
    "lt": lambda k, e: k in ("list", "tuple"),
    "sized": lambda k, e: k in ("str", "list", "tuple", "set", "dict"),
    "coll": lambda k, e: k in _COLL,
    "dict": lambda k, e: k == "dict",
    "numcoll": lambda k, e: k in _COLL and e in ("", "int", "float"),
    "intcoll": lambda k, e: k in _COLL and e in ("", "int"),
    "strcoll": lambda k, e: k in _COLL and e in ("", "str"),
    "ordcoll": lambda k, e: k in _COLL and e in ("", "int", "float", "str"),
    "chars": lambda k, e: k == "str" or (k in _COLL and e in ("", "str")),
}


def fits(sig: str, kind: str, elem: str) -> bool:
    """Whether an operand of this kind may take the place of ``sig``."""
    return _SIGS[sig](kind, elem)


def family(kind: str) -> str:
    """Kinds that compare and combine with each other (ints with floats)."""
    return "num" if kind in _NUM else kind


@dataclass(frozen=True, slots=True)
class Op:
    """One operator of the grammar."""

    label: str
    """A short name for debugging (``+``, ``len``, ``filter v > k``)."""
    sigs: tuple[str, ...]
    """What each operand must look like (keys of ``_SIGS``)."""
    apply: Apply
    """Computes the result from operand values; may raise (a failed example) or ``TooBig``."""
    build: Build
    """Builds the expression's ``ast`` from the operands' nodes."""
    same: bool = False
    """Both operands must be of the same family (``str + str``, ``num < num``)."""
    commutative: bool = False
    """Operand order does not matter, so only one order is enumerated."""
    leaf_last: bool = False
    """The last operand must be a parameter or constant (a comprehension's bound, ``n % 2 == 0``)."""
    cost: int = 1
    """What the operator adds to the size of its operands."""


# -- ast builders ------------------------------------------------------------------------------------------


def name(ident: str) -> ast.expr:
    """A variable reference."""
    return ast.Name(id=ident, ctx=ast.Load())


def const(value: Any) -> ast.expr:
    """A literal constant."""
    return ast.Constant(value=value)


def call(func: str, *args: ast.expr, **keywords: Any) -> ast.expr:
    """A call of a builtin; one comprehension argument of an aggregate prints as a generator."""
    kws = [ast.keyword(arg=key, value=const(value)) for key, value in keywords.items()]
    return ast.Call(func=name(func), args=list(args), keywords=kws)


def method(obj: ast.expr, attr: str, *args: ast.expr) -> ast.expr:
    """A method call ``obj.attr(*args)``."""
    return ast.Call(func=ast.Attribute(value=obj, attr=attr, ctx=ast.Load()), args=list(args), keywords=[])


def binop(op: ast.operator) -> Build:
    """A builder for ``left <op> right``."""
    return lambda left, right: ast.BinOp(left=left, op=op, right=right)


def compare(op: ast.cmpop) -> Build:
    """A builder for the comparison ``left <op> right``."""
    return lambda left, right: ast.Compare(left=left, ops=[op], comparators=[right])


def index(obj: ast.expr, key: ast.expr) -> ast.expr:
    """A subscript ``obj[key]``."""
    return ast.Subscript(value=obj, slice=key, ctx=ast.Load())


def reverse(node: ast.expr) -> ast.expr:
    """The slice ``node[::-1]``."""
    return index(node, ast.Slice(lower=None, upper=None, step=const(-1)))


def parity(node: ast.expr, rest: int) -> ast.expr:
    """The test ``node % 2 == rest``."""
    return compare(ast.Eq())(binop(ast.Mod())(node, const(2)), const(rest))
