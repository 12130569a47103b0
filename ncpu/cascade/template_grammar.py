"""The small expression grammar the template layer enumerates: what each operator accepts, computes and prints.

Operators compute on plain literal values (parsed from the user's examples) and build an ``ast`` node for
the same expression, so that the printed body means exactly what was evaluated. Every operator stays
within size caps: a result too big to be a plausible answer is refused, never computed in full.
"""

from __future__ import annotations

import ast
import operator
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
_AGGREGATES = frozenset({"sum", "max", "min", "any", "all", "sorted", "set"})

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

_KIND_NAMES = {bool: "bool", int: "int", float: "float", str: "str", type(None): "none", list: "list",
               tuple: "tuple", set: "set", frozenset: "set", dict: "dict"}


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
    """A short name for debugging (``+``, ``len``, ``map v * k``)."""
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
    leaf_right: bool = False
    """The right operand must be a parameter or constant (a comprehension's bound)."""
    cost: int = 1


# -- ast builders ------------------------------------------------------------------------------------------

def name(ident: str) -> ast.expr:
    """A variable reference."""
    return ast.Name(id=ident, ctx=ast.Load())


def const(value: Any) -> ast.expr:
    """A literal constant."""
    return ast.Constant(value=value)


def _as_generator(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.ListComp):
        return ast.GeneratorExp(elt=node.elt, generators=node.generators)
    return node


def _call(func: str, *args: ast.expr, **keywords: Any) -> ast.expr:
    arguments = [_as_generator(args[0])] if func in _AGGREGATES and len(args) == 1 and not keywords else list(args)
    kws = [ast.keyword(arg=key, value=const(value)) for key, value in keywords.items()]
    return ast.Call(func=name(func), args=arguments, keywords=kws)


def _method(obj: ast.expr, method: str, *args: ast.expr) -> ast.expr:
    return ast.Call(func=ast.Attribute(value=obj, attr=method, ctx=ast.Load()), args=list(args), keywords=[])


def _binop(op: ast.operator) -> Build:
    return lambda left, right: ast.BinOp(left=left, op=op, right=right)


def _compare(op: ast.cmpop) -> Build:
    return lambda left, right: ast.Compare(left=left, ops=[op], comparators=[right])


def _index(obj: ast.expr, index: ast.expr) -> ast.expr:
    return ast.Subscript(value=obj, slice=index, ctx=ast.Load())


def _reverse(node: ast.expr) -> ast.expr:
    return _index(node, ast.Slice(lower=None, upper=None, step=const(-1)))


def _parity(node: ast.expr, rest: int) -> ast.expr:
    return _compare(ast.Eq())(_binop(ast.Mod())(node, const(2)), const(rest))


# -- guarded arithmetic -------------------------------------------------------------------------------------

def _pow(base: Any, exponent: Any) -> Any:
    if abs(exponent) > POW_BITS:
        raise TooBig
    if type(base) is int and type(exponent) is int and abs(base) > 1 and base.bit_length() * exponent > POW_BITS:
        raise TooBig
    return base**exponent


def _repeat(seq: Any, times: int) -> Any:
    if len(seq) * max(times, 0) > LEN_LIMIT:
        raise TooBig
    return seq * times


def _parity_of(rest: int) -> Apply:
    return lambda value: value % 2 == rest


def _method_of(method: str) -> Apply:
    return lambda value: getattr(value, method)()


# -- the operator tables ------------------------------------------------------------------------------------

