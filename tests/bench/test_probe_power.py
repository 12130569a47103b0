"""benchmarks/probe_power.py: which recorded answers it compares, and its what-if comparison."""

from __future__ import annotations

import json
from pathlib import Path

from tests.scripts import load_benchmark_script


def test_answers_are_the_distinct_bodies_that_passed_every_check(tmp_path: Path) -> None:
    power = load_benchmark_script("probe_power")
    run = tmp_path / "run"
    run.mkdir()
    records = [
        {"task_id": "HumanEval/1", "status": "verified", "plus": True, "body": "return 1\n"},
        {"task_id": "HumanEval/1", "status": "verified", "plus": True, "body": "return 1\n"},  # the same body again
        {"task_id": "HumanEval/2", "status": "unconfirmed", "plus": False, "body": "return 2\n",
         "unconfirmed": {"base": True, "plus": True}},  # scored as its body scored, not as "not solved"
        {"task_id": "HumanEval/3", "status": "ambiguous", "plus": False, "body": "return 3\n"},
        {"task_id": "HumanEval/4", "status": "failed", "plus": False, "body": "return 4\n"},
        {"task_id": "HumanEval/5", "status": "verified", "plus": None, "body": "return 5\n"},  # not scored
    ]  # fmt: skip
    (run / "cascade.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    found = list(power.answers([run, run]))
    assert [(a.task_id, a.right) for a in found] == [("HumanEval/1", True), ("HumanEval/2", True)]


def test_the_coarse_what_if_merges_exceptions_and_drops_time_outs() -> None:
    power = load_benchmark_script("probe_power")
    mine = ("raises ValueError", "times out", "= 1")
    other = ("raises KeyError", "= 2", "= 1")
    assert power._coarse(mine, other) == ("raises", "-", "= 1") == power._coarse(other, mine)
    assert power._coarse(("= 1",), ("= 2",)) != power._coarse(("= 2",), ("= 1",))
    assert power._coarse(None, other) is None
