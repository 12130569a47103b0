"""The benchmark harness: answer selection by extracted checks only, per-configuration cost, scoring, report."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ncpu.bench.datasets import load_humaneval, load_humanevalplus
from ncpu.bench.report import read_records, rows
from ncpu.bench.runner import answer_for, spent_by
from ncpu.bench.scoring import score
from ncpu.cascade.solution import LayerSpend, Solution, TraceEntry
from ncpu.cli.main import main
from ncpu.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]

HUMANEVAL_PLUS = Path(__file__).resolve().parents[3] / "shared" / "data" / "HumanEvalPlus.jsonl.gz"

TRACE = (
    TraceEntry("template", "return 0", 1, 3, None, None, samples=0, tokens=0, seconds=0.1),
    TraceEntry("greedy", "return 1", 2, 3, "small", 0.0, samples=1, tokens=40, seconds=2.0),
    TraceEntry("retry", "return 2", 3, 3, "small", 0.4, samples=3, tokens=130, seconds=6.0),
)
SPEND = (
    LayerSpend("template", 0, 0, 0.1),
    LayerSpend("greedy", 1, 40, 2.0),
)


def test_answer_is_the_first_verified_candidate_within_the_layers_else_the_best_partial() -> None:
    assert answer_for(TRACE, ("template", "greedy", "retry")) == TRACE[2]
    assert answer_for(TRACE, ("template", "greedy")) == TRACE[1]
    assert answer_for(TRACE, ("best_of_n",)) is None


def test_cost_of_a_configuration_stops_at_its_answer_or_at_the_end_of_its_last_layer() -> None:
    solution = Solution(status="verified", key="k", trace=TRACE, spend=SPEND)
    verified = answer_for(TRACE, ("template", "greedy", "retry"))
    assert spent_by(solution, ("template", "greedy", "retry"), verified) == {
        "samples": 3,
        "tokens": 130,
        "seconds": 6.0,
    }
    partial = answer_for(TRACE, ("template", "greedy"))
    assert spent_by(solution, ("template", "greedy"), partial) == {"samples": 1, "tokens": 40, "seconds": 2.0}


def test_report_rows_count_false_verifications_and_mean_costs() -> None:
    baseline = [
        {"base": True, "plus": True, "verified": True, "samples": 1, "tokens": 50, "seconds": 3.0, "model": "m"},
        {"base": False, "plus": False, "verified": True, "samples": 1, "tokens": 30, "seconds": 3.0, "model": "m"},
    ]
    full = [{"cumulative": {"+ template/library": dict(record)}} for record in baseline]
    table = rows(baseline, full)
    assert [row.label for row in table] == ["greedy only (baseline)", "+ template/library"]
    assert table[0].base == 1 and table[0].plus == 1 and table[0].false_verifications == 1
    assert table[0].samples == 1.0 and table[0].tokens == 40.0 and table[0].minutes == pytest.approx(0.1)
    assert table[0].models == ("m",)
    # A problem whose prompt holds no stub is a failure in every row, not left out of the later ones.
    table = rows(baseline, [*full, {"task_id": "unposed", "status": "no_stub", "base": False, "plus": False}])
    assert [(row.problems, row.base) for row in table] == [(2, 1), (3, 1)]


def test_hidden_tests_score_the_canonical_solution_and_reject_a_wrong_one() -> None:
    problem = load_humaneval()[2]  # truncate_number
    with Sandbox() as sandbox:
        right = score(sandbox, problem, problem.prompt + problem.canonical_solution, plus=False)
        wrong = score(sandbox, problem, problem.prompt + "    return 0.5\n", plus=False)
    assert right.base and not wrong.base


@pytest.mark.skipif(not HUMANEVAL_PLUS.exists(), reason=f"HumanEval+ data not at {HUMANEVAL_PLUS}")
def test_plus_inputs_catch_a_body_that_only_passes_the_base_tests() -> None:
    problems = {p.task_id: p for p in load_humanevalplus(HUMANEVAL_PLUS)}
    problem = problems["HumanEval/2"]
    with Sandbox() as sandbox:
        right = score(sandbox, problem, problem.prompt + problem.canonical_solution, plus=True)
        # Right on the base tests' plain floats; EvalPlus adds tiny ones whose repr has no '.' (1e-323).
        sloppy = score(
            sandbox, problem, problem.prompt + "    return float('0.' + repr(number).split('.')[1])\n", plus=True
        )
    assert right.base and right.plus
    assert sloppy.base and sloppy.plus is False


def test_bench_scores_only_the_final_answer_and_reports_a_false_verification(tmp_path: Path) -> None:
    """End to end on three HumanEval problems with a scripted model: the hidden tests score, never choose."""
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            {
                "has_close_elements": [
                    "def has_close_elements(numbers, threshold):\n"
                    "    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])\n"
                ],
                # Passes the one docstring example, fails the hidden tests: a false verification.
                "truncate_number": ["def truncate_number(number):\n    return 0.5\n"],
                "*": ["def f(x):\n    return []\n"],
            }
        )
    )
    out = tmp_path / "out"
    args = ["bench", "humaneval", "--limit", "3", "--backend", "fake", "--model", str(script)]
    args += ["--out", str(out), "--name", "run", "--layers", "greedy,retry", "--max-samples", "2"]
    assert main(args) == 0
    cascade = {r["task_id"]: r for r in read_records(out / "run" / "cascade.jsonl")}
    assert cascade["HumanEval/0"]["verified"] and cascade["HumanEval/0"]["base"]
    assert not cascade["HumanEval/1"]["verified"] and not cascade["HumanEval/1"]["base"]
    assert cascade["HumanEval/2"]["false_verification"]
    report = (out / "run" / "report.md").read_text()
    assert "| greedy only (baseline) | 33.3 |" in report
    summary = json.loads((out / "run" / "summary.json").read_text())
    assert summary[0]["false_verifications"] == 1
    # Resumable: a second run finds every problem done and solves nothing again.
    assert main(args) == 0
    assert len(read_records(out / "run" / "cascade.jsonl")) == 3
    # A longer run resumes after the three: the header records each start with the code it ran.
    assert main([*args[:3], "4", *args[4:]]) == 0
    meta = json.loads((out / "run" / "cascade.meta.json").read_text())
    assert [session["already_done"] for session in meta["sessions"]] == [0, 3]
    if (ROOT / ".git").exists():  # the suite runs from a checkout: the header names its commit
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        assert [session["commit"] for session in meta["sessions"]] == [head.stdout.strip()] * 2


def test_a_single_layer_run_is_one_row_of_its_own() -> None:
    full = [
        {"base": True, "plus": False, "verified": True, "samples": 1, "tokens": 20, "seconds": 1.0, "cumulative": {}},
        {"base": False, "plus": False, "verified": False, "samples": 1, "tokens": 40, "seconds": 2.0, "cumulative": {}},
    ]
    table = rows(None, full, ("greedy",))
    assert [(row.label, row.problems, row.base, row.plus) for row in table] == [("greedy only", 2, 1, 0)]
    assert table[0].tokens == 30.0


def test_an_ambiguous_solve_is_not_solved_and_its_answers_are_scored_only_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hidden tests score the answers once the solve has returned; they never choose among candidates."""
    import dataclasses

    from ncpu.backends.fake import ScriptedBackend
    from ncpu.bench import runner
    from ncpu.bench.datasets import BenchProblem
    from ncpu.bench.report import ambiguity_lines
    from ncpu.config import Budget, Settings
    from ncpu.engine import Engine
    from ncpu.store import Store

    prompt = 'def count_runs(values: list) -> int:\n    """Runs of equal neighbours.\n\n    >>> count_runs([1, 1, 2])\n    2\n    """\n'
    careful = (
        "def count_runs(values):\n    return sum(1 for i, v in enumerate(values) if i == 0 or v != values[i - 1])\n"
    )
    hasty = "def count_runs(values):\n    return 1 + sum(a != b for a, b in zip(values, values[1:]))\n"
    test = "def check(candidate):\n    assert candidate([]) == 0\n    assert candidate([3, 3]) == 1\n"
    problem = BenchProblem("T/0", prompt, "count_runs", test, careful.split(":\n", 1)[1])
    settings = Settings(layers=("greedy",), budget=dataclasses.replace(Budget(), agreement_passes=2))
    backend = ScriptedBackend({"*": [hasty, careful]})
    solving = []
    scored_while_solving = []
    real_score = runner.score

    def watched_score(*args, **kwargs):  # type: ignore[no-untyped-def]
        scored_while_solving.append(bool(solving))
        return real_score(*args, **kwargs)

    monkeypatch.setattr(runner, "score", watched_score)
    with Sandbox() as scorer, Engine(settings, store=Store.open(tmp_path / "s"), backends=[backend]) as engine:
        real_solve = engine.solve

        def watched_solve(*args, **kwargs):  # type: ignore[no-untyped-def]
            solving.append(True)
            try:
                return real_solve(*args, **kwargs)
            finally:
                solving.clear()

        monkeypatch.setattr(engine, "solve", watched_solve)
        record = runner.solve_one(engine, scorer, problem, runner.RunConfig("t", ("greedy",), tmp_path / "r", False))
    assert scored_while_solving and not any(scored_while_solving)
    assert record["status"] == "ambiguous" and record["base"] is False and not record["false_verification"]
    asked = record["ambiguous"]
    assert asked["call"] == "count_runs([])" and asked["contains_right_answer"] and not asked["largest_right"]
    assert [a["base"] for a in asked["answers"]] == [False, True]  # greedy's (hasty) group is shown first
    assert ambiguity_lines([record])[1:] == [
        "Ambiguous (counted as not solved above): 1 of 1.",
        "Precision: the answers shown held the right one in 1 of 1; the largest group's was right in 0.",
    ]