def unary_ops() -> list[Op]:
    """Operators of one operand, cheapest and most common first."""
    ops = [
        Op("neg", ("num",), operator.neg, lambda x: ast.UnaryOp(op=ast.USub(), operand=x)),
        Op("abs", ("num",), abs, lambda x: _call("abs", x)),
        Op("even", ("int",), _parity_of(0), lambda x: _parity(x, 0)),
        Op("odd", ("int",), _parity_of(1), lambda x: _parity(x, 1)),
        Op("not", ("bool",), operator.not_, lambda x: ast.UnaryOp(op=ast.Not(), operand=x)),
        Op("len", ("sized",), len, lambda x: _call("len", x)),
        Op("sum", ("numcoll",), sum, lambda x: _call("sum", x)),
        Op("max", ("ordcoll",), max, lambda x: _call("max", x)),
        Op("min", ("ordcoll",), min, lambda x: _call("min", x)),
        Op("sorted", ("ordcoll",), sorted, lambda x: _call("sorted", x)),
        Op("reverse", ("seq",), lambda x: x[::-1], _reverse),
        Op("reversed", ("coll",), lambda x: list(reversed(x)), lambda x: _call("list", _call("reversed", x))),
        Op("desc", ("ordcoll",), lambda x: sorted(x, reverse=True), lambda x: _call("sorted", x, reverse=True)),
        Op("set", ("chars",), set, lambda x: _call("set", x)),
        Op("uniq", ("ordcoll",), lambda x: sorted(set(x)), lambda x: _call("sorted", _call("set", x))),
        Op("any", ("coll",), any, lambda x: _call("any", x)),
        Op("all", ("coll",), all, lambda x: _call("all", x)),
        Op("first", ("seq",), lambda x: x[0], lambda x: _index(x, const(0))),
        Op("last", ("seq",), lambda x: x[-1], lambda x: _index(x, const(-1))),
        Op("join", ("strcoll",), "".join, lambda x: _method(const(""), "join", x)),
        Op("join_space", ("strcoll",), " ".join, lambda x: _method(const(" "), "join", x)),
        Op("str", ("num",), str, lambda x: _call("str", x)),
        Op("int", ("float",), int, lambda x: _call("int", x)),
        Op("float", ("int",), float, lambda x: _call("float", x)),
        Op("round", ("float",), round, lambda x: _call("round", x)),
        Op("int_str", ("str",), int, lambda x: _call("int", x)),
        Op("float_str", ("str",), float, lambda x: _call("float", x)),
        Op("list", ("str",), list, lambda x: _call("list", x)),
        Op("sort_chars", ("str",), lambda x: "".join(sorted(x)),
           lambda x: _method(const(""), "join", _call("sorted", x))),
        Op("values", ("dict",), lambda x: list(x.values()), lambda x: _call("list", _method(x, "values"))),
        Op("keys", ("dict",), sorted, lambda x: _call("sorted", x)),
    ]
    for method in ("upper", "lower", "strip", "split", "title", "swapcase", "capitalize",
                   "isdigit", "isalpha", "isupper", "islower"):
        ops.append(Op(method, ("str",), _method_of(method), lambda x, m=method: _method(x, m)))
    return ops


def binary_ops() -> list[Op]:
    """Operators of two operands."""
    arith: list[tuple[str, Apply, ast.operator, bool]] = [
        ("+", operator.add, ast.Add(), True), ("-", operator.sub, ast.Sub(), False),
        ("*", operator.mul, ast.Mult(), True), ("/", operator.truediv, ast.Div(), False),
        ("//", operator.floordiv, ast.FloorDiv(), False), ("%", operator.mod, ast.Mod(), False),
        ("**", _pow, ast.Pow(), False),
    ]
    ops = [Op(label, ("num", "num"), fn, _binop(node), commutative=comm) for label, fn, node, comm in arith]
    ops += [
        Op("concat", ("seq", "seq"), operator.add, _binop(ast.Add()), same=True),
        Op("repeat", ("seq", "int"), _repeat, _binop(ast.Mult())),
        Op("max2", ("num", "num"), max, lambda a, b: _call("max", a, b), commutative=True),
        Op("min2", ("num", "num"), min, lambda a, b: _call("min", a, b), commutative=True),
        Op("and", ("bool", "bool"), lambda a, b: a and b, lambda a, b: ast.BoolOp(op=ast.And(), values=[a, b])),
        Op("or", ("bool", "bool"), lambda a, b: a or b, lambda a, b: ast.BoolOp(op=ast.Or(), values=[a, b])),
        Op("count", ("str", "str"), lambda a, b: a.count(b), lambda a, b: _method(a, "count", b)),
        Op("count_item", ("lt", "any"), lambda a, b: a.count(b), lambda a, b: _method(a, "count", b)),
        Op("in", ("str", "str"), lambda a, b: a in b, _compare(ast.In())),
        Op("in_coll", ("any", "coll"), lambda a, b: a in b, _compare(ast.In())),
        Op("index", ("seq", "int"), lambda a, b: a[b], _index),
        Op("round_to", ("float", "int"), round, lambda a, b: _call("round", a, b)),
        Op("startswith", ("str", "str"), lambda a, b: a.startswith(b), lambda a, b: _method(a, "startswith", b)),
        Op("endswith", ("str", "str"), lambda a, b: a.endswith(b), lambda a, b: _method(a, "endswith", b)),
        Op("split_on", ("str", "str"), lambda a, b: a.split(b), lambda a, b: _method(a, "split", b)),
        Op("join_with", ("str", "strcoll"), lambda a, b: a.join(b), lambda a, b: _method(a, "join", b)),
    ]
    for label, fn, cmp_node in (("==", operator.eq, ast.Eq()), ("!=", operator.ne, ast.NotEq())):
        ops.append(Op(label, ("any", "any"), fn, _compare(cmp_node), same=True, commutative=True))
    for label, fn, cmp_node in (("<", operator.lt, ast.Lt()), ("<=", operator.le, ast.LtE()),
                                (">", operator.gt, ast.Gt()), (">=", operator.ge, ast.GtE())):
        ops.append(Op(label, ("any", "any"), fn, _compare(cmp_node), same=True))
    return ops
