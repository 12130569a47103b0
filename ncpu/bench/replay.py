"""Agreement decided again on the same passing bodies with the mutated inputs alone (trust issue 15, §1).

The cascade compares its passing bodies on the calls the model proposes and on the examples' mutations.
What the proposals add is measured inside one run: after the solve, the bench takes the very bodies that
passed (``Solution.votes``: every passing sample in its order of arrival, a body written again
included, as the cascade counted them) and decides among them on the mutated inputs only, as
the cascade would have without proposals. Only the extracted checks and the generated inputs take part;
the hidden tests score the two answers afterwards, as they score every other answer of the run.

The replay is exact up to the one generation the proposals cost: without it, agreement could have drawn
one more sample within its share.
"""

from __future__ import annotations

from dataclasses import dataclass

from ncpu.cascade.agreement import Decision, Member, decide, observe_bodies, probe_checks
from ncpu.cascade.probes import probes
from ncpu.cascade.solution import Solution
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox


@dataclass(frozen=True, slots=True)
class Replayed:
    """The answer agreement gives on the mutated inputs alone."""

    decision: Decision
    ambiguous: bool


def mutated_only(sandbox: Sandbox, problem: Problem, solution: Solution, margin: float = 1.0) -> Replayed | None:
    """Decide among ``solution``'s passing bodies on the mutated inputs only; ``None`` where nothing was chosen.

    Store hits and solves with one distinct passing body have nothing to replay: their answer is the same
    either way.
    """
    if solution.status not in ("verified", "ambiguous") or solution.layer == "store":
        return None
    members = [Member(body, temperature, order) for order, (body, temperature) in enumerate(solution.votes)]
    if len({member.body for member in members}) < 2:
        return None
    generated = probes(problem.stub, problem.checks)
    checks = probe_checks(generated)
    verdicts = observe_bodies(sandbox, problem, [member.body for member in members], checks)
    observed = [(member, verdicts[member.body]) for member in members]
    decision = decide(observed, [probe.call for probe in generated], margin)
    return Replayed(decision, decision.ambiguity is not None)
