"""One benchmark run: every problem through the cascade, scored afterwards, appended to a JSONL file.

Runs are resumable: a problem already in the run's JSONL file is skipped. The cascade receives only
the prompt (through the same ``Problem``/``Engine`` path as the editor) and its own extracted checks;
the hidden tests score the final answer and every cumulative configuration's answer after the solve.
"""

from __future__ import annotations

import json
import platform
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from extraction import find_stub
from ncpu.bench.datasets import BenchProblem
from ncpu.bench.replay import mutated_only
from ncpu.bench.scoring import Score, score
from ncpu.cascade.solution import Solution, TraceEntry
from ncpu.config import SandboxLimits
from ncpu.engine import Engine
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox

CUMULATIVE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("+ template/library", ("library", "template", "greedy")),
    ("+ compounding retry", ("library", "template", "greedy", "retry")),
    ("+ best-of-N", ("library", "template", "greedy", "retry", "best_of_n")),
    ("+ escalation", ("library", "template", "greedy", "retry", "best_of_n", "escalate")),
)
SCORING_LIMITS = SandboxLimits(wall_seconds=120.0, cpu_seconds=120, memory_mb=4096)


@dataclass(frozen=True)
class RunConfig:
    """What a run is: its data set, its layers, and where its results go."""

    dataset: str
    layers: tuple[str, ...]
    results: Path
    plus: bool


def answer_for(trace: Iterable[TraceEntry], layers: tuple[str, ...]) -> TraceEntry | None:
    """The final answer a cascade limited to ``layers`` would give: first verified, else best partial.

    The cascade runs layers in a fixed order, so a configuration that is a prefix of the full run
    sees exactly the candidates of the full run's trace from those layers. Only the extracted checks
    (``passed``) choose; hidden tests play no part.
    """
    best: TraceEntry | None = None
    for entry in trace:
        if entry.layer not in layers:
            continue
        if entry.total and entry.passed == entry.total:
            return entry
        if best is None or entry.passed > best.passed:
            best = entry
    return best


def spent_by(solution: Solution, layers: tuple[str, ...], answer: TraceEntry | None) -> dict[str, Any]:
    """What a cascade limited to ``layers`` would have spent: up to its verified answer, else all its layers."""
    if answer is not None and answer.total and answer.passed == answer.total:
        return {"samples": answer.samples, "tokens": answer.tokens, "seconds": answer.seconds}
    finished = [spend for spend in solution.spend if spend.layer in layers]
    if not finished:
        return {"samples": 0, "tokens": 0, "seconds": 0.0}
    last = finished[-1]
    return {"samples": last.samples, "tokens": last.tokens, "seconds": last.seconds}


def finished_tasks(path: Path) -> set[str]:
    """Task ids already in a results file (truncated last lines are ignored)."""
    done: set[str] = set()
    if not path.exists():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            done.add(json.loads(line)["task_id"])
        except (ValueError, KeyError):
            continue
    return done


def _score_entry(scorer: Sandbox, problem: BenchProblem, bench: Problem, entry: TraceEntry | None, plus: bool) -> Score:
    if entry is None:
        return Score(base=False, plus=False if plus else None, detail="no answer")
    return score(scorer, problem, bench.program_with(entry.body), plus=plus)


def chosen_entry(solution: Solution) -> TraceEntry | None:
    """The trace entry of the body the cascade chose among the passing ones (agreement), if it chose one."""
    if solution.status not in ("verified", "ambiguous", "unconfirmed") or solution.body is None:
        return None
    return next((entry for entry in solution.trace if entry.body == solution.body), None)


def _answers(
    scorer: Sandbox, problem: BenchProblem, bench: Problem, solution: Solution, plus: bool
) -> dict[str, Any] | None:
    """An ambiguous solve's question, each answer scored on the hidden tests (after the solve: they chose nothing)."""
    ambiguity = solution.ambiguity
    if ambiguity is None:
        return None
    answers = []
    for answer in ambiguity.answers:
        result = score(scorer, problem, bench.program_with(answer.body), plus=plus)
        answers.append(
            {"outcome": answer.outcome, "candidates": answer.candidates, "base": result.base, "plus": result.plus}
        )
    right = [a["plus"] if plus else a["base"] for a in answers]
    return {"call": ambiguity.call, "answers": answers, "contains_right_answer": any(right), "largest_right": right[0]}


