"""The end-of-run summary table and the machine-readable report."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from ncpu.cascade.solution import Solution


@dataclass(frozen=True)
class StubOutcome:
    """One stub's result in a batch run."""

    path: Path
    qualified_name: str
    line: int
    checks: int
    solution: Solution
    skipped_tests: tuple[str, ...] = ()
    """Workspace tests calling the stub that could not run (``test_x.py::test_y: needs fixture capsys``)."""

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        solution = self.solution
        return {
            "path": str(self.path),
            "function": self.qualified_name,
            "line": self.line,
            "checks": self.checks,
            "status": solution.status,
            "layer": solution.layer,
            "checks_passed": solution.checks_passed,
            "message": solution.message,
            "model": solution.model,
            "temperature": solution.temperature,
            "samples": solution.samples,
            "tokens": solution.tokens,
            "seconds": solution.seconds,
            "body": solution.body,
            "evidence": solution.evidence,
            "ambiguity": _ambiguity(solution),
            "skipped_tests": list(self.skipped_tests),
        }


def _ambiguity(solution: Solution) -> dict[str, Any] | None:
    ambiguity = solution.ambiguity
    if ambiguity is None:
        return None
    return {
        "call": ambiguity.call,
        "answers": [
            {"outcome": a.outcome, "candidates": a.candidates, "example": a.example, "body": a.body}
            for a in ambiguity.answers
        ],
    }


def summary_table(outcomes: list[StubOutcome], errors: list[str]) -> Table:
    """Counts by status and, for verified stubs, by layer."""
    statuses = Counter(outcome.solution.status for outcome in outcomes)
    layers = Counter(outcome.solution.layer for outcome in outcomes if outcome.solution.verified)
    table = Table(title="ncpu solve", show_header=True, header_style="bold")
    table.add_column("result")
    table.add_column("stubs", justify="right")
    table.add_row("solved (verified)", str(statuses["verified"]))
    for layer, count in sorted(layers.items(), key=lambda item: -item[1]):
        table.add_row(f"  by {layer}", str(count))
    if statuses["ambiguous"]:
        table.add_row("ambiguous (candidates disagree)", str(statuses["ambiguous"]))
    if statuses["unconfirmed"]:
        table.add_row("unconfirmed (passed alone)", str(statuses["unconfirmed"]))
    table.add_row("partial (not verified)", str(statuses["partial"]))
    table.add_row("no checks", str(statuses["no_checks"] + statuses["unverified"]))
    table.add_row("failed", str(statuses["failed"]))
    if statuses["cancelled"]:
        table.add_row("cancelled", str(statuses["cancelled"]))
    if errors:
        table.add_row("files with errors", str(len(errors)))
    return table


def write_json(path: Path | None, outcomes: list[StubOutcome], errors: list[str]) -> str:
    """Serialize the run; write it to ``path`` if given, and return the text."""
    text = json.dumps({"stubs": [o.as_json() for o in outcomes], "errors": errors}, indent=2)
    if path is not None:
        path.write_text(text + "\n", encoding="utf-8")
    return text
