"""The repo benchmark's report: outcomes per kind, per library, and by whether the tests call the target by name.

Every result record gets one outcome:

- ``passed``: something was written and the library's chosen tests pass on it (``verified`` or not);
- ``false_verification``: the solve called its body verified, and the library's tests fail on it;
- ``unverified_failed``: an unverified body (``--offer-unverified``) was written and the tests fail on it;
- ``preflight``: the solve failed before any model call (``status: failed`` with no sample spent: the
  module does not import in the sandbox, an example cannot run, the sandbox refuses);
- ``error``: the solver itself gave no report (a crash, a timeout);
- ``unsolved``: anything else (partial, failed after sampling, no checks found): nothing was written.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

OUTCOMES: tuple[str, ...] = ("passed", "false_verification", "unverified_failed", "unsolved", "preflight", "error")


def outcome(record: dict[str, Any]) -> str:
    """The record's one outcome (see the module docstring)."""
    status = record.get("status")
    if status == "error":
        return "error"
    if record.get("written") and record.get("tests_passed"):
        return "passed"
    if record.get("written") and status == "verified":
        return "false_verification"
    if record.get("written"):
        return "unverified_failed"
    if status == "failed" and not record.get("samples") and not record.get("tokens"):
        return "preflight"
    return "unsolved"


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (``0.9`` for p90); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Group:
    """One row of the report: the outcome counts of a set of targets."""

    label: str
    targets: int
    counts: dict[str, int] = field(default_factory=dict)
    verified_passed: int = 0
    """Of ``passed``, those the solve had verified."""
    median_seconds: float = 0.0
    p90_seconds: float = 0.0


def group(label: str, records: list[dict[str, Any]]) -> Group:
    """Aggregate ``records`` into one row."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for record in records:
        counts[outcome(record)] += 1
    seconds = [float(r.get("solve_seconds") or 0.0) for r in records]
    verified_passed = sum(1 for r in records if outcome(r) == "passed" and r.get("status") == "verified")
    return Group(
        label,
        len(records),
        counts,
        verified_passed,
        round(statistics.median(seconds), 2) if seconds else 0.0,
        round(percentile(seconds, 0.9), 2),
    )


def _by(records: list[dict[str, Any]], key: Callable[[dict[str, Any]], str], prefix: str) -> list[Group]:
    keys = sorted({key(r) for r in records})
    return [group(f"{prefix}{value}", [r for r in records if key(r) == value]) for value in keys]


def sections(records: list[dict[str, Any]]) -> dict[str, list[Group]]:
    """The report's tables: all, per kind, per library, and by whether the tests call the target by name."""
    return {
        "all": [group("all targets", records)],
        "kind": _by(records, lambda r: str(r.get("kind")), ""),
        "library": _by(records, lambda r: str(r.get("library")), ""),
        "called_by_name": _by(
            records,
            lambda r: "tests call it by name" if r.get("called_by_name") else "tests do not call it by name",
            "",
        ),
    }


def summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON summary: every section's rows."""
    return {name: [asdict(row) for row in rows] for name, rows in sections(records).items()}


_TITLES = {
    "all": "All targets",
    "kind": "Per kind",
    "library": "Per library",
    "called_by_name": "By whether the chosen tests call the target by name",
}


def _line(row: Group) -> str:
    c = row.counts
    return (
        f"| {row.label} | {row.targets} | {c['passed']} ({row.verified_passed} verified) | {c['false_verification']} "
        f"| {c['unverified_failed']} | {c['unsolved']} | {c['preflight']} | {c['error']} "
        f"| {row.median_seconds:.1f} | {row.p90_seconds:.1f} |"
    )


def markdown(title: str, records: list[dict[str, Any]], model: str, libraries: list[str]) -> str:
    """The report text."""
    lines = [
        f"# {title}",
        "",
        f"Model: `{model}`. Targets: {len(records)}. Libraries: {', '.join(libraries) or '-'}.",
        "",
        "Each target is one function or method of a pinned library blanked to its signature and docstring;",
        "`ncpu solve --write` writes its body with the library's tests in the workspace, and the library's own",
        "chosen tests score the written file afterwards (they never choose among candidates).",
    ]
    header = (
        "| targets | n | pass the library's tests | false verifications | unverified, failing | unsolved "
        "| preflight refusals | errors | median s | p90 s |"
    )
    for name, rows in sections(records).items():
        lines += ["", f"## {_TITLES[name]}", "", header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        lines += [_line(row) for row in rows]
    refusals = sorted({str(r.get("message")) for r in records if outcome(r) == "preflight"})
    if refusals:
        lines += ["", "## Preflight refusals (distinct messages)", ""]
        lines += [f"- {message[:300]}" for message in refusals[:20]]
    lines += [
        "",
        "Seconds are the solve's own wall time per stub (`seconds` in `ncpu solve --json`), without model loading.",
    ]
    return "\n".join(lines) + "\n"
