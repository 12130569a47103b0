"""The trust table of a HumanEval+ run (issue 15): the first pass against the answer given, from one run.

    python benchmarks/trust.py benchmarks/runs/humanevalplus-1.5b-agree [--first 80]

Every figure is read off the run's ``cascade.jsonl``; nothing is re-run. The first pass is the run's last
``cumulative`` row (what the cascade answered before agreement, same layers and seeds); the answer given is
the record itself. A false verification is an answer called verified that fails the HumanEval+ tests
("plus") or the base tests. Ambiguous answers count as not solved; their precision is how often the answers
the user would be shown hold one that passes the plus tests. Where the bench replayed the votes on the mutated
inputs alone (``mutated_only``), that answer gets a row too.

*Unconfirmed* answers (a body from a guessing layer that passed alone after the model's other bodies failed,
``ncpu.cascade.cascade.GUESSING_LAYERS``) count as not solved too; their precision is how often the body
offered passes the plus tests. A run made before that state existed gets a row that applies its rule to the
records (the layer, the agreement's "only passing candidate" and the samples spent are all recorded).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ncpu.cascade.cascade import GUESSING_LAYERS
from ncpu.config import Budget


def _p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))] if ordered else 0.0


def _row(label: str, answers: Sequence[dict[str, Any]], ambiguous: int | str = "-", lone: int | str = "-") -> str:
    verified = sum(1 for a in answers if a["verified"])
    false_plus = sum(1 for a in answers if a["verified"] and a["plus"] is False)
    false_base = sum(1 for a in answers if a["verified"] and a["base"] is False)
    base = sum(1 for a in answers if a["base"])
    plus = sum(1 for a in answers if a["plus"])
    total = len(answers) or 1
    return (
        f"| {label} | {verified} | {false_plus} | {false_base} | {ambiguous} | {lone} | {base} ({100 * base / total:.1f})"
        f" | {plus} ({100 * plus / total:.1f}) |"
    )


def _cost(label: str, records: Sequence[dict[str, Any]]) -> str:
    seconds = [float(r["seconds"]) for r in records]
    samples = statistics.fmean(float(r["samples"]) for r in records) if records else 0.0
    tokens = statistics.fmean(float(r["tokens"]) for r in records) if records else 0.0
    median = statistics.median(seconds) if seconds else 0.0
    return f"| {label} | {samples:.2f} | {tokens:.0f} | {median:.1f} / {_p90(seconds):.1f} |"


def lone_guess(record: dict[str, Any], after: int = Budget().unconfirmed_after) -> bool:
    """Whether the cascade's rule makes this verified record's answer ``unconfirmed`` (for runs made before it)."""
    agreement = record.get("agreement") or ""
    alone = agreement.startswith(("the only passing candidate", "1 passing candidate"))
    if record["status"] != "verified" or not alone or record.get("layer") not in GUESSING_LAYERS:
        return False
    others = int(record["samples"]) - (0 if record["layer"] in ("library", "template") else 1)
    return others >= after


def report(records: Sequence[dict[str, Any]]) -> str:
    first_pass = [list(r["cumulative"].values())[-1] for r in records if r.get("cumulative")]
    given = [{"verified": r["status"] == "verified", "base": r["base"], "plus": r["plus"]} for r in records]
    ambiguous = [r for r in records if r.get("ambiguous")]
    unconfirmed = [r for r in records if r["status"] == "unconfirmed"]
    lines = [
        "| answer | verified | false verif. (plus) | false verif. (base) | ambiguous | unconfirmed | pass@1 base"
        " | pass@1 plus |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        _row("first pass wins (same run)", first_pass),
        _row("agreement (the answer given)", given, len(ambiguous), len(unconfirmed)),
    ]
    derived = [lone_guess(r) for r in records]
    if any(derived):  # records from before the state (a run resumed across it has both kinds)
        answers = [
            {"verified": False, "base": False, "plus": False} if lone else answer
            for answer, lone in zip(given, derived, strict=True)
        ]
        lines.append(
            _row(
                "agreement, lone guesses unconfirmed (the rule applied)",
                answers,
                len(ambiguous),
                len(unconfirmed) + sum(derived),
            )
        )
        unconfirmed = [
            {**r, "unconfirmed": {"base": r["base"], "plus": r["plus"]}} if lone else r
            for r, lone in zip(records, derived, strict=True)
            if lone or r["status"] == "unconfirmed"
        ]
    replayed = [r for r in records if r.get("mutated_only")]
    if replayed:
        answers = [
            answer
            if (replay := record.get("mutated_only")) is None
            else {"verified": not replay["ambiguous"], "base": replay["base"], "plus": replay["plus"]}
            for answer, record in zip(given, records, strict=True)
        ]
        lines.append(
            _row(
                "agreement, mutated inputs only (replayed)",
                answers,
                sum(1 for r in replayed if r["mutated_only"]["ambiguous"]),
                "-",
            )
        )
    shown = sum(1 for r in ambiguous if r["ambiguous"].get("contains_right_answer"))
    largest = sum(1 for r in ambiguous if r["ambiguous"].get("largest_right"))
    lines += [
        "",
        f"Problems: {len(records)}. Ambiguous: {len(ambiguous)}; the answers shown held the right one in {shown},"
        f" the largest group's was right in {largest}.",
    ]
    if unconfirmed:
        right = sum(1 for r in unconfirmed if r["unconfirmed"]["plus"])
        lines.append(
            f"Unconfirmed: {len(unconfirmed)} ({', '.join(r['task_id'] for r in unconfirmed)}); "
            f"the body offered passed the plus tests in {right}."
        )
    lines += [
        "",
        "| cost | samples / problem (mean) | tokens / problem (mean) | seconds p50 / p90 |",
        "|---|---:|---:|---:|",
        _cost("the whole solve (agreement included)", records),
    ]
    lines.append(_cost("up to the first pass", first_pass))
    wrong = [r["task_id"] for r in records if r["status"] == "verified" and r["plus"] is False]
    lines += ["", "False verifications (plus): " + (", ".join(wrong) or "none") + "."]
    for record in records:
        if record["status"] == "verified" and record["plus"] is False:
            lines.append(f"- {record['task_id']}: {record.get('agreement') or record.get('layer')}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a run directory of ncpu bench humanevalplus (holds cascade.jsonl)")
    parser.add_argument("--first", type=int, default=None, help="only the first N problems of the run")
    args = parser.parse_args(argv)
    path = args.run / "cascade.jsonl" if args.run.is_dir() else args.run
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    print(report(records[: args.first] if args.first else records))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