def test_the_replay_decides_on_the_same_bodies_without_the_proposed_inputs(tmp_path: Path) -> None:
    """What the model's proposed inputs add, measured in one run: same bodies, mutated inputs only, scored after."""
    import dataclasses

    from ncpu.backends.fake import ScriptedBackend
    from ncpu.bench import runner
    from ncpu.bench.datasets import BenchProblem
    from ncpu.bench.report import replay_lines
    from ncpu.config import Budget, Settings
    from ncpu.engine import Engine
    from ncpu.store import Store

    prompt = (
        'def is_leap(year: int) -> bool:\n    """Gregorian leap years.\n\n    >>> is_leap(2024)\n    True\n    """\n'
    )
    naive = "def is_leap(year):\n    return year % 4 == 0\n"  # every mutation of 2024 agrees with the right body
    right = "def is_leap(year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n"
    right_too = "def is_leap(year):\n    return year % 400 == 0 or (year % 4 == 0 and year % 100 != 0)\n"
    test = "def check(candidate):\n    assert candidate(1900) is False\n    assert candidate(2000) is True\n"
    problem = BenchProblem("T/1", prompt, "is_leap", test, right.split(":\n", 1)[1])
    backend = ScriptedBackend({"is_leap": [naive, right, right_too], "is_leap#inputs": ["1900)\nis_leap(2000)\n"]})
    settings = Settings(layers=("greedy", "best_of_n"), budget=dataclasses.replace(Budget(), proposed_inputs=6))
    with Sandbox() as scorer, Engine(settings, store=Store.open(tmp_path / "s"), backends=[backend]) as engine:
        config = runner.RunConfig("t", ("greedy", "best_of_n"), tmp_path / "r", False)
        record = runner.solve_one(engine, scorer, problem, config)
    assert record["status"] == "verified" and record["base"] and not record["false_verification"]
    replayed = record["mutated_only"]
    assert replayed["agreement"].startswith("3 of 3") and not replayed["same_body"]
    assert replayed["false_verification"] and not replayed["base"] and not replayed["ambiguous"]
    assert replay_lines([record])[2:] == [
        "- as given (proposed + mutated inputs): pass@1 base 1, plus 0; false verifications 0 (base), 0 (plus); "
        "ambiguous 0.",
        "- mutated inputs only: pass@1 base 0, plus 0; false verifications 1 (base), 0 (plus); ambiguous 0; "
        "another body chosen in 1.",
    ]


