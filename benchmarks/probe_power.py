"""How well the generated inputs tell bodies apart (trust issue 15, §1), measured on bodies runs gave as answers.

    python benchmarks/probe_power.py benchmarks/runs/humanevalplus-0.5b-ladder-agree benchmarks/runs/humanevalplus-1.5b-agree

Agreement can catch a wrong body only where the generated inputs make it behave unlike a right one. So for every
distinct body the runs answered with after it passed every extracted check (``verified`` and ``unconfirmed``
records), the body and the data set's canonical solution run on the stub's generated inputs (the examples'
mutations, ``ncpu.cascade.probes.probes``; the model's proposed calls are not made again), and their behaviour
(``ncpu.cascade.agreement.behaviour``: the values, the exception types, the printed output) is compared:

- a body that fails the HumanEval+ tests and behaves unlike the canonical solution is **separable**: an agreeing
  right candidate would have stood apart from it (the recall of the inputs);
- a body that passes them and behaves unlike it is a **spurious split**: two right bodies that agreement would
  put in different groups, on an input outside what the tests ask (where *ambiguous* comes from for nothing).

The canonical solution and the tests only score here. This measures the input generator; nothing of it reaches
a cascade. Run it from two trees (``PYTHONPATH=<tree>``) to compare two generators on the same bodies.
"""

from __future__ import annotations

import argparse
import json
import statistics
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extraction import find_stub
from ncpu.bench.datasets import BenchProblem, load_humanevalplus
from ncpu.cascade.agreement import TIMES_OUT, behaviour, observe_bodies, probe_checks
from ncpu.cascade.probes import probes
from ncpu.config import SandboxLimits
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "HumanEvalPlus.jsonl.gz"


@dataclass(frozen=True, slots=True)
class Answer:
    """A body a run answered with, and whether it passes the HumanEval+ tests."""

    task_id: str
    body: str
    right: bool


def answers(runs: list[Path]) -> Iterator[Answer]:
    """The distinct (task, body) answers of the runs that passed every extracted check."""
    seen: set[tuple[str, str]] = set()
    for run in runs:
        with (run / "cascade.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                record: dict[str, Any] = json.loads(line)
                body = record.get("body")
                if not body or record.get("status") not in ("verified", "unconfirmed"):
                    continue
                plus = (record.get("unconfirmed") or {}).get("plus") if record["status"] == "unconfirmed" else None
                plus = record.get("plus") if plus is None else plus
                if plus is None or (record["task_id"], body) in seen:
                    continue
                seen.add((record["task_id"], body))
                yield Answer(record["task_id"], body, bool(plus))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders holding cascade.jsonl")
    parser.add_argument("--data", type=Path, default=DATA, help="HumanEval+ JSONL(.gz)")
    parser.add_argument(
        "--coarse",
        action="store_true",
        help="what-if: any exception is one behaviour, and an input either side timed out on is left out",
    )
    parser.add_argument(
        "--list", action="store_true", help="name the wrong bodies not separated, and the input of each split"
    )
    args = parser.parse_args()
    problems: dict[str, BenchProblem] = {p.task_id: p for p in load_humanevalplus(args.data)}
    by_task: dict[str, list[Answer]] = {}
    for answer in answers(args.runs):
        by_task.setdefault(answer.task_id, []).append(answer)
    counts = {"wrong": 0, "separable": 0, "right": 0, "split": 0}
    inputs: list[int] = []
    missed: list[str] = []
    splits: list[str] = []
    with Sandbox(SandboxLimits()) as sandbox:
        for task_id, found in sorted(by_task.items(), key=lambda item: int(item[0].split("/")[1])):
            bench = problems[task_id]
            stub = find_stub(bench.prompt, bench.entry_point)
            if stub is None:
                continue
            problem = Problem.from_source(bench.prompt, stub)
            checks = probe_checks(probes(problem.stub, problem.checks))
            inputs.append(len(checks))
            canonical = textwrap.dedent(bench.canonical_solution)
            verdicts = observe_bodies(sandbox, problem, [canonical, *(a.body for a in found)], checks)
            reference = behaviour(verdicts[canonical])
            if reference is None:
                continue  # the canonical solution fails as a whole here (nothing to compare with)
            for answer in found:
                observed = behaviour(verdicts[answer.body])
                differs = _differ(observed, reference, coarse=args.coarse)
                if answer.right:
                    counts["right"] += 1
                    counts["split"] += differs
                    if differs:
                        splits.append(f"{task_id}: {_first_difference(checks, observed, reference)}")
                else:
                    counts["wrong"] += 1
                    counts["separable"] += differs
                    if not differs:
                        missed.append(task_id)
    wrong, right = counts["wrong"] or 1, counts["right"] or 1
    print("| bodies | wrong | separable | right | split | inputs per stub (median) |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| {counts['wrong'] + counts['right']} | {counts['wrong']} | {counts['separable']}"
        f" ({100 * counts['separable'] / wrong:.0f}%) | {counts['right']} | {counts['split']}"
        f" ({100 * counts['split'] / right:.0f}%) | {statistics.median(inputs) if inputs else 0:.0f} |"
    )
    if args.list:
        print("not separable:", ", ".join(missed))
        print("split:\n  " + "\n  ".join(splits))


def _differ(mine: tuple[str, ...] | None, reference: tuple[str, ...], *, coarse: bool) -> bool:
    if coarse:
        return _coarse(mine, reference) != _coarse(reference, mine)
    return mine != reference


def _coarse(mine: tuple[str, ...] | None, other: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """``mine`` with every exception one outcome and the inputs either side timed out on blanked."""
    if mine is None or other is None:
        return mine
    return tuple(
        "-" if TIMES_OUT in (a, b) else ("raises" if a.startswith("raises") else a)
        for a, b in zip(mine, other, strict=True)
    )


def _first_difference(checks: Any, observed: tuple[str, ...] | None, reference: tuple[str, ...]) -> str:
    """The first input on which a body and the canonical solution differ, and what each did."""
    if observed is None:
        return "the body fails as a whole"
    for check, mine, theirs in zip(checks, observed, reference, strict=False):
        if mine != theirs:
            return f"{check.call}: {mine} (canonical {theirs})"
    return "different number of results"


if __name__ == "__main__":
    main()
