"""The model ladder against always using the larger model: solve rate and compute, from finished bench runs.

    python benchmarks/ladder.py --ladder /work/bench-runs/humanevalplus-default \
        --large-greedy /work/bench-runs/humanevalplus-1.5b-greedy [--large-cascade DIR] [--out ladder.md]

``--ladder`` is an ``ncpu bench`` run of the embedded model with escalation to the larger tier (its
greedy baseline and its cumulative rows give the 0.5B rows and the ladder row); ``--large-greedy`` a run
with ``--model <1.5B> --layers greedy``; ``--large-cascade`` optionally a full cascade run on the 1.5B.
Only problems present in every run are compared, so a partial run never flatters one side. Compute is
wall seconds (what the user waits for; tokens of different models do not cost the same) and tokens.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ncpu.bench.report import cumulative_outcome, read_records


@dataclass(frozen=True)
class LadderRow:
    """One way of spending compute on the same problems."""

    label: str
    outcomes: dict[str, dict[str, Any]]
    """Task id to its outcome: ``base``, ``plus``, ``tokens``, ``seconds``."""

    def total(self, key: str, tasks: Iterable[str]) -> float:
        """Sum of ``key`` over ``tasks``."""
        return sum(float(self.outcomes[t].get(key) or 0) for t in tasks)

    def solved(self, key: str, tasks: Iterable[str]) -> int:
        """Problems whose answer passed the hidden ``key`` tests."""
        return sum(1 for t in tasks if self.outcomes[t].get(key))


def _whole_run(label: str, path: Path) -> LadderRow:
    return LadderRow(label, {r["task_id"]: r for r in read_records(path)})


def _cumulative(label: str, path: Path, configuration: str) -> LadderRow:
    records = read_records(path)
    if records and not any(r.get("cumulative") for r in records):
        raise KeyError(f"{path} is not a full cascade run (no cumulative rows)")
    return LadderRow(label, {r["task_id"]: cumulative_outcome(r, configuration) for r in records})


def ladder_rows(ladder: Path, large_greedy: Path, large_cascade: Path | None) -> list[LadderRow]:
    """The rows to compare, in order of the compute they are expected to spend."""
    result = [
        _whole_run("0.5B greedy", ladder / "baseline.jsonl"),
        _cumulative("0.5B cascade", ladder / "cascade.jsonl", "+ best-of-N"),
        _cumulative("ladder: 0.5B cascade → 1.5B", ladder / "cascade.jsonl", "+ escalation"),
        _whole_run("1.5B greedy", large_greedy / "cascade.jsonl"),
    ]
    if large_cascade is not None:
        result.append(_cumulative("1.5B cascade", large_cascade / "cascade.jsonl", "+ best-of-N"))
    return result


def markdown(rows: list[LadderRow]) -> str:
    """A table over the problems every row has, with compute relative to the 1.5B greedy row."""
    common = sorted(set.intersection(*(set(row.outcomes) for row in rows)), key=lambda t: int(t.split("/")[-1]))
    reference = next(row for row in rows if row.label == "1.5B greedy")
    ref_seconds = reference.total("seconds", common) or 1.0
    ref_tokens = reference.total("tokens", common) or 1.0
    n = len(common)
    lines = [
        f"Problems compared: {n} (present in every run).",
        "",
        "| configuration | pass@1 base | pass@1 plus | tokens | wall (min) | seconds vs 1.5B greedy | tokens vs 1.5B greedy |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        seconds = row.total("seconds", common)
        tokens = row.total("tokens", common)
        lines.append(
            f"| {row.label} | {100 * row.solved('base', common) / n:.1f} | {100 * row.solved('plus', common) / n:.1f} "
            f"| {tokens:,.0f} | {seconds / 60:.1f} | {seconds / ref_seconds:.2f}× | {tokens / ref_tokens:.2f}× |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print (and optionally write) the ladder table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ladder", type=Path, required=True, help="bench run of the embedded model with escalation")
    parser.add_argument("--large-greedy", type=Path, required=True, help="bench run of the 1.5B, --layers greedy")
    parser.add_argument("--large-cascade", type=Path, help="bench run of the 1.5B, full cascade")
    parser.add_argument("--out", type=Path, help="also write the table here")
    args = parser.parse_args(argv)
    try:
        rows = ladder_rows(args.ladder, args.large_greedy, args.large_cascade)
    except (OSError, KeyError) as exc:
        print(f"ladder: cannot read the runs: {exc}", file=sys.stderr)
        return 2
    if not all(row.outcomes for row in rows):
        print("ladder: some run has no finished problems yet", file=sys.stderr)
        return 2
    text = markdown(rows)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
