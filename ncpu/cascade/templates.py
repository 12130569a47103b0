"""Template match: a small enumerative synthesizer that proposes bodies fitting the user's examples.

No model is involved. Expressions over the stub's parameters are enumerated bottom-up by size. Each is
evaluated on the literal arguments of the examples (only our own operators, on the user's literal data,
in-process, within size caps) and one expression is kept per distinct vector of outputs (observational
equivalence). Expressions whose outputs equal every expected result are returned, smallest first and
those that use a parameter before constants, for the caller to verify in the sandbox against all checks.
"""

from __future__ import annotations

import ast
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from extraction.check import Check
from ncpu.cascade.template_examples import Example, examples_from_checks
from ncpu.cascade.template_grammar import (
    SMALL_INTS,
    Apply,
    Op,
    Raised,
    TooBig,
    const,
    family,
    fits,
    kind_of,
    name,
    raised,
    within_caps,
)
from ncpu.cascade.template_ops import binary_ops, comprehension_ops, unary_ops

DEFAULT_BUDGET_S = 0.5
MAX_SIZE = 9
MAX_BANK = 20_000
SEARCH_EXAMPLES = 32
"""At most this many examples guide the search (the sandbox still runs every check)."""
ARGUMENT_WEIGHT = 1_000
"""Examples whose arguments hold more items than this are left to the sandbox: each try must stay cheap."""
MIN_CONSTANT_EVIDENCE = 3
"""Distinct examples needed before a constant body (one that ignores the parameters) is proposed."""
_LOOP_VARS = ("x", "v", "e", "item", "elem", "value")


@dataclass(slots=True)
class _Entry:
    node: ast.expr
    values: tuple[Any, ...]
    kind: str
    elem: str
    size: int
    order: int
    uses_param: bool


class _OutOfTime(Exception):
    pass


