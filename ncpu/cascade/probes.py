"""More inputs than the user wrote: the examples' arguments, mutated by type (trust issue 15, §1).

A body can pass every example in a docstring and still be wrong on the inputs nobody wrote down: the
empty list, a negative number, a tie. Generated inputs have no expected values; they only let candidates
that pass every check be compared with each other (``ncpu.cascade.agreement``).

The mutations are EvalPlus's type-aware ones: integers ±1, 0, negated, 2, large; floats at .5 boundaries;
strings empty, one character, case changes (the whole, and the first character alone), whitespace around
and inside, reversed, punctuation, unicode; lists and tuples empty, one
element, reversed, sorted, a duplicate, and their elements mutated in turn; dicts and sets emptied, one
entry dropped, a value mutated. An input is kept only where every argument has a type the examples gave
that parameter (``bool`` is not ``int``; an empty container fits any of its kind) and the parameter's
annotation admits (``int``, ``list[str]``, ``Optional[float]``, ``X | None``...; anything this module
does not read admits everything). Calls are rendered as source, positional parameters by position and
keyword-only ones by name. The order is deterministic and round-robin over examples, parameters and
mutations, so the first ``limit`` inputs cover every parameter.

Calls on state the examples build first (``inv.low_stock(2)`` after ``inv = Inventory()`` and its
``inv.add(...)`` lines, ``restock_list(inv, 4)``) are probed too (``bound_probes``): their literal
arguments are mutated the same way, the other arguments and the receiver stay as written, and each probe
runs after the example's own setup and the example's call, so that it sees the state the docstring has
after that example. From a doctest session only the last example is taken: that state is then the one at
the docstring's end, where an example the user adds to settle an ambiguity goes.
"""

from __future__ import annotations

import ast
import copy
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from extraction.check import Check
from extraction.stub import Stub
from ncpu.cascade.contract import Contract
from ncpu.cascade.template_examples import examples_from_checks
from ncpu.cascade.template_grammar import within_caps

MAX_PROBES = 48
"""Generated inputs per stub: each passing candidate runs on all of them once, in one sandbox child."""
_PER_VALUE = 16
"""Mutations of one value that are tried (the first ones are the most telling)."""
_LARGE = 10**6


@dataclass(frozen=True, slots=True)
class Probe:
    """One generated input: the call, and the statements that build what it is called on."""

    call: str
    setup: tuple[str, ...] = ()


def probes(stub: Stub, checks: Sequence[Check], limit: int = MAX_PROBES) -> list[Probe]:
    """Up to ``limit`` generated inputs: calls with literal arguments first, then calls on built state."""
    literal = [Probe(call) for call in probe_calls(stub, checks, limit)]
    return literal + bound_probes(stub, checks, limit - len(literal))


def probe_calls(stub: Stub, checks: Sequence[Check], limit: int = MAX_PROBES) -> list[str]:
    """Up to ``limit`` calls of ``stub`` on generated inputs, none of them an input the checks already have.

    Only functions called directly with literal arguments in the checks get inputs (a method's checks
    build an object first, and its state is not a literal).
    """
    if stub.is_method or limit <= 0:
        return []
    signature = _Signature.parse(stub)
    if signature is None:
        return []
    examples = examples_from_checks(stub.params, checks, stub.name)
    if not examples:
        return []
    kinds = kinds_of([dict(enumerate(example.args)) for example in examples], len(stub.params))
    seen = {_key(example.args) for example in examples}
    contract = Contract.read(stub.docstring, stub.params)
    calls: list[str] = []
    for args in _round_robin([_mutants(example.args) for example in examples]):
        key = _key(args)
        if key in seen:
            continue
        seen.add(key)
        if not all(
            admissible(value, signature.hints[i], kinds[i]) and contract.admits(value, signature.names[i])
            for i, value in enumerate(args)
        ):
            continue
        calls.append(signature.render(stub.name, args))
        if len(calls) >= limit:
            break
    return calls


