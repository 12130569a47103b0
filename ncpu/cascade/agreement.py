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
from typing import TYPE_CHECKING, Any

from extraction.check import Check
from ncpu.cascade.probes import Probe
from ncpu.cascade.solution import Ambiguity, Answer
from ncpu.sandbox.verdict import CheckResult, Verdict

if TYPE_CHECKING:
    from ncpu.cancel import CancelToken
    from ncpu.problem import Problem
    from ncpu.sandbox import Sandbox

_SIGNIFICANT = 9


def probe_checks(probes: Sequence[Probe]) -> tuple[Check, ...]:
    """Checks that only observe: an ``output`` check with nothing expected reports what the call gave."""
    return tuple(
        Check(origin="generated", call=probe.call, expected="", mode="output", setup=probe.setup, text=probe.call)
        for probe in probes
    )


TIMES_OUT = "times out"
"""The outcome of a probe that ran past its own clock: it says nothing about the value, so it is not compared."""


def probe_seconds(wall_seconds: float, count: int) -> float:
    """Each probe's own clock: the candidate's wall limit shared among ``count`` probes, at most a second.

    A slow input then costs that input (its column leaves the comparison), not the whole candidate.
    """
    return min(1.0, 0.8 * wall_seconds / max(1, count))


def observe_bodies(
    sandbox: Sandbox,
    problem: Problem,
    bodies: Sequence[str],
    probes: Sequence[Check],
    cancel: CancelToken | None = None,
) -> dict[str, Verdict]:
    """Each distinct body's verdict on the probes (``probe_checks``), every probe on its own clock."""
    clock = probe_seconds(sandbox.limits.wall_seconds, len(probes))
    observed: dict[str, Verdict] = {}
    for body in bodies:
        if body not in observed:
            observed[body] = (
                sandbox.verify(
                    problem.program_with(body), probes, cancel=cancel, placement=problem.placement, check_seconds=clock
                )
                if probes
                else Verdict()
            )
    return observed


def behaviour(verdict: Verdict) -> tuple[str, ...] | None:
    """What a candidate did on each probe, or ``None`` when it failed as a whole (it cannot be compared)."""
    if verdict.error is not None:
        return None
    outcomes = []
    for result in verdict.results:
        if result.timed_out:
            outcomes.append(TIMES_OUT)
        elif result.error is not None:
            outcomes.append(f"raises {result.error.split(':', 1)[0].strip()}")
        else:
            outcomes.append(f"= {_normal(result.shown if result.shown is not None else result.actual)}")
    return tuple(outcomes)


def _normal(shown: str | None) -> str:
    """``shown`` with its floats rounded, when it is a literal; else as it is (``""``: returned ``None``)."""
    if shown is None or shown == "":
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


@dataclass(frozen=True, slots=True)
class Decision:
    """Which passing body to offer, why it is trusted, and the question to ask when it is not."""

    chosen: Member
    agreement: str
    """``"4 of 5 passing candidates agree on 48 generated inputs"`` and the like."""
    ambiguity: Ambiguity | None = None


def decide(
    passing: Sequence[tuple[Member, Verdict]], calls: Sequence[str], margin: float = 1.0, proposed: int = 0
) -> Decision:
    """Choose among bodies that pass every check, from what each did on the generated ``calls``.

    ``proposed`` of the ``calls`` are the model's proposals; the evidence says so. ``passing`` holds each body with its verdict on the probes of ``calls`` (``probe_checks``), in order of arrival. A body that
    failed there as a whole (it timed out on a generated input) cannot be compared and is not chosen while
    another can be; when none can, the first wins.
    """
    first = passing[0][0]
    count = len(passing)
    plural = "s" if count != 1 else ""
    if not calls:
        if count == 1:
            return Decision(first, "the only passing candidate; no inputs could be generated")
        return Decision(first, f"{count} passing candidates; no inputs could be generated to compare them")
    comparable = [(member, observed) for member, verdict in passing if (observed := behaviour(verdict)) is not None]
    if not comparable:
        return Decision(first, f"{count} passing candidate{plural}, none of which ran the {_inputs(calls, proposed)}")
    kept = [i for i in range(len(calls)) if all(observed[i] != TIMES_OUT for _, observed in comparable)]
    if not kept:
        return Decision(
            first, f"{count} passing candidate{plural}; every one of the {_inputs(calls, proposed)} timed out"
        )
    groups = group([(member, tuple(observed[i] for i in kept)) for member, observed in comparable])
    compared = [calls[i] for i in kept]
    inputs = _inputs(compared, sum(1 for i in kept if i < proposed))  # the proposed inputs come first
    if len(kept) < len(calls):
        inputs += f" ({len(calls) - len(kept)} more timed out)"
    top = groups[0]
    if count == 1:
        agreement = f"the only passing candidate; it ran {inputs}"
    else:
        agreement = f"{len(top.members)} of {count} passing candidates agree on {inputs}"
    split = separating_input(groups, compared) if close(groups, margin) else None
    if split is None:
        return Decision(top.representative, agreement)
    verdicts = {member.body: verdict for member, verdict in passing}
    column = compared.index(split.call)
    index = kept[column]
    answers: dict[str, tuple[int, Member]] = {}
    for candidates in groups:
        outcome = candidates.behaviour[column]
        held, member = answers.get(outcome, (0, candidates.representative))
        answers[outcome] = (held + len(candidates.members), member)
    ambiguity = Ambiguity(
        split.call,
        tuple(
            Answer(_in_words(outcome), _doctest(split.call, verdicts[member.body].results[index]), held, member.body)
            for outcome, (held, member) in answers.items()
        ),
    )
    return Decision(top.representative, agreement, ambiguity)


def _inputs(calls: Sequence[str], proposed: int) -> str:
    """``48 generated inputs``, with how many of them the model proposed when it proposed any."""
    counted = f"{len(calls)} generated input{'s' if len(calls) != 1 else ''}"
    return f"{counted} ({proposed} proposed by the model)" if proposed else counted


def _in_words(outcome: str) -> str:
    return outcome[2:] if outcome.startswith("= ") else outcome


def _doctest(call: str, result: CheckResult) -> str:
    """The doctest lines (``>>>`` line and expected output) that pin what ``result`` shows for ``call``."""
    if result.error is not None:
        line = result.error.strip().splitlines()[0] if result.error.strip() else "Exception"
        return f">>> {call}\nTraceback (most recent call last):\n    ...\n{line}"
    shown = result.shown if result.shown is not None else (result.actual or "")
    if not shown.strip():
        return f">>> print({call})\nNone"
    lines = [line if line.strip() else "<BLANKLINE>" for line in shown.rstrip("\n").splitlines()]
    return ">>> " + call + "\n" + "\n".join(lines)