def evidence_needed(size: int) -> int:
    """Distinct examples needed before an expression of ``size`` nodes is proposed.

    Few examples fit too many larger expressions (``len(s) % 2 == 1`` "is" a palindrome test on two), so
    bigger bodies need more evidence: one example for ``len(xs)``, two for ``a + b``, three for five nodes.
    """
    return max(1, (size + 1) // 2)


def _value_key(value: Any) -> Any:
    kind = type(value)
    if kind in (int, float, str, bool, type(None), Raised):
        return kind, value
    return kind, repr(value)


class _Search:
    """Bottom-up enumeration by size with observational-equivalence pruning."""

    def __init__(self, params: Sequence[str], examples: Sequence[Example], deadline: float, limit: int) -> None:
        self.params = params
        self.examples = examples
        self.raise_ok = [example.mode == "raises" for example in examples]
        self.any_raise = any(self.raise_ok)
        self.deadline = deadline
        self.limit = limit
        self.evidence = len({tuple(_value_key(arg) for arg in example.args) for example in examples})
        var = next((v for v in _LOOP_VARS if v not in params), "_v")
        comp_unary, comp_binary = comprehension_ops(var)
        self.unary = unary_ops() + comp_unary
        self.binary = binary_ops() + comp_binary
        self.bank: dict[int, list[_Entry]] = {}
        self.banked = 0
        self.seen: set[tuple[Any, ...]] = set()
        self.matches: list[_Entry] = []
        self.tried = 0
        self._pair_cache: dict[tuple[str, str, str, str, bool], list[Op]] = {}

    def run(self, extra_levels: int) -> None:
        """Grow sizes until a level past the first parameter-using match, the size cap or the deadline."""
        found_at: int | None = None
        try:
            for size in range(1, MAX_SIZE + 1):
                if evidence_needed(size) > self.evidence:
                    return
                self._leaves() if size == 1 else self._grow(size)
                if found_at is None and any(entry.uses_param for entry in self.matches):
                    found_at = size
                if (found_at is not None and size >= found_at + extra_levels) or len(self.matches) >= self.limit:
                    return
        except _OutOfTime:
            return

    def _leaves(self) -> None:
        for position, param in enumerate(self.params):
            values = tuple(example.args[position] for example in self.examples)
            self._add(values, 1, True, functools.partial(name, param))
        for number in SMALL_INTS:
            self._add((number,) * len(self.examples), 1, False, functools.partial(const, number))
        expected = {_value_key(example.expected) for example in self.examples if example.mode == "value"}
        if len(expected) == 1 and all(example.mode == "value" for example in self.examples):
            value = self.examples[0].expected
            self._add((value,) * len(self.examples), 1, False, lambda: ast.parse(repr(value), mode="eval").body)

    def _grow(self, size: int) -> None:
        # Within a size: plain unary operators, then binary ones, then the wider unary shapes.
        self._unary(size, [op for op in self.unary if op.cost == 1])
        self._binary(size)
        self._unary(size, [op for op in self.unary if op.cost > 1])

    def _unary(self, size: int, ops: list[Op]) -> None:
        for op in ops:
            for entry in self.bank.get(size - op.cost, ()):
                if (
                    entry.uses_param
                    and fits(op.sigs[0], entry.kind, entry.elem)
                    and (entry.size == 1 or not op.leaf_last)
                ):
                    self._consider(op, (entry,), size)

    def _binary(self, size: int) -> None:
        for left_size in range(1, size - 1):
            rights = self.bank.get(size - 1 - left_size, [])
            for left in self.bank.get(left_size, []):
                for right in rights:
                    if not (left.uses_param or right.uses_param):
                        continue
                    for op in self._ops_for(left, right):
                        if not (op.commutative and left.order > right.order):
                            self._consider(op, (left, right), size)

    def _ops_for(self, left: _Entry, right: _Entry) -> list[Op]:
        key = (left.kind, left.elem, right.kind, right.elem, right.size == 1)
        ops = self._pair_cache.get(key)
        if ops is None:
            ops = [
                op
                for op in self.binary
                if fits(op.sigs[0], left.kind, left.elem)
                and fits(op.sigs[1], right.kind, right.elem)
                and (not op.same or family(left.kind) == family(right.kind))
                and (right.size == 1 or not op.leaf_last)
            ]
            self._pair_cache[key] = ops
        return ops

    def _consider(self, op: Op, operands: tuple[_Entry, ...], size: int) -> None:
        self.tried += 1
        if time.perf_counter() > self.deadline:
            raise _OutOfTime
        vectors = [operand.values for operand in operands]
        values = self._evaluate_raising(op.apply, vectors) if self.any_raise else self._evaluate(op.apply, vectors)
        if values is not None:
            uses_param = any(operand.uses_param for operand in operands)
            self._add(values, size, uses_param, lambda: op.build(*(operand.node for operand in operands)))

    @staticmethod
    def _evaluate(apply: Apply, vectors: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
        outcomes = []
        try:
            for args in zip(*vectors, strict=True):
                value = apply(*args)
                if not within_caps(value):
                    return None
                outcomes.append(value)
        except Exception:  # a failing example (or a result past the caps) prunes the expression
            return None
        return tuple(outcomes)

    def _evaluate_raising(self, apply: Apply, vectors: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
        """Evaluate where some examples expect an exception: there, raising is an outcome, not a failure."""
        outcomes: list[Any] = []
        for may_raise, args in zip(self.raise_ok, zip(*vectors, strict=True), strict=True):
            failed = next((arg for arg in args if type(arg) is Raised), None) if may_raise else None
            if failed is not None:
                outcomes.append(failed)
                continue
            try:
                value = apply(*args)
            except TooBig:
                return None
            except Exception as exc:
                if not may_raise:
                    return None
                value = raised(exc)
            if type(value) is not Raised and not within_caps(value):
                return None
            outcomes.append(value)
        return tuple(outcomes)

    def _add(self, values: tuple[Any, ...], size: int, uses_param: bool, node: Callable[[], ast.expr]) -> None:
        needed = evidence_needed(size) if uses_param else MIN_CONSTANT_EVIDENCE
        matched = self.evidence >= needed and all(
            example.accepts(value) for example, value in zip(self.examples, values, strict=True)
        )
        key = tuple(_value_key(value) for value in values)
        fresh = key not in self.seen
        if not (fresh or matched):
            return
        kind, elem = kind_of(values)
        entry = _Entry(node(), values, kind, elem, size, len(self.seen), uses_param)
        if matched and len(self.matches) < self.limit:
            self.matches.append(entry)
        if fresh:
            self.seen.add(key)
            if kind not in ("", "mixed", "other") and self.banked < MAX_BANK:
                self.bank.setdefault(size, []).append(entry)
                self.banked += 1


def _weight(value: Any, budget: int = ARGUMENT_WEIGHT + 1) -> int:
    """Count the items in a value, nested ones included, stopping once past ``budget``."""
    if isinstance(value, str):
        return len(value)
    if not isinstance(value, list | tuple | set | frozenset | dict):
        return 1
    total = len(value)
    for item in value.items() if isinstance(value, dict) else value:
        if total > budget:
            break
        total += _weight(item, budget - total)
    return total


def _passes(params: Sequence[str], body: str, examples: Sequence[Example]) -> bool:
    """Re-run a printed body (our own expression) on the examples: printing must not change its meaning."""
    source = f"def _ncpu_template({', '.join(params)}):\n    {body}"
    namespace: dict[str, Any] = {}
    try:
        exec(compile(source, "<template>", "exec"), namespace)
    except SyntaxError:
        return False
    function = namespace["_ncpu_template"]
    for example in examples:
        try:
            outcome = function(*example.args)
        except Exception as exc:  # the body failed this example
            outcome = raised(exc)
        if not example.accepts(outcome):
            return False
    return True


def template_bodies(
    params: Sequence[str],
    checks: Sequence[Check],
    *,
    limit: int = 2000,
    time_budget_s: float = DEFAULT_BUDGET_S,
    name: str | None = None,
) -> list[str]:
    """Return bodies (``return a + b``) that reproduce every usable example, smallest first.

    Only checks that call the stub directly with literal arguments and a literal expectation (values,
    raised exception names, printed reprs) guide the search; the caller must still verify each body in
    the sandbox against all checks. Methods (``self``/``cls`` first) and stubs without usable checks get
    ``[]``. The search stops one size level after the first match when some checks could not be used
    (they may reject the smallest fit), right after it otherwise, and always by ``time_budget_s``.
    """
    if (params and params[0] in ("self", "cls")) or limit <= 0:
        return []
    usable = examples_from_checks(params, checks, name)
    examples = [example for example in usable if _weight(example.args) <= ARGUMENT_WEIGHT][:SEARCH_EXAMPLES]
    if not examples:
        return []
    search = _Search(params, examples, time.perf_counter() + time_budget_s, limit)
    search.run(extra_levels=0 if len(examples) == len(checks) else 1)
    ordered = [entry for entry in search.matches if entry.uses_param]
    ordered += [entry for entry in search.matches if not entry.uses_param]
    bodies: list[str] = []
    for entry in ordered:
        body = f"return {ast.unparse(entry.node)}\n"
        if body not in bodies and _passes(params, body, examples):
            bodies.append(body)
    return bodies[:limit]