def test_the_replay_counts_a_body_written_again_as_the_cascade_does() -> None:
    """Votes, not distinct bodies: [hasty, hasty, careful] is 2 against 1, not a tie."""
    from extraction import find_stubs
    from ncpu.bench.replay import mutated_only
    from ncpu.problem import Problem

    prompt = 'def count_runs(values: list) -> int:\n    """Runs.\n\n    >>> count_runs([1, 1, 2])\n    2\n    """\n'
    careful = "return sum(1 for i, v in enumerate(values) if i == 0 or v != values[i - 1])\n"
    hasty = "return 1 + sum(a != b for a, b in zip(values, values[1:]))\n"
    problem = Problem.from_source(prompt, find_stubs(prompt)[0])
    solution = Solution(
        status="verified", key="k", body=hasty, layer="greedy", votes=((hasty, 0.0), (hasty, 0.6), (careful, 0.6))
    )
    with Sandbox() as sandbox:
        replayed = mutated_only(sandbox, problem, solution, margin=1.0)
        assert replayed is not None and not replayed.ambiguous
        assert replayed.decision.chosen.body == hasty
        assert replayed.decision.agreement.startswith("2 of 3 passing candidates agree")
        alone = mutated_only(sandbox, problem, Solution(status="verified", key="k", body=hasty, votes=((hasty, 0.0),)))
        assert alone is None  # one distinct body: nothing to replay


