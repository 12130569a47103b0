"""Time to an answer, per problem, from ``ncpu bench humanevalplus`` runs, side by side (speed issue 16).

    python benchmarks/latency.py benchmarks/runs/humanevalplus-0.5b-rerun benchmarks/runs/<new run> [...]

For each run (a folder holding ``cascade.jsonl``): the time per problem over all problems (p50 / p90 / max),
the time to a verified answer over the problems that got one, the time the unsolved ones burned, the total
of the per-problem times, and pass@1 on the base and plus tests with the number verified. Times are the
cascade's own ``seconds`` (generation and verification, the model already loaded). Percentiles are the
nearest rank. The runs are compared on the problems they all finished.

"Shown" is the time until the editor holds a body, over the verified answers: the first passing body is
shown while agreement runs (``server.first_pass``), so that is when it passed, else when the answer came.
Runs that record it (``first_shown_seconds``) give it directly; for older runs it is read off the first
pass's trace entry (the record's last ``cumulative`` row, when verified), marked "(trace)".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ncpu.bench.repo_report import percentile  # noqa: E402
from ncpu.bench.report import read_records  # noqa: E402


def load(run: Path) -> dict[str, dict[str, Any]]:
    """The run's records by task id (the last one wins if a resumed run wrote one twice)."""
    return {str(record["task_id"]): record for record in read_records(run / "cascade.jsonl")}


def _spread(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{percentile(values, 0.5):.1f} / {percentile(values, 0.9):.1f} / {max(values):.1f}"


def shown_at(record: dict[str, Any]) -> tuple[float, bool]:
    """Seconds until a verified answer's body was first in the editor, and whether the run recorded it."""
    if "first_shown_seconds" in record:
        first = record["first_shown_seconds"]
        return (float(first) if first is not None else float(record["seconds"])), True
    rows = list((record.get("cumulative") or {}).values())
    if rows and rows[-1].get("verified"):
        return min(float(rows[-1]["seconds"]), float(record["seconds"])), False
    return float(record["seconds"]), False


def table(runs: list[Path]) -> str:
    loaded = {run: load(run) for run in runs}
    common = set.intersection(*(set(records) for records in loaded.values()))
    lines = [
        f"{len(common)} problems finished by every run; seconds per problem, p50 / p90 / max",
        "",
        "| run | all problems | verified | shown (verified) | unsolved | total (min) | pass@1 base | pass@1 plus"
        " | verified |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run, by_task in loaded.items():
        records = [by_task[task] for task in sorted(common)]
        seconds = [float(r["seconds"]) for r in records]
        verified = [float(r["seconds"]) for r in records if r["verified"]]
        unsolved = [float(r["seconds"]) for r in records if not r["verified"]]
        shown = [shown_at(r) for r in records if r["verified"]]
        derived = " (trace)" if shown and not all(recorded for _, recorded in shown) else ""
        base = sum(bool(r["base"]) for r in records)
        plus = sum(bool(r["plus"]) for r in records)
        n = len(records)
        lines.append(
            f"| {run.name} | {_spread(seconds)} | {_spread(verified)} | {_spread([t for t, _ in shown])}{derived} "
            f"| {_spread(unsolved)} | {sum(seconds) / 60:.1f} "
            f"| {100 * base / n:.1f} | {100 * plus / n:.1f} | {len(verified)} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders, each with a cascade.jsonl")
    args = parser.parse_args()
    missing = [str(run) for run in args.runs if not (run / "cascade.jsonl").is_file()]
    if missing:
        print(f"no cascade.jsonl in: {', '.join(missing)}", file=sys.stderr)
        return 2
    print(table(args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
