"""The operator tables of the template grammar: scalar, string and collection operators.

Each operator pairs a guarded computation on plain values with the ``ast`` it prints as.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from ncpu.cascade.template_grammar import (
    LEN_LIMIT,
    POW_BITS,
    VOWELS,
    Apply,
    Build,
    Op,
    TooBig,
    binop,
    call,
    compare,
    const,
    index,
    method,
    name,
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


def _method_builder(attr: str) -> Callable[[ast.expr], ast.expr]:
    return lambda node: method(node, attr)


# -- the operator tables ------------------------------------------------------------------------------------


def unary_ops() -> list[Op]:
    """Operators of one operand, cheapest and most common first."""
    ops = [
        Op("neg", ("num",), operator.neg, lambda x: ast.UnaryOp(op=ast.USub(), operand=x)),
        Op("abs", ("num",), abs, lambda x: call("abs", x)),
        Op("even", ("int",), _parity_of(0), lambda x: parity(x, 0), leaf_last=True),
        Op("odd", ("int",), _parity_of(1), lambda x: parity(x, 1), leaf_last=True),
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
        Op(
            "sort_chars", ("str",), lambda x: "".join(sorted(x)), lambda x: method(const(""), "join", call("sorted", x))
        ),
        Op("values", ("dict",), lambda x: list(x.values()), lambda x: call("list", method(x, "values"))),
        Op("keys", ("dict",), sorted, lambda x: call("sorted", x)),
    ]
    for attr in (
        "upper",
        "lower",
        "strip",
        "split",
        "title",
        "swapcase",
        "capitalize",
        "isdigit",
        "isalpha",
        "isupper",
        "islower",
    ):
        ops.append(Op(attr, ("str",), _method_of(attr), _method_builder(attr)))
    return ops


def binary_ops() -> list[Op]:
    """Operators of two operands."""
    arith: list[tuple[str, Apply, ast.operator, bool]] = [
        ("+", operator.add, ast.Add(), True),
        ("-", operator.sub, ast.Sub(), False),
        ("*", operator.mul, ast.Mult(), True),
        ("/", operator.truediv, ast.Div(), False),
        ("//", operator.floordiv, ast.FloorDiv(), False),
        ("%", operator.mod, ast.Mod(), False),
        ("**", guarded_pow, ast.Pow(), False),
    ]
    ops = [Op(label, ("num", "num"), fn, binop(node), commutative=comm) for label, fn, node, comm in arith]
    # Comparisons come before the rarer string and container operators: `s == s[::-1]`, not `s in s[::-1]`.
    equality: list[tuple[str, Apply, ast.cmpop]] = [("==", operator.eq, ast.Eq()), ("!=", operator.ne, ast.NotEq())]
    ops += [Op(label, ("any", "any"), fn, compare(node), same=True, commutative=True) for label, fn, node in equality]
    order: list[tuple[str, Apply, ast.cmpop]] = [
        ("<", operator.lt, ast.Lt()),
        ("<=", operator.le, ast.LtE()),
        (">", operator.gt, ast.Gt()),
        (">=", operator.ge, ast.GtE()),
    ]
    ops += [Op(label, ("ordered", "ordered"), fn, compare(node), same=True) for label, fn, node in order]
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
    return ops


# -- comprehensions over one collection ---------------------------------------------------------------------

_Elem = tuple[str, str, Apply, Build]
"""(label, operand sig, computation on (element, bound), builder on (element node, bound node))."""

_MAPS_K: list[_Elem] = [
    (f"v {label} k", "numcoll", fn, binop(node))
    for label, fn, node in (
        ("+", operator.add, ast.Add()),
        ("-", operator.sub, ast.Sub()),
        ("*", operator.mul, ast.Mult()),
        ("//", operator.floordiv, ast.FloorDiv()),
        ("%", operator.mod, ast.Mod()),
        ("**", guarded_pow, ast.Pow()),
    )
]
_FILTERS_K: list[_Elem] = [
    (f"v {label} k", "numcoll", fn, compare(node))
    for label, fn, node in (
        (">", operator.gt, ast.Gt()),
        ("<", operator.lt, ast.Lt()),
        (">=", operator.ge, ast.GtE()),
        ("<=", operator.le, ast.LtE()),
        ("!=", operator.ne, ast.NotEq()),
        ("==", operator.eq, ast.Eq()),
    )
] + [
    ("v.startswith(k)", "strcoll", lambda v, k: v.startswith(k), lambda v, k: method(v, "startswith", k)),
    ("k in v", "strcoll", lambda v, k: k in v, lambda v, k: compare(ast.In())(k, v)),
    ("v != k", "strcoll", operator.ne, compare(ast.NotEq())),
]
_Unary = tuple[str, str, Apply, Callable[[ast.expr], ast.expr]]
_MAPS: list[_Unary] = [
    ("-v", "numcoll", operator.neg, lambda v: ast.UnaryOp(op=ast.USub(), operand=v)),
    ("abs(v)", "numcoll", abs, lambda v: call("abs", v)),
    ("str(v)", "numcoll", str, lambda v: call("str", v)),
    ("len(v)", "strcoll", len, lambda v: call("len", v)),
    ("int(v)", "strcoll", int, lambda v: call("int", v)),
    ("v[::-1]", "strcoll", lambda v: v[::-1], reverse),
    ("v[0]", "strcoll", lambda v: v[0], lambda v: index(v, const(0))),
    *(
        (f"v.{attr}()", "strcoll", _method_of(attr), _method_builder(attr))
        for attr in ("upper", "lower", "strip", "capitalize")
    ),
]
_FILTERS: list[_Unary] = [
    ("v % 2 == 0", "intcoll", _parity_of(0), lambda v: parity(v, 0)),
    ("v % 2 == 1", "intcoll", _parity_of(1), lambda v: parity(v, 1)),
    ("v", "coll", operator.truth, lambda v: v),
    ("v in vowels", "chars", lambda v: v in VOWELS, lambda v: compare(ast.In())(v, const(VOWELS))),
    *(
        (f"v.{attr}()", "chars", _method_of(attr), _method_builder(attr))
        for attr in ("isupper", "islower", "isdigit", "isalpha")
    ),
]
_NUM_MAPS: list[_Unary] = [
    ("v * 2", "", lambda v: v * 2, lambda v: binop(ast.Mult())(v, const(2))),
    ("v ** 2", "", lambda v: v**2, lambda v: binop(ast.Pow())(v, const(2))),
    ("v + 1", "", lambda v: v + 1, lambda v: binop(ast.Add())(v, const(1))),
    *(item for item in _MAPS[:2]),
]
_NUM_FILTERS: list[_Unary] = [
    *_FILTERS[:2],
    ("v > 0", "", lambda v: v > 0, lambda v: compare(ast.Gt())(v, const(0))),
    ("v < 0", "", lambda v: v < 0, lambda v: compare(ast.Lt())(v, const(0))),
]


def _listcomp(var: str, elt: ast.expr, items: ast.expr, cond: ast.expr | None = None) -> ast.expr:
    target = ast.Name(id=var, ctx=ast.Store())
    generator = ast.comprehension(target=target, iter=items, ifs=[] if cond is None else [cond], is_async=0)
    return ast.ListComp(elt=elt, generators=[generator])


def comprehension_ops(var: str) -> tuple[list[Op], list[Op]]:
    """Return (one-operand, two-operand) list comprehensions whose loop variable is named ``var``.

    Two-operand forms take a parameter or constant as the bound ``k`` (``[v * k for v in xs]``).
    """
    v = name(var)
    unary = [
        Op(
            f"[{label} for v]",
            (sig,),
            lambda xs, f=fn: [f(e) for e in xs],
            lambda xs, b=build: _listcomp(var, b(v), xs),
        )
        for label, sig, fn, build in _MAPS
    ]
    unary += [
        Op(
            f"[v for v if {label}]",
            (sig,),
            lambda xs, f=fn: [e for e in xs if f(e)],
            lambda xs, b=build: _listcomp(var, v, xs, b(v)),
        )
        for label, sig, fn, build in _FILTERS
    ]
    unary += [
        Op(
            f"[{m_label} for v if {f_label}]",
            ("numcoll",),
            lambda xs, f=m_fn, p=f_fn: [f(e) for e in xs if p(e)],
            lambda xs, b=m_build, c=f_build: _listcomp(var, b(v), xs, c(v)),
            cost=2,
        )
        for m_label, _, m_fn, m_build in _NUM_MAPS
        for f_label, _, f_fn, f_build in _NUM_FILTERS
    ]
    binary = [
        Op(
            f"[{label} for v]",
            (sig, "ordered"),
            lambda xs, k, f=fn: [f(e, k) for e in xs],
            lambda xs, k, b=build: _listcomp(var, b(v, k), xs),
            leaf_last=True,
        )
        for label, sig, fn, build in _MAPS_K
    ]
    binary += [
        Op(
            f"[v for v if {label}]",
            (sig, "ordered"),
            lambda xs, k, f=fn: [e for e in xs if f(e, k)],
            lambda xs, k, b=build: _listcomp(var, v, xs, b(v, k)),
            leaf_last=True,
        )
        for label, sig, fn, build in _FILTERS_K
    ]
    return unary, binary