def bound_probes(stub: Stub, checks: Sequence[Check], limit: int = MAX_PROBES) -> list[Probe]:
    """Up to ``limit`` calls of ``stub`` on the state its examples build, their literal arguments mutated.

    A site is a check that calls the stub (``name(...)``, or ``receiver.name(...)`` for a method) with at
    least one literal argument, where some argument is not a literal or the call is a method's: calls with
    literal arguments only are ``probe_calls``'s.
    """
    signature = _Signature.parse(stub)
    if signature is None or limit <= 0:
        return []
    sites = [site for check in _last_doctest_only(checks) if (site := _Site.parse(stub, signature, check))]
    if not sites:
        return []
    kinds: dict[int, set[tuple[Any, ...]]] = {}
    for site in sites:
        for index, value in site.literals.items():
            kinds.setdefault(index, set()).add(_kind(value))
    seen: set[tuple[tuple[str, ...], str]] = set()
    contract = Contract.read(stub.docstring, stub.params)
    found: list[Probe] = []
    for site, values in _round_robin_sites(sites):
        if not all(
            admissible(value, signature.hints[i], frozenset(kinds[i])) and contract.admits(value, signature.names[i])
            for i, value in values.items()
        ):
            continue
        probe = Probe(site.render(values), site.setup)
        key = (probe.setup, probe.call)
        if key in seen:
            continue
        seen.add(key)
        found.append(probe)
        if len(found) >= limit:
            break
    return found


def _last_doctest_only(checks: Sequence[Check]) -> list[Check]:
    """The checks, and of the docstring's doctest examples only the last (its state is the docstring's at its end)."""
    doctests = [check for check in checks if check.origin == "doctest"]
    last = max(doctests, key=lambda check: check.line or 0) if doctests else None
    return [check for check in checks if check.origin != "doctest" or check is last]


