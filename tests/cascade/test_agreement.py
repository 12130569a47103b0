"""Agreement: passing candidates grouped by what they do on generated inputs, the largest group first."""

from __future__ import annotations

from ncpu.cascade.agreement import Member, behaviour, close, group, probe_checks, separating_input
from ncpu.sandbox.verdict import CheckResult, Verdict


def _verdict(*outcomes: str) -> Verdict:
    results = tuple(
        CheckResult(passed=False, error=o[1:]) if o.startswith("!") else CheckResult(passed=False, actual=o)
        for o in outcomes
    )
    return Verdict(results=results, total=len(results))


def test_behaviour_is_values_and_exception_types_with_float_noise_rounded() -> None:
    observed = behaviour(_verdict("0.30000000000000004", "!IndexError: list index out of range", "[1, 2]", "'a'"))
    assert observed == ("= 0.3", "raises IndexError", "= [1, 2]", "= 'a'")
    assert behaviour(Verdict.failed(3, "SyntaxError")) is None


def test_the_largest_group_wins_and_a_tie_goes_to_the_lower_temperature() -> None:
    a, b, c = ("= 0",), ("raises IndexError",), ("= 1",)
    members = [Member("x", 0.8, 0), Member("y", 0.4, 1), Member("z", 1.0, 2), Member("w", 0.2, 3)]
    groups = group([(members[0], a), (members[1], b), (members[2], a), (members[3], b)])
    assert [g.behaviour for g in groups] == [b, a]  # two each: b's best member is at 0.2
    assert groups[0].representative.body == "w"
    groups = group([(members[0], a), (members[1], b), (members[2], a), (members[3], c)])
    assert groups[0].behaviour == a and groups[0].representative.body == "x"


def test_the_separating_input_is_the_first_on_which_the_two_largest_groups_differ() -> None:
    calls = ["f([1])", "f([])", "f([2, 2])"]
    first, second = ("= 1", "= 0", "= 1"), ("= 1", "raises IndexError", "= 1")
    groups = group([(Member("a", 0.2, 0), first), (Member("b", 0.4, 1), first), (Member("c", 0.6, 2), second)])
    split = separating_input(groups, calls)
    assert split is not None and (split.call, split.first, split.second) == ("f([])", "= 0", "raises IndexError")
    assert close(groups) and not close(groups, margin=0.6)
    assert separating_input(groups[:1], calls) is None and not close(groups[:1])


def test_probe_checks_only_observe() -> None:
    from ncpu.cascade.probes import Probe

    (check,) = probe_checks([Probe("f([])")])
    assert (check.origin, check.call, check.mode, check.expected, check.setup) == (
        "generated",
        "f([])",
        "output",
        "",
        (),
    )
    (bound,) = probe_checks([Probe("inv.low(0)", ("inv = Inv()", "inv.low(2)"))])
    assert bound.setup == ("inv = Inv()", "inv.low(2)")


def test_on_the_real_sandbox_two_bodies_that_pass_the_example_disagree_on_the_empty_list(sandbox) -> None:
    from extraction import extract_checks, find_stubs
    from ncpu.cascade.probes import Probe, probe_calls
    from ncpu.problem import Problem

    source = '''def count_runs(values: list[int]) -> int:
    """Count the runs of equal neighbours.

    >>> count_runs([1, 1, 2, 3, 3])
    3
    """
'''
    stub = find_stubs(source)[0]
    problem = Problem.from_source(source, stub)
    careful = "    runs = 0\n    for i, v in enumerate(values):\n        runs += i == 0 or v != values[i - 1]\n    return runs\n"
    hasty = "    runs = 1\n    for a, b in zip(values, values[1:]):\n        runs += a != b\n    if not values[0:1]:\n        raise IndexError('empty')\n    return runs\n"
    calls = probe_calls(stub, extract_checks(source, stub))
    probes = probe_checks([Probe(call) for call in calls])
    observed = []
    for order, body in enumerate((careful, hasty, careful.replace("runs = 0", "runs = 0  # same"))):
        assert sandbox.verify(problem.program_with(body), problem.checks).ok  # all three pass the example
        observed.append(
            (Member(body, 0.2 * order, order), behaviour(sandbox.verify(problem.program_with(body), probes)))
        )
    groups = group(observed)
    assert [len(g.members) for g in groups] == [2, 1]
    split = separating_input(groups, calls)
    assert split is not None and (split.call, split.first, split.second) == (
        "count_runs([])",
        "= 0",
        "raises IndexError",
    )


def test_an_input_that_times_out_for_any_candidate_leaves_the_comparison_alone() -> None:
    from ncpu.cascade.agreement import decide

    slow = CheckResult(passed=False, error="timed out on this check (0.5 s)", timed_out=True)

    def verdict(*results: CheckResult) -> Verdict:
        return Verdict(results=results, total=len(results))

    calls = ["f(0)", "f(10**5)", "f(-1)"]
    right = verdict(CheckResult(False, actual="1"), slow, CheckResult(False, actual="1"))
    also_right = verdict(CheckResult(False, actual="1"), slow, CheckResult(False, actual="1"))
    fast_wrong = verdict(CheckResult(False, actual="2"), CheckResult(False, actual="9"), CheckResult(False, actual="2"))
    passing = [(Member("wrong", 0.0, 0), fast_wrong), (Member("a", 0.6, 1), right), (Member("b", 0.6, 2), also_right)]
    decision = decide(passing, calls)
    assert decision.chosen.body == "a" and decision.ambiguity is None  # a timeout is no answer to outvote
    assert decision.agreement == "2 of 3 passing candidates agree on 2 generated inputs (1 more timed out)"
    tie = decide(passing[:2], calls)
    assert tie.ambiguity is not None and tie.ambiguity.call == "f(0)"
    assert [a.example for a in tie.ambiguity.answers] == [">>> f(0)\n2", ">>> f(0)\n1"]
    only_slow = decide([(Member("a", 0.0, 0), verdict(slow, slow, slow))], calls)
    assert only_slow.agreement == "1 passing candidate; every one of the 3 generated inputs timed out"
