"""The benchmark report: one Markdown table (and a PNG chart) per run, rows by cumulative configuration."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ncpu.bench.runner import CUMULATIVE

REFERENCE_SCORES = Path(__file__).with_name("reference-scores.json")


@dataclass(frozen=True)
class Row:
    """One configuration's figures."""

    label: str
    problems: int
    base: int
    plus: int | None
    false_verifications: int
    samples: float = 0.0
    """Mean generations per problem."""
    tokens: float = 0.0
    """Mean generated tokens per problem."""
    minutes: float = 0.0
    """Wall time this configuration would have taken, all problems, in minutes."""
    models: tuple[str, ...] = ()
    """Models whose answers this configuration gave."""

    def rate(self, value: int | None) -> str:
        """Percentage text."""
        return "n/a" if value is None or not self.problems else f"{100 * value / self.problems:.1f}"


def read_records(path: Path) -> list[dict[str, Any]]:
    """Records of a results file, skipping unreadable lines."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


_UNPOSED = {"base": False, "plus": False, "verified": False, "samples": 0, "tokens": 0, "seconds": 0.0}


def cumulative_outcome(record: dict[str, Any], label: str) -> dict[str, Any]:
    """What the cascade limited to configuration ``label`` answered for this problem.

    A problem the cascade was never asked (no stub in its prompt) is a failure at no cost, as in the baseline.
    """
    return record.get("cumulative", {}).get(label, _UNPOSED)


def _row(label: str, outcomes: list[dict[str, Any]]) -> Row:
    plus_values = [o.get("plus") for o in outcomes]
    plus = None if any(v is None for v in plus_values) else sum(1 for v in plus_values if v)
    false_ver = sum(1 for o in outcomes if o.get("verified") and not o.get("base"))
    models = tuple(sorted({str(o["model"]) for o in outcomes if o.get("model")}))
    return Row(
        label,
        len(outcomes),
        sum(1 for o in outcomes if o.get("base")),
        plus,
        false_ver,
        samples=_mean(outcomes, "samples"),
        tokens=_mean(outcomes, "tokens"),
        minutes=sum(float(o.get("seconds") or 0) for o in outcomes) / 60,
        models=models,
    )


def rows(baseline: list[dict[str, Any]] | None, full: list[dict[str, Any]], layers: tuple[str, ...] = ()) -> list[Row]:
    """Greedy baseline row (from its own run), then the cumulative rows derived from the full run.

    A run of a single layer (``--layers greedy``) has no cumulative rows: it is one row of its own.
    """
    result = []
    if baseline:
        result.append(_row("greedy only (baseline)", baseline))
    for label, _ in CUMULATIVE:
        if not any(label in r.get("cumulative", {}) for r in full):
            continue
        result.append(_row(label, [cumulative_outcome(r, label) for r in full]))
    if full and not any(r.get("cumulative") for r in full):
        result.append(_row(" + ".join(layers) + " only" if layers else "this run", full))
    elif any("agreement" in r for r in full):
        # The cumulative rows are each configuration's first passing body; this is the answer given.
        result.append(_row(AGREEMENT_ROW, full))
    return result


AGREEMENT_ROW = "+ agreement (the answer given)"


def ambiguity_lines(full: list[dict[str, Any]]) -> list[str]:
    """How often the answer was a question, and how often that question held the right answer."""
    asked = [r["ambiguous"] for r in full if r.get("ambiguous")]
    if not any("agreement" in r for r in full):
        return []
    lines = ["", f"Ambiguous (counted as not solved above): {len(asked)} of {len(full)}."]
    if asked:
        holds = sum(1 for a in asked if a.get("contains_right_answer"))
        largest = sum(1 for a in asked if a.get("largest_right"))
        lines.append(
            f"Precision: the answers shown held the right one in {holds} of {len(asked)}; "
            f"the largest group's was right in {largest}."
        )
    lone = [r["unconfirmed"] for r in full if r.get("unconfirmed")]
    if lone:
        right = sum(1 for u in lone if (u.get("plus") if u.get("plus") is not None else u.get("base")))
        lines.append(
            f"Unconfirmed (a guessing layer's body passed alone; counted as not solved above): {len(lone)}; "
            f"the body offered was right in {right}."
        )
    return lines


def replay_lines(full: list[dict[str, Any]]) -> list[str]:
    """The run's answers against agreement decided again on the same bodies without the proposed inputs.

    A problem with nothing to replay (one passing body, a store hit, no answer) answers the same either way.
    """
    if not any(r.get("mutated_only") for r in full):
        return []

    def tally(outcomes: list[dict[str, Any]]) -> str:
        base = sum(1 for o in outcomes if o.get("base"))
        plus = sum(1 for o in outcomes if o.get("plus"))
        wrong = sum(1 for o in outcomes if o.get("false_verification"))
        wrong_plus = sum(1 for o in outcomes if o.get("false_verification_plus"))
        asked = sum(1 for o in outcomes if o.get("ambiguous"))
        return (
            f"pass@1 base {base}, plus {plus}; false verifications {wrong} (base), {wrong_plus} (plus); "
            f"ambiguous {asked}"
        )

    given = [
        {
            **r,
            "false_verification_plus": r.get("verified") and r.get("plus") is False,
            "ambiguous": bool(r.get("ambiguous")),
        }
        for r in full
    ]
    mutated = [r.get("mutated_only") or given[i] for i, r in enumerate(full)]
    changed = sum(1 for r in full if r.get("mutated_only") and not r["mutated_only"].get("same_body"))
    return [
        "",
        "The same passing bodies, decided again on the mutated inputs only (without the model's proposed ones):",
        f"- as given (proposed + mutated inputs): {tally(given)}.",
        f"- mutated inputs only: {tally(mutated)}; another body chosen in {changed}.",
    ]


def markdown(title: str, table: list[Row], full: list[dict[str, Any]], model: str, wall: float) -> str:
    """The report text."""
    reference = json.loads(REFERENCE_SCORES.read_text()) if REFERENCE_SCORES.exists() else {}
    base_rate = table[0].base / table[0].problems if table and table[0].problems else 0.0
    lines = [
        f"# {title}",
        "",
        f"Model: `{model}`. Problems: {len(full)}. Wall time of the cascade run: {wall / 60:.1f} min.",
        f"Mean samples per problem: {_mean(full, 'samples'):.2f}; mean tokens: {_mean(full, 'tokens'):.0f}.",
        "",
        "| configuration | pass@1 base | pass@1 plus | Δ vs greedy (base) | false verifications "
        "| samples / problem | tokens / problem | wall (min) | models |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in table:
        delta = 100 * (row.base / row.problems - base_rate) if row.problems else 0.0
        lines.append(
            f"| {row.label} | {row.rate(row.base)} | {row.rate(row.plus)} | {delta:+.1f} | {row.false_verifications} "
            f"| {row.samples:.2f} | {row.tokens:.0f} | {row.minutes:.1f} | {', '.join(row.models) or '-'} |"
        )
    lines += ambiguity_lines(full)
    lines += replay_lines(full)
    lines += [
        "",
        "Rows after the baseline are cumulative and read off one full cascade run: each row's answer is the one",
        "a cascade limited to those layers would have given (chosen by the extracted checks only), and its cost",
        "is what the full run had spent when that answer was found, or by the end of those layers.",
    ]
    if reference:
        lines += ["", "Published greedy scores (Qwen2.5-Coder technical report, Table 16):", ""]
        lines += [
            f"- {name}: HumanEval {v['humaneval']}, HumanEval+ {v['humanevalplus']}" for name, v in reference.items()
        ]
    return "\n".join(lines) + "\n"


def _mean(records: list[dict[str, Any]], key: str) -> float:
    values = [float(r.get(key) or 0) for r in records]
    return sum(values) / len(values) if values else 0.0


def chart(table: list[Row], path: Path) -> Path | None:
    """A bar chart of pass@1 per configuration; ``None`` when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    labels = [row.label for row in table]
    base = [100 * row.base / row.problems if row.problems else 0 for row in table]
    plus = [100 * (row.plus or 0) / row.problems if row.problems else 0 for row in table]
    figure, axes = plt.subplots(figsize=(9, 4.5))
    positions = range(len(labels))
    axes.bar([p - 0.2 for p in positions], base, width=0.4, label="HumanEval (base tests)")
    axes.bar([p + 0.2 for p in positions], plus, width=0.4, label="HumanEval+ tests")
    axes.set_xticks(list(positions), labels, rotation=15, ha="right")
    axes.set_ylabel("pass@1 (%)")
    axes.set_ylim(0, 100)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