class _Site:
    """A check's call of the stub: which arguments are literals (by parameter index), and how to rewrite it."""

    def __init__(
        self,
        call: ast.Call,
        literals: dict[int, Any],
        nodes: dict[int, ast.expr],
        setup: tuple[str, ...],
        whole: ast.expr | None = None,
    ):
        self.call = call
        self.literals = literals
        self.nodes = nodes
        self.setup = setup
        self.whole = whole
        """The expression around the call (``round(find_zero([1, 2]), 2)``), kept as written; ``None``: the call alone."""

    @classmethod
    def parse(cls, stub: Stub, signature: _Signature, check: Check) -> _Site | None:
        if check.mode not in ("value", "output") or check.origin == "generated":
            return None
        try:
            tree = ast.parse(check.call.strip(), mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        whole: ast.expr | None = None
        call: ast.expr = tree.body
        if not (isinstance(call, ast.Call) and _calls_stub(stub, call)):
            inner = [node for node in ast.walk(tree.body) if isinstance(node, ast.Call) and _calls_stub(stub, node)]
            if len(inner) != 1:
                return None
            whole, call = tree.body, inner[0]  # the call inside ``round(...)``, ``sorted(...)``, ``len(...)``
        if not isinstance(call, ast.Call) or any(isinstance(arg, ast.Starred) for arg in call.args):
            return None
        offset = 1 if stub.is_method else 0  # a method's receiver is ``self``
        nodes: dict[int, ast.expr] = {}
        for position, arg in enumerate(call.args):
            nodes[position + offset] = arg
        for keyword in call.keywords:
            if keyword.arg is None or keyword.arg not in signature.names:
                return None
            nodes[signature.names.index(keyword.arg)] = keyword.value
        if any(index >= len(signature.names) for index in nodes):
            return None
        literals = {}
        for index, node in nodes.items():
            try:
                literals[index] = ast.literal_eval(node)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
        if not literals:
            return None  # nothing to vary
        if offset == 0 and len(literals) == len(nodes):
            if whole is None:
                return None  # literal arguments only: ``probe_calls`` has those
            return cls(call, literals, nodes, tuple(check.setup), whole)  # no state to build: the example need not run
        return cls(call, literals, nodes, (*check.setup, check.call.strip()), whole)

    def mutants(self) -> Iterator[dict[int, Any]]:
        """The literal arguments with one of them mutated, parameters taken in turn."""
        indexes = sorted(self.literals)
        streams = [
            iter([{**self.literals, index: mutant} for mutant in mutate(self.literals[index])]) for index in indexes
        ]
        for batch in itertools.zip_longest(*streams):
            yield from (values for values in batch if values is not None)

    def render(self, values: dict[int, Any]) -> str:
        """The call as written, with the literal arguments replaced by ``values``."""
        replaced = {id(self.nodes[index]): value for index, value in values.items()}
        call = ast.Call(
            func=self.call.func,
            args=[_as_source(arg, replaced) for arg in self.call.args],
            keywords=[ast.keyword(arg=k.arg, value=_as_source(k.value, replaced)) for k in self.call.keywords],
        )
        if self.whole is None:
            return ast.unparse(call)
        return ast.unparse(_Replace(self.call, call).visit(copy.deepcopy(self.whole)))


def _calls_stub(stub: Stub, call: ast.Call) -> bool:
    """Whether ``call`` calls the stub: ``name(...)``, or ``receiver.name(...)`` on a name for a method."""
    if stub.is_method:
        return (
            isinstance(call.func, ast.Attribute)
            and call.func.attr == stub.name
            and isinstance(call.func.value, ast.Name)
        )
    return isinstance(call.func, ast.Name) and call.func.id == stub.name


class _Replace(ast.NodeTransformer):
    """Puts ``new`` where a deep copy of the tree has the node that dumps like ``old``."""

    def __init__(self, old: ast.Call, new: ast.Call) -> None:
        self.old, self.new = ast.dump(old), new

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if ast.dump(node) == self.old:
            return self.new
        return self.generic_visit(node)


def _as_source(node: ast.expr, replaced: dict[int, Any]) -> ast.expr:
    if id(node) not in replaced:
        return node
    return ast.parse(repr(replaced[id(node)]), mode="eval").body


def _round_robin_sites(sites: Sequence[_Site]) -> Iterator[tuple[_Site, dict[int, Any]]]:
    streams = [((site, values) for values in site.mutants()) for site in sites]
    for batch in itertools.zip_longest(*streams):
        yield from (item for item in batch if item is not None)


# -- the signature ---------------------------------------------------------------------------------------


class _Signature:
    """Each parameter's annotation (or ``None``) and whether it must be passed by name."""

    def __init__(
        self,
        names: Sequence[str],
        hints: Sequence[ast.expr | None],
        keyword_only: Sequence[bool],
        optional: Sequence[bool] | None = None,
    ) -> None:
        self.names = list(names)
        self.hints = list(hints)
        self.keyword_only = list(keyword_only)
        self.optional = list(optional) if optional is not None else [False] * len(self.names)
        """Whether each parameter has a default (a call may leave it out)."""

    @classmethod
    def parse(cls, stub: Stub) -> _Signature | None:
        head = stub.signature.strip()
        try:
            tree = ast.parse(f"{head}\n    pass\n")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        function = tree.body[0] if tree.body else None
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        arguments = function.args
        if arguments.vararg is not None or arguments.kwarg is not None:
            return None  # *args / **kw: which argument goes where is not the examples' to say
        positional = [*arguments.posonlyargs, *arguments.args]
        every = [*positional, *arguments.kwonlyargs]
        if [argument.arg for argument in every] != list(stub.params):
            return None
        defaulted = len(positional) - len(arguments.defaults)
        return cls(
            [argument.arg for argument in every],
            [argument.annotation for argument in every],
            [False] * len(positional) + [True] * len(arguments.kwonlyargs),
            [index >= defaulted for index in range(len(positional))]
            + [default is not None for default in arguments.kw_defaults],
        )

    def render(self, name: str, args: Sequence[Any]) -> str:
        return self.render_bound(name, dict(enumerate(args)))

    def render_bound(self, name: str, values: dict[int, Any]) -> str:
        """A call with only the parameters in ``values``: by position while none is skipped, then by name."""
        parts = []
        by_name = False
        for index, parameter in enumerate(self.names):
            if index not in values:
                by_name = True
                continue
            by_name = by_name or self.keyword_only[index]
            parts.append(f"{parameter}={values[index]!r}" if by_name else repr(values[index]))
        return f"{name}({', '.join(parts)})"


def signature_of(stub: Stub) -> _Signature | None:
    """The stub's parameters as calls see them, or ``None`` where generated calls could go wrong (``*args``)."""
    return _Signature.parse(stub)


# -- which values an annotation admits -------------------------------------------------------------------

_SCALARS: dict[str, Callable[[Any], bool]] = {
    "int": lambda value: type(value) is int,
    "float": lambda value: type(value) in (int, float),
    "complex": lambda value: type(value) in (int, float, complex),
    "bool": lambda value: type(value) is bool,
    "str": lambda value: type(value) is str,
    "bytes": lambda value: type(value) is bytes,
    "None": lambda value: value is None,
    "NoneType": lambda value: value is None,
}
_CONTAINERS: dict[str, tuple[type, ...]] = {
    "list": (list,),
    "List": (list,),
    "Sequence": (list, tuple),
    "Iterable": (list, tuple, set, frozenset, dict, str),
    "Collection": (list, tuple, set, frozenset, dict, str),
    "tuple": (tuple,),
    "Tuple": (tuple,),
    "dict": (dict,),
    "Dict": (dict,),
    "Mapping": (dict,),
    "set": (set,),
    "Set": (set,),
    "frozenset": (frozenset,),
    "FrozenSet": (frozenset,),
}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # typing.List, t.Optional
        return node.attr
    return None


def admits(annotation: ast.expr | None, value: Any) -> bool:
    """Whether ``value`` fits ``annotation``; what this does not understand admits everything."""
    if annotation is None:
        return True
    if isinstance(annotation, ast.Constant):
        if annotation.value is None:
            return value is None
        if isinstance(annotation.value, str):  # a forward reference: "list[int]"
            try:
                parsed = ast.parse(annotation.value, mode="eval").body
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return True
            return admits(parsed, value)
        return True
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return admits(annotation.left, value) or admits(annotation.right, value)
    name = _name(annotation)
    if name is not None:
        if name in _SCALARS:
            return _SCALARS[name](value)
        if name in _CONTAINERS:
            return isinstance(value, _CONTAINERS[name])
        return True
    if isinstance(annotation, ast.Subscript):
        return _admits_subscript(annotation, value)
    return True


def _admits_subscript(annotation: ast.Subscript, value: Any) -> bool:
    base = _name(annotation.value)
    inner = annotation.slice
    items = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
    if base == "Optional":
        return value is None or admits(items[0], value)
    if base == "Union":
        return any(admits(item, value) for item in items)
    if base == "Literal":
        return True
    if base not in _CONTAINERS or not isinstance(value, _CONTAINERS[base]):
        return base not in _CONTAINERS and base not in _SCALARS
    if isinstance(value, dict):
        if len(items) != 2:
            return True
        return all(admits(items[0], key) and admits(items[1], item) for key, item in value.items())
    if isinstance(value, str):
        return True
    parts: Any = value
    if base in ("tuple", "Tuple") and not (len(items) == 2 and _is_ellipsis(items[1])):
        return len(items) == len(parts) and all(admits(item, part) for item, part in zip(items, parts, strict=True))
    return all(admits(items[0], item) for item in parts)


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


# -- which values the examples' types admit --------------------------------------------------------------


def _kind(value: Any) -> tuple[Any, ...]:
    """A value's type, containers with the kinds of their items (``[1, 2]`` → list of int)."""
    if isinstance(value, list | tuple | set | frozenset):
        return (type(value).__name__, frozenset(_kind(item) for item in value))
    if isinstance(value, dict):
        return ("dict", frozenset(_kind(key) for key in value), frozenset(_kind(item) for item in value.values()))
    return (type(value).__name__,)


def admissible(value: Any, hint: ast.expr | None, kinds: frozenset[tuple[Any, ...]]) -> bool:
    """Whether a generated value may be passed to a parameter.

    It must be of plausible size and fit the parameter's annotation and the kinds of value the examples gave
    it (``kinds`` empty: no example gave that parameter a literal).
    """
    return within_caps(value) and admits(hint, value) and (not kinds or fits(kinds, value))


def kinds_of(arguments: Sequence[Mapping[int, Any]], count: int) -> list[frozenset[tuple[Any, ...]]]:
    """For each of ``count`` parameters, the kinds of value the examples' ``arguments`` (by index) gave it."""
    return [frozenset(_kind(args[i]) for args in arguments if i in args) for i in range(count)]


def fits(kinds: frozenset[tuple[Any, ...]], value: Any) -> bool:
    """Whether ``value`` has a kind some example gave this parameter (empty containers fit their kind)."""
    own = _kind(value)
    return any(_within(own, kind) for kind in kinds)


def _within(own: tuple[Any, ...], kind: tuple[Any, ...]) -> bool:
    if own[0] != kind[0]:
        return False
    if len(own) == 1:
        return True
    parts = zip(own[1:], kind[1:], strict=True)
    return all(all(any(_within(item, allowed) for allowed in seen) for item in items) for items, seen in parts)


def _key(args: Sequence[Any]) -> str:
    """Equal inputs, told apart by type (``1`` is not ``True``, ``[1]`` is not ``(1,)``)."""
    return repr([(type(value).__name__, repr(value)) for value in args])


# -- the mutations ---------------------------------------------------------------------------------------


def _round_robin(streams: Sequence[Iterator[tuple[Any, ...]]]) -> Iterator[tuple[Any, ...]]:
    for batch in itertools.zip_longest(*streams):
        yield from (args for args in batch if args is not None)


def _mutants(args: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """The example's arguments with one of them mutated, parameters taken in turn."""
    return _round_robin([_replaced(args, index) for index in range(len(args))])


def _replaced(args: tuple[Any, ...], index: int) -> Iterator[tuple[Any, ...]]:
    for mutant in mutate(args[index]):
        yield (*args[:index], mutant, *args[index + 1 :])


def mutate(value: Any) -> list[Any]:
    """Type-aware neighbours of one value, the most telling first, ``value`` itself excluded."""
    out: list[Any] = []
    seen = {_key((value,))}
    for mutant in _candidates(value):
        key = _key((mutant,))
        if key not in seen:
            seen.add(key)
            out.append(mutant)
            if len(out) >= _PER_VALUE:
                break
    return out


def _candidates(value: Any) -> Iterator[Any]:
    kind = type(value)
    if kind is bool:
        yield not value
    elif kind is int:
        # 2: the first prime, the first even number past the units (``x_or_y(2, ...)`` is where "even means
        # not prime" goes wrong), none of which ±1 of a typical example reaches.
        yield from (0, value + 1, value - 1, -value, 1, -1, 2, value * 1000 + 7 if value else _LARGE)
    elif kind is float:
        yield from (0.0, value + 0.5, value - 0.5, -value, float(round(value)) + 0.5, 1.0, -1.0)
    elif kind is str:
        yield from _text_mutants(value)
    elif kind is list or kind is tuple:
        yield from (kind(items) for items in _sequence_mutants(list(value)))
    elif kind is set or kind is frozenset:
        yield kind()
        if value:
            yield kind(sorted(value, key=repr)[1:])
    elif kind is dict:
        yield {}
        keys = list(value)
        if keys:
            yield {key: value[key] for key in keys[1:]}
            first = keys[0]
            for mutant in mutate(value[first])[:3]:
                yield {**value, first: mutant}


def _text_mutants(text: str) -> Iterator[str]:
    yield ""
    yield text[:1]
    yield text.upper()
    yield text.lower()
    yield text.swapcase()
    yield text[:1].swapcase() + text[1:]  # mixed case: "Aba" tells a case-blind body from an exact one
    yield f" {text} "
    yield text[:1] + " " + text[1:]  # a space inside, where stripping the ends does not reach it
    yield text[::-1]
    yield text + text[-1:]
    yield text.replace(" ", "  ")
    yield text + "!"
    yield text + "é"
    yield text[1:]


def _sorted(items: list[Any]) -> list[Any] | None:
    try:
        return sorted(items)
    except TypeError:  # items that do not compare
        return None


def _sequence_mutants(items: list[Any]) -> Iterator[list[Any]]:
    yield []
    yield items[:1]
    yield items[::-1]
    yield items + items[-1:]
    ordered = _sorted(items)
    if ordered is not None:
        yield ordered
    yield items[1:]
    for index in range(min(len(items), 2)):
        for mutant in mutate(items[index])[:4]:  # an int element: 0, ±1 and negated
            yield [*items[:index], mutant, *items[index + 1 :]]
