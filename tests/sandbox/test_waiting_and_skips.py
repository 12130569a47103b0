"""Checks that are neither a pass nor a failure: one waiting for another stub, one that skipped itself."""

from __future__ import annotations

from extraction.check import Check
from ncpu.sandbox import Placement, Sandbox
from ncpu.sandbox.judge import waiting_for
from ncpu.sandbox.verdict import CheckResult, Verdict

MODULE = '''def low(xs):
    raise NotImplementedError


def restock(xs):
    """The stub being solved."""
    raise NotImplementedError
'''
TEST = Check("workspace_test", "assert low([1]) == [1]\nassert restock([1]) == 2", None, "statement")
OWN = Check("doctest", "restock([1])", "2")


def _placement(pending: tuple[str, ...]) -> Placement:
    return Placement("", "<candidate>", pending=pending)


def test_a_check_that_needs_another_stub_waits_and_the_verdict_is_ok(sandbox: Sandbox) -> None:
    program = MODULE.replace('"""The stub being solved."""\n    raise NotImplementedError', "return 2")
    verdict = sandbox.verify(program, [OWN, TEST], placement=_placement(("low",)))
    assert [r.waiting for r in verdict.results] == [None, "low"]
    assert verdict.ok and verdict.passed == 1
    assert verdict.summary() == "1 of 2 checks passed, 1 waiting for low (still a stub)"
    assert verdict.first_failure() is None


def test_without_the_other_stub_pending_the_same_check_fails(sandbox: Sandbox) -> None:
    program = MODULE.replace('"""The stub being solved."""\n    raise NotImplementedError', "return 2")
    verdict = sandbox.verify(program, [OWN, TEST], placement=_placement(()))
    assert not verdict.ok and verdict.results[1].waiting is None


def test_the_candidates_own_not_implemented_error_is_a_failure(sandbox: Sandbox) -> None:
    """The stub being solved raising NotImplementedError is a wrong body, whatever else is pending."""
    verdict = sandbox.verify(MODULE, [OWN, TEST], placement=_placement(("low",)))
    assert not verdict.ok and verdict.passed == 0


def test_only_a_check_that_calls_the_pending_stub_can_wait() -> None:
    observation = {"passed": False, "error": "NotImplementedError", "raised_in": "low"}
    assert waiting_for(TEST, observation, ("low",)) == "low"
    unrelated = Check("workspace_test", "assert restock([1]) == 2", None, "statement")
    assert waiting_for(unrelated, observation, ("low",)) is None  # a candidate cannot make any check wait
    assert waiting_for(TEST, {**observation, "raised_in": "other"}, ("low",)) is None
    assert waiting_for(TEST, {**observation, "error": "ValueError"}, ("low",)) is None


def test_a_verdict_of_nothing_but_waiting_or_skipped_checks_is_not_ok() -> None:
    waiting = CheckResult(passed=False, error="NotImplementedError", waiting="low")
    skipped = CheckResult(passed=False, error="SkipTest: no gpu", skipped="SkipTest: no gpu")
    assert not Verdict(results=(waiting, skipped), total=2).ok
    assert Verdict(results=(CheckResult(passed=True), waiting, skipped), total=3).ok


def test_a_test_that_skips_itself_at_run_time_is_neither_pass_nor_failure(sandbox: Sandbox) -> None:
    skip = Check("workspace_test", "import unittest\nraise unittest.SkipTest('no hyperscan')", None, "statement")
    program = "def f(x):\n    return x\n"
    verdict = sandbox.verify(program, [Check("doctest", "f(1)", "1"), skip])
    assert verdict.ok, verdict
    assert verdict.results[1].skipped is not None and "no hyperscan" in verdict.results[1].skipped
    assert verdict.summary() == "1 of 2 checks passed, 1 skipped by the test itself"


def test_a_body_that_raises_skiptest_fails_instead_of_skipping(sandbox: Sandbox) -> None:
    """Otherwise a wrong body could turn every test it fails into a skip."""
    program = "import unittest\n\ndef f(x):\n    if x == 1:\n        return 1\n    raise unittest.SkipTest('not me')\n"
    test = Check("workspace_test", "y = f(2)\nassert y == 4", None, "statement")  # decided in the child
    verdict = sandbox.verify(program, [Check("doctest", "f(1)", "1"), test])
    assert not verdict.ok and verdict.results[1].skipped is None
