"""The operator tables of the template grammar: scalar, string and collection operators.

Each operator pairs a guarded computation on plain values with the ``ast`` it prints as.
"""

from __future__ import annotations

import ast
import operator
from typing import Any

from ncpu.cascade.template_grammar import (
    LEN_LIMIT,
    POW_BITS,
    Apply,
    Op,
    TooBig,
    binop,
    call,
    compare,
    const,
    index,
    method,
    parity,
    reverse,
)

# -- guarded arithmetic -------------------------------------------------------------------------------------


def guarded_pow(base: Any, exponent: Any) -> Any:
    """``base ** exponent``, refused (``TooBig``) when the result would be huge."""
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


def _method_of(attr: str) -> Apply:
    return lambda value: getattr(value, attr)()


# -- the operator tables ------------------------------------------------------------------------------------


def unary_ops() -> list[Op]:
    """Operators of one operand, cheapest and most common first."""
    ops = [
        Op("neg", ("num",), operator.neg, lambda x: ast.UnaryOp(op=ast.USub(), operand=x)),
        Op("abs", ("num",), abs, lambda x: call("abs", x)),
        Op("even", ("int",), _parity_of(0), lambda x: parity(x, 0)),
        Op("odd", ("int",), _parity_of(1), lambda x: parity(x, 1)),
        Op("not", ("bool",), operator.not_, lambda x: ast.UnaryOp(op=ast.Not(), operand=x)),
        Op("len", ("sized",), len, lambda x: call("len", x)),
        Op("sum", ("numcoll",), sum, lambda x: call("sum", x)),
        Op("max", ("ordcoll",), max, lambda x: call("max", x)),
        Op("min", ("ordcoll",), min, lambda x: call("min", x)),
        Op("sorted", ("ordcoll",), sorted, lambda x: call("sorted", x)),
        Op("reverse", ("seq",), lambda x: x[::-1], reverse),
        Op("reversed", ("coll",), lambda x: list(reversed(x)), lambda x: call("list", call("reversed", x))),
        Op("desc", ("ordcoll",), lambda x: sorted(x, reverse=True), lambda x: call("sorted", x, reverse=True)),
        Op("set", ("chars",), set, lambda x: call("set", x)),
        Op("uniq", ("ordcoll",), lambda x: sorted(set(x)), lambda x: call("sorted", call("set", x))),
        Op("any", ("coll",), any, lambda x: call("any", x)),
        Op("all", ("coll",), all, lambda x: call("all", x)),
        Op("first", ("seq",), lambda x: x[0], lambda x: index(x, const(0))),
        Op("last", ("seq",), lambda x: x[-1], lambda x: index(x, const(-1))),
        Op("join", ("strcoll",), "".join, lambda x: method(const(""), "join", x)),
        Op("join_space", ("strcoll",), " ".join, lambda x: method(const(" "), "join", x)),
        Op("str", ("num",), str, lambda x: call("str", x)),
        Op("int", ("float",), int, lambda x: call("int", x)),
        Op("float", ("int",), float, lambda x: call("float", x)),
        Op("round", ("float",), round, lambda x: call("round", x)),
        Op("int_str", ("str",), int, lambda x: call("int", x)),
        Op("float_str", ("str",), float, lambda x: call("float", x)),
        Op("list", ("str",), list, lambda x: call("list", x)),
        Op("sort_chars", ("str",), lambda x: "".join(sorted(x)),
           lambda x: method(const(""), "join", call("sorted", x))),
        Op("values", ("dict",), lambda x: list(x.values()), lambda x: call("list", method(x, "values"))),
        Op("keys", ("dict",), sorted, lambda x: call("sorted", x)),
    ]
    for attr in ("upper", "lower", "strip", "split", "title", "swapcase", "capitalize",
                 "isdigit", "isalpha", "isupper", "islower"):
        ops.append(Op(attr, ("str",), _method_of(attr), lambda x, m=attr: method(x, m)))
    return ops


def binary_ops() -> list[Op]:
    """Operators of two operands."""
    arith: list[tuple[str, Apply, ast.operator, bool]] = [
        ("+", operator.add, ast.Add(), True), ("-", operator.sub, ast.Sub(), False),
        ("*", operator.mul, ast.Mult(), True), ("/", operator.truediv, ast.Div(), False),
        ("//", operator.floordiv, ast.FloorDiv(), False), ("%", operator.mod, ast.Mod(), False),
        ("**", guarded_pow, ast.Pow(), False),
    ]
    ops = [Op(label, ("num", "num"), fn, binop(node), commutative=comm) for label, fn, node, comm in arith]
    ops += [
        Op("concat", ("seq", "seq"), operator.add, binop(ast.Add()), same=True),
        Op("repeat", ("seq", "int"), _repeat, binop(ast.Mult())),
        Op("max2", ("num", "num"), max, lambda a, b: call("max", a, b), commutative=True),
        Op("min2", ("num", "num"), min, lambda a, b: call("min", a, b), commutative=True),
        Op("and", ("bool", "bool"), lambda a, b: a and b, lambda a, b: ast.BoolOp(op=ast.And(), values=[a, b])),
        Op("or", ("bool", "bool"), lambda a, b: a or b, lambda a, b: ast.BoolOp(op=ast.Or(), values=[a, b])),
        Op("count", ("str", "str"), lambda a, b: a.count(b), lambda a, b: method(a, "count", b)),
        Op("count_item", ("lt", "any"), lambda a, b: a.count(b), lambda a, b: method(a, "count", b)),
        Op("in", ("str", "str"), lambda a, b: a in b, compare(ast.In())),
        Op("in_coll", ("any", "coll"), lambda a, b: a in b, compare(ast.In())),
        Op("index", ("seq", "int"), lambda a, b: a[b], index),
        Op("round_to", ("float", "int"), round, lambda a, b: call("round", a, b)),
        Op("startswith", ("str", "str"), lambda a, b: a.startswith(b), lambda a, b: method(a, "startswith", b)),
        Op("endswith", ("str", "str"), lambda a, b: a.endswith(b), lambda a, b: method(a, "endswith", b)),
        Op("split_on", ("str", "str"), lambda a, b: a.split(b), lambda a, b: method(a, "split", b)),
        Op("join_with", ("str", "strcoll"), lambda a, b: a.join(b), lambda a, b: method(a, "join", b)),
    ]
    equality: list[tuple[str, Apply, ast.cmpop]] = [("==", operator.eq, ast.Eq()), ("!=", operator.ne, ast.NotEq())]
    ops += [Op(label, ("any", "any"), fn, compare(node), same=True, commutative=True) for label, fn, node in equality]
    order: list[tuple[str, Apply, ast.cmpop]] = [
        ("<", operator.lt, ast.Lt()), ("<=", operator.le, ast.LtE()),
        (">", operator.gt, ast.Gt()), (">=", operator.ge, ast.GtE()),
    ]
    ops += [Op(label, ("ordered", "ordered"), fn, compare(node), same=True) for label, fn, node in order]
    return ops
