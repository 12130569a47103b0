"""The enumerator behind the template layer: expressions by size, one per distinct behaviour.

Expressions over the stub's parameters are built bottom-up by size from the operator tables. Each is
evaluated on the examples' literal arguments (only our own operators, on the user's literal data,
in-process, within size caps) and kept only if no smaller expression already behaves the same on every
example (observational equivalence). Those that reproduce every expected outcome are the matches.
"""

from __future__ import annotations

import ast
import functools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ncpu.cascade.template_examples import Example
from ncpu.cascade.template_grammar import (
    INT_LIMIT,
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

MAX_SIZE = 9
MAX_BANK = 20_000
BOUND_CONSTANTS = (0, 1, 2)
WALL_FACTOR = 1.5
MIN_CONSTANT_EVIDENCE = 3
"""Distinct examples needed before a constant body that ignores the stub's parameters is proposed."""
_LOOP_VARS = ("x", "v", "e", "item", "elem", "value")


@dataclass(slots=True)
class Entry:
    """One kept expression: its ``ast``, its outcome on each example, and what those outcomes look like."""

    node: ast.expr
    values: tuple[Any, ...]
    kind: str
    elem: str
    size: int
    order: int
    uses_param: bool


@dataclass(frozen=True, slots=True)
class Budget:
    """When a search must stop.

    CPU time of this thread, so that results do not depend on machine load, and a wall-clock cap
    (``WALL_FACTOR`` times longer) so that a starved thread still returns.
    """

    cpu_deadline: float
    wall_deadline: float

    @classmethod
    def of(cls, seconds: float) -> Budget:
        """A budget of ``seconds`` of CPU time starting now."""
        return cls(time.thread_time() + seconds, time.perf_counter() + WALL_FACTOR * seconds)

    def spent(self) -> bool:
        """Whether either deadline has passed."""
        return time.thread_time() > self.cpu_deadline or time.perf_counter() > self.wall_deadline


class _Stop(Exception):
    """The search is over: out of time, or a probe found its first fit."""


def evidence_needed(size: int) -> int:
    """Distinct examples needed before an expression of ``size`` nodes is proposed.

    Few examples fit too many larger expressions (``len(s) % 2 == 1`` "is" a palindrome test on two), so
    even ``len(xs)`` needs two examples, ``a + b`` two as well, five nodes three, seven nodes four.
    """
    return max(2, (size + 1) // 2)


def value_key(value: Any) -> Any:
    """A hashable stand-in for an outcome that tells ``1``, ``1.0`` and ``True`` apart."""
    kind = type(value)
    if kind in (int, float, str, bool, type(None), Raised):
        return kind, value
    return kind, repr(value)


class Search:
    """Bottom-up enumeration by size with observational-equivalence pruning."""

    def __init__(
        self,
        params: Sequence[str],
        examples: Sequence[Example],
        budget: Budget,
        limit: int,
        *,
        first: bool = False,
        max_size: int = MAX_SIZE,
    ) -> None:
        self.params = params
        self.first = first
        """Stop at the first parameter-using fit, whatever the evidence (leave-one-out probes)."""
        self.max_size = max_size
        self.examples = examples
        self.raise_ok = [example.mode == "raises" for example in examples]
        self.any_raise = any(self.raise_ok)
        self.budget = budget
        self.limit = limit
        distinct = len({tuple(value_key(arg) for arg in example.args) for example in examples})
        self.evidence = MAX_SIZE if first else distinct
        var = next((v for v in _LOOP_VARS if v not in params), "_v")
        comp_unary, comp_binary = comprehension_ops(var)
        self.unary = unary_ops() + comp_unary
        self.binary = binary_ops() + comp_binary
        self.bank: dict[int, list[Entry]] = {}
        self.banked = 0
        self.kinds: Counter[str] = Counter()
        """How many distinct behaviours of each kind were kept (``bool``: rival predicates)."""
        self.seen: dict[tuple[Any, ...], bool] = {}
        """Each kept behaviour, and whether it reproduces every example."""
        self.matches: list[Entry] = []
        self.tried = 0
        self._pair_cache: dict[tuple[str, str, str, str, bool], list[Op]] = {}

    def run(self, extra_levels: int) -> None:
        """Grow sizes until a level past the first parameter-using match, the size cap or the budget."""
        found_at: int | None = None
        try:
            for size in range(1, self.max_size + 1):
                if size > 1 and evidence_needed(size) > self.evidence:
                    return
                self._leaves() if size == 1 else self._grow(size)
                if found_at is None and any(entry.uses_param for entry in self.matches):
                    found_at = size
                if (found_at is not None and size >= found_at + extra_levels) or len(self.matches) >= self.limit:
                    return
        except _Stop:
            return

    def _leaves(self) -> None:
        for position, param in enumerate(self.params):
            values = tuple(example.args[position] for example in self.examples)
            self._add(values, 1, True, functools.partial(name, param))
        for number in SMALL_INTS:
            self._add((number,) * len(self.examples), 1, False, functools.partial(const, number))
        expected = {value_key(example.expected) for example in self.examples if example.mode == "value"}
        if len(expected) == 1 and all(example.mode == "value" for example in self.examples):
            value = self.examples[0].expected
            literal = lambda: ast.parse(repr(value), mode="eval").body  # noqa: E731
            self._add((value,) * len(self.examples), 1, False, literal, bank=False)

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

    def _ops_for(self, left: Entry, right: Entry) -> list[Op]:
        # A comprehension's bound is a parameter or one of the smallest constants (``[x * 2 for x in xs]``).
        bound = right.size == 1 and (right.uses_param or right.values[0] in BOUND_CONSTANTS)
        key = (left.kind, left.elem, right.kind, right.elem, bound)
        ops = self._pair_cache.get(key)
        if ops is None:
            ops = [
                op
                for op in self.binary
                if fits(op.sigs[0], left.kind, left.elem)
                and fits(op.sigs[1], right.kind, right.elem)
                and (not op.same or family(left.kind) == family(right.kind))
                and (bound or not op.leaf_last)
            ]
            self._pair_cache[key] = ops
        return ops

    def _consider(self, op: Op, operands: tuple[Entry, ...], size: int) -> None:
        self.tried += 1
        if not self.tried & 15 and self.budget.spent():
            raise _Stop
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
                kind = type(value)
                # Inlined fast path of ``within_caps`` for the commonest results: this loop is the hot spot.
                simple = kind is bool or kind is float or (kind is int and -INT_LIMIT <= value <= INT_LIMIT)
                if not simple and not within_caps(value):
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

    def _add(
        self, values: tuple[Any, ...], size: int, uses_param: bool, node: Callable[[], ast.expr], bank: bool = True
    ) -> None:
        key = tuple(map(value_key, values))
        fits_all = self.seen.get(key)
        fresh = fits_all is None
        if fits_all is None:
            fits_all = all(example.accepts(value) for example, value in zip(self.examples, values, strict=True))
        elif not fits_all:
            return  # the common case: a behaviour already kept, and not the one wanted
        # Without parameters a constant is all a body can be; otherwise it needs several examples.
        needed = evidence_needed(size) if uses_param else MIN_CONSTANT_EVIDENCE if self.params else 1
        matched = fits_all and (uses_param or not self.first) and self.evidence >= needed
        if not (fresh or matched):
            return
        kind, elem = kind_of(values)
        entry = Entry(node(), values, kind, elem, size, len(self.seen), uses_param)
        if matched and len(self.matches) < self.limit:
            self.matches.append(entry)
            if self.first and uses_param:
                raise _Stop
        if fresh and bank:
            self.seen[key] = fits_all
            self.kinds[kind] += 1
            if kind not in ("", "mixed", "other") and self.banked < MAX_BANK:
                self.bank.setdefault(size, []).append(entry)
                self.banked += 1