def test_an_unconfirmed_solve_is_not_solved_and_keeps_how_its_body_scored(tmp_path: Path) -> None:
    import dataclasses

    from ncpu.backends.fake import ScriptedBackend
    from ncpu.bench import runner
    from ncpu.bench.datasets import BenchProblem
    from ncpu.bench.report import ambiguity_lines
    from ncpu.config import Budget, Settings
    from ncpu.engine import Engine
    from ncpu.store import Store

    prompt = 'def double(x: int) -> int:\n    """Twice x.\n\n    >>> double(2)\n    4\n    """\n'
    right = "def double(x):\n    return 2 * x\n"
    wrong = [f"def double(x):\n    return x + {n}\n" for n in (1, 3, 4, 5)]
    test = "def check(candidate):\n    assert candidate(5) == 10\n"
    problem = BenchProblem("T/1", prompt, "double", test, "    return 2 * x\n")
    settings = Settings(layers=("best_of_n",), budget=dataclasses.replace(Budget(), max_samples=8))
    backend = ScriptedBackend({"*": [*wrong[:3], right, wrong[3]]})
    with Sandbox() as scorer, Engine(settings, store=Store.open(tmp_path / "s"), backends=[backend]) as engine:
        config = runner.RunConfig("t", ("best_of_n",), tmp_path / "r", False)
        record = runner.solve_one(engine, scorer, problem, config)
    assert record["status"] == "unconfirmed" and not record["verified"] and not record["false_verification"]
    assert record["base"] is False and record["unconfirmed"] == {"base": True, "plus": None}
    assert ambiguity_lines([record])[-1] == (
        "Unconfirmed (a guessing layer's body passed alone; counted as not solved above): 1; "
        "the body offered was right in 1."
    )