def solve_one(engine: Engine, scorer: Sandbox, problem: BenchProblem, config: RunConfig) -> dict[str, Any]:
    """Solve one problem from its prompt alone, then score the answers."""
    stub = find_stub(problem.prompt, problem.entry_point)
    if stub is None:
        return {"task_id": problem.task_id, "status": "no_stub", "base": False, "plus": False}
    bench_problem = Problem.from_source(problem.prompt, stub)
    started = time.monotonic()
    shown: list[float] = []  # when the first passing body was handed over (what an editor shows at once)
    solution: Solution = engine.solve(bench_problem, on_first_pass=lambda _: shown.append(time.monotonic() - started))
    elapsed = time.monotonic() - started
    final = chosen_entry(solution) or answer_for(solution.trace, config.layers)
    final_score = _score_entry(scorer, problem, bench_problem, final, config.plus)
    cumulative: dict[str, Any] = {}
    if len(config.layers) > 1:
        scored: dict[str, Score] = {}
        for label, layers in CUMULATIVE:
            active = tuple(layer for layer in layers if layer in config.layers)
            entry = answer_for(solution.trace, active)
            spent = spent_by(solution, active, entry)
            if entry is None:
                cumulative[label] = {"base": False, "plus": False, "verified": False, "model": None, **spent}
                continue
            result = scored.get(entry.body) or _score_entry(scorer, problem, bench_problem, entry, config.plus)
            scored[entry.body] = result
            verified = entry.passed == entry.total and entry.total > 0
            cumulative[label] = {
                "base": result.base,
                "plus": result.plus,
                "verified": verified,
                "model": entry.model,
                **spent,
            }
    ambiguous = solution.status == "ambiguous"
    unsure = ambiguous or solution.status == "unconfirmed"
    return {
        "task_id": problem.task_id,
        "status": solution.status,
        "layer": solution.layer,
        "checks": len(bench_problem.checks),
        "checks_passed": final.passed if final else 0,
        "verified": solution.verified,
        # An ambiguous answer is a question to the user, and an unconfirmed one is not offered as verified:
        # pass@1 counts both as not solved (``unconfirmed`` keeps how its body scored).
        "base": final_score.base and not unsure,
        "plus": (final_score.plus and not unsure) if final_score.plus is not None else None,
        "false_verification": solution.verified and not final_score.base,
        "agreement": solution.agreement,
        "passing_bodies": sum(1 for e in solution.trace if e.total and e.passed == e.total),
        "ambiguous": _answers(scorer, problem, bench_problem, solution, config.plus) if ambiguous else None,
        "unconfirmed": {"base": final_score.base, "plus": final_score.plus}
        if solution.status == "unconfirmed"
        else None,
        "detail": final_score.detail,
        "model": solution.model,
        "samples": solution.samples,
        "tokens": solution.tokens,
        "seconds": round(elapsed, 2),
        # Seconds to the body an editor shows while agreement runs (``null``: none was shown before the answer).
        "first_shown_seconds": round(shown[0], 2) if shown else None,
        "cumulative": cumulative,
        "mutated_only": _mutated_only(engine, scorer, problem, bench_problem, solution, config.plus),
        "body": final.body if final else None,
    }


def _mutated_only(
    engine: Engine, scorer: Sandbox, problem: BenchProblem, bench: Problem, solution: Solution, plus: bool
) -> dict[str, Any] | None:
    """Agreement on the same passing bodies without the model's proposed inputs, scored (``ncpu.bench.replay``)."""
    replayed = mutated_only(engine.sandbox, bench, solution, engine.settings.budget.ambiguity_margin)
    if replayed is None:
        return None
    result = score(scorer, problem, bench.program_with(replayed.decision.chosen.body), plus=plus)
    return {
        "ambiguous": replayed.ambiguous,
        "agreement": replayed.decision.agreement,
        "same_body": replayed.decision.chosen.body == solution.body,
        "base": result.base and not replayed.ambiguous,
        "plus": (result.plus and not replayed.ambiguous) if result.plus is not None else None,
        "false_verification": not replayed.ambiguous and not result.base,
        "false_verification_plus": not replayed.ambiguous and result.plus is False,
    }


def _source_commit() -> str | None:
    """The git commit of the code running this benchmark, when it runs from a checkout."""
    try:
        answer = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (answer.stdout.strip() or None) if answer.returncode == 0 else None


def _record_session(config: RunConfig, engine: Engine, already_done: int) -> None:
    """The run's header (``<results>.meta.json``): its settings, and one entry per start or resume with its code."""
    header = config.results.with_suffix(".meta.json")
    meta: dict[str, Any] = {}
    if header.exists():
        try:
            meta = json.loads(header.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
    if not meta:
        meta = {
            **asdict(config),
            "results": str(config.results),
            "machine": platform.platform(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "models": engine.tier_labels,
        }
    session = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "commit": _source_commit(), "already_done": already_done}
    meta["sessions"] = [*meta.get("sessions", []), session]
    partial = header.with_suffix(".tmp")
    partial.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    partial.replace(header)


def run(
    engine: Engine,
    problems: list[BenchProblem],
    config: RunConfig,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
) -> Path:
    """Solve every unfinished problem and append its record; return the results file."""
    config.results.parent.mkdir(parents=True, exist_ok=True)
    done = finished_tasks(config.results)
    todo = [p for p in problems if p.task_id not in done]
    if todo:
        _record_session(config, engine, already_done=len(done))
    with Sandbox(SCORING_LIMITS) as scorer, config.results.open("a", encoding="utf-8") as out:
        for index, problem in enumerate(todo, start=1):
            record = solve_one(engine, scorer, problem, config)
            out.write(json.dumps(record) + "\n")
            out.flush()
            if progress is not None:
                progress(index, len(todo), record)
    return config.results
