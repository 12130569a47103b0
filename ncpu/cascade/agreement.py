"""Agreement between candidates that pass every check (trust issue 15, §2).

Every passing candidate is run on the generated inputs (``ncpu.cascade.probes``) and described by what it
did on each: the value it returned (as its ``repr``, floats to 9 significant digits so that rounding noise
does not split a group), or the type of the exception it raised. Candidates that did the same on every
input form a group; the answer comes from the largest group, as MBR-exec and AlphaCode's clustering
choose (a tie goes to the group whose best member came from the lower temperature, then the earlier one).
When the two largest groups are close, the input that separates them is what the user is asked about.
No expected values exist here: the generated inputs only compare candidates with each other.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from extraction.check import Check
from ncpu.sandbox.verdict import Verdict

_SIGNIFICANT = 9


def probe_checks(calls: Sequence[str]) -> tuple[Check, ...]:
    """Checks that only observe: an ``output`` check with nothing expected reports what the call gave."""
    return tuple(Check(origin="generated", call=call, expected="", mode="output", text=call) for call in calls)


def behaviour(verdict: Verdict) -> tuple[str, ...] | None:
    """What a candidate did on each probe, or ``None`` when it failed as a whole (it cannot be compared)."""
    if verdict.error is not None:
        return None
    outcomes = []
    for result in verdict.results:
        if result.error is not None:
            outcomes.append(f"raises {result.error.split(':', 1)[0].strip()}")
        else:
            outcomes.append(f"= {_normal(result.actual)}")
    return tuple(outcomes)


def _normal(shown: str | None) -> str:
    """``shown`` with its floats rounded, when it is a literal; else as it is."""
    if shown is None:
        return "None"
    try:
        value = ast.literal_eval(shown)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return shown
    return repr(_rounded(value))


def _rounded(value: Any) -> Any:
    if type(value) is float:
        if not math.isfinite(value) or value == 0:
            return value
        return round(value, _SIGNIFICANT - 1 - math.floor(math.log10(abs(value))))
    if isinstance(value, list | tuple):
        return type(value)(_rounded(item) for item in value)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class Member:
    """One passing candidate: its body, the temperature it was sampled at, and its order of arrival."""

    body: str
    temperature: float
    order: int


@dataclass(frozen=True, slots=True)
class Group:
    """Candidates that did the same on every generated input."""

    behaviour: tuple[str, ...]
    members: tuple[Member, ...]

    @property
    def representative(self) -> Member:
        """The member to offer: the lowest temperature, then the first to arrive."""
        return min(self.members, key=lambda member: (member.temperature, member.order))


def group(candidates: Sequence[tuple[Member, tuple[str, ...]]]) -> list[Group]:
    """Groups of equal behaviour, the largest first (ties: the lower temperature, then the earlier arrival)."""
    by_behaviour: dict[tuple[str, ...], list[Member]] = {}
    for member, observed in candidates:
        by_behaviour.setdefault(observed, []).append(member)
    groups = [Group(observed, tuple(members)) for observed, members in by_behaviour.items()]
    groups.sort(key=lambda g: (-len(g.members), g.representative.temperature, g.representative.order))
    return groups


@dataclass(frozen=True, slots=True)
class Disagreement:
    """An input on which the two largest groups differ, and what each did there."""

    call: str
    first: str
    second: str


def separating_input(groups: Sequence[Group], calls: Sequence[str]) -> Disagreement | None:
    """The first generated input on which the two largest groups differ (``None`` for fewer than two)."""
    if len(groups) < 2:
        return None
    first, second = groups[0].behaviour, groups[1].behaviour
    for call, mine, theirs in zip(calls, first, second, strict=False):
        if mine != theirs:
            return Disagreement(call, mine, theirs)
    return None


def close(groups: Sequence[Group], margin: float = 0.5) -> bool:
    """Whether the runner-up group is at least ``margin`` times the size of the largest (ambiguous)."""
    if len(groups) < 2:
        return False
    return len(groups[1].members) >= margin * len(groups[0].members)
