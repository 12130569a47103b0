"""benchmarks/trust.py: the trust table read off a run's records (first pass against the answer given)."""

from __future__ import annotations

from typing import Any

from tests.scripts import load_benchmark_script


def _record(
    task: str, status: str, base: bool, plus: bool, first: tuple[bool, bool, bool], **extra: Any
) -> dict[str, Any]:
    verified, first_base, first_plus = first
    cumulative = {
        "+ best-of-N": {
            "verified": verified,
            "base": first_base,
            "plus": first_plus,
            "samples": 2,
            "tokens": 80,
            "seconds": 4.0,
        }
    }
    return {
        "task_id": task,
        "status": status,
        "base": base,
        "plus": plus,
        "samples": 4,
        "tokens": 160,
        "seconds": 8.0,
        "cumulative": cumulative,
        "agreement": "",
        "layer": "best_of_n",
        **extra,
    }


def test_the_table_counts_false_verifications_ambiguity_and_its_precision() -> None:
    trust = load_benchmark_script("trust")
    records = [
        _record("T/0", "verified", True, True, (True, True, True)),
        _record("T/1", "verified", True, False, (True, True, False), agreement="3 of 3 passing candidates agree"),
        _record(
            "T/2",
            "ambiguous",
            False,
            False,
            (True, True, False),
            ambiguous={"contains_right_answer": True, "largest_right": False},
        ),
        _record("T/3", "failed", False, False, (False, False, False)),
    ]
    table = trust.report(records)
    assert "| first pass wins (same run) | 3 | 2 | 0 | - | - | 3 (75.0) | 1 (25.0) |" in table
    assert "| agreement (the answer given) | 2 | 1 | 0 | 1 | 0 | 2 (50.0) | 1 (25.0) |" in table
    assert "the rule applied" not in table  # no lone guess among these records
    assert "Ambiguous: 1; the answers shown held the right one in 1, the largest group's was right in 0." in table
    assert "False verifications (plus): T/1." in table and "- T/1: 3 of 3 passing candidates agree" in table
    assert "| the whole solve (agreement included) | 4.00 | 160 | 8.0 / 8.0 |" in table


def test_a_run_from_before_the_unconfirmed_state_gets_its_rule_applied_to_the_records() -> None:
    trust = load_benchmark_script("trust")
    alone = "the only passing candidate; it ran 20 generated inputs"
    records = [
        _record("T/0", "verified", True, False, (True, True, False), agreement=alone),  # best-of-N, 3 others failed
        _record("T/1", "verified", True, True, (True, True, True), agreement=alone, layer="retry"),  # not a guess
        _record("T/2", "verified", True, True, (True, True, True), agreement="3 of 3 passing candidates agree"),
    ]
    assert trust.lone_guess(records[0]) and not trust.lone_guess(records[1]) and not trust.lone_guess(records[2])
    assert not trust.lone_guess({**records[0], "samples": 3})  # 2 others failed: fewer than unconfirmed_after
    table = trust.report(records)
    assert "| agreement (the answer given) | 3 | 1 | 0 | 0 | 0 | 3 (100.0) | 2 (66.7) |" in table
    assert (
        "| agreement, lone guesses unconfirmed (the rule applied) | 2 | 0 | 0 | 0 | 1 | 2 (66.7) | 2 (66.7) |" in table
    )
    assert "Unconfirmed: 1 (T/0); the body offered passed the plus tests in 0." in table
