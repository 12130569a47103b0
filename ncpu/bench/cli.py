"""``ncpu bench humaneval|humanevalplus``: a greedy baseline run and a cascade run, then the report.

``ncpu bench repo prepare|run|report`` is the repo benchmark (``ncpu.bench.repo_cli``).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import time
from pathlib import Path
from typing import Any

from ncpu.bench import repo_cli, report
from ncpu.bench.datasets import DatasetError, load_humaneval, load_humanevalplus
from ncpu.bench.runner import RunConfig, run
from ncpu.cli.console import note
from ncpu.cli.model_setup import prepare_models
from ncpu.cli.options import UsageError, add_engine_options, settings_from_args
from ncpu.engine import Engine


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``bench`` subcommand."""
    parser = subparsers.add_parser("bench", help="measure the cascade on HumanEval / HumanEval+ / real libraries")
    parser.add_argument("dataset", choices=("humaneval", "humanevalplus", "repo"))
    parser.add_argument("step", nargs="?", choices=repo_cli.STEPS, help="repo only: prepare, run or report")
    parser.add_argument("--data", type=Path, help="HumanEval+ JSONL(.gz) file (humanevalplus only)")
    parser.add_argument("--limit", type=int, help="only the first N problems")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"), help="results directory")
    parser.add_argument("--name", help="run name (default: dataset and model)")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run the greedy-only baseline")
    add_engine_options(parser)
    repo_cli.add_options(parser)
    parser.set_defaults(run=main)


def _report_progress(label: str, index: int, total: int, record: dict[str, Any]) -> None:
    verdict = "pass" if record["base"] else "fail"
    note(f"{label} {index}/{total} {record['task_id']}: {record['status']} base={verdict}")


def main(args: argparse.Namespace) -> int:
    """Run (or resume) the baseline and the cascade, then write the report and chart."""
    if args.dataset == "repo":
        return repo_cli.main(args)
    if args.step is not None:
        raise UsageError(f"{args.step!r}: steps are for `ncpu bench repo` only")
    try:
        if args.dataset == "humaneval":
            problems = load_humaneval()
        else:
            if args.data is None:
                raise UsageError("humanevalplus needs --data PATH (e.g. shared/data/HumanEvalPlus.jsonl.gz)")
            problems = load_humanevalplus(args.data)
    except DatasetError as exc:
        raise UsageError(str(exc)) from exc
    if args.limit:
        problems = problems[: args.limit]
    # A problem without examples still gets an answer (the greedy body, never called verified), as the
    # greedy baseline does: otherwise the cascade would score lower for want of checks, not of skill.
    settings = dataclasses.replace(settings_from_args(args), offer_unverified=True)
    prepare_models(settings)
    name = args.name or f"{args.dataset}-{(args.model.stem if args.model else 'default')}"
    out = args.out / name
    plus = args.dataset == "humanevalplus"
    # Benchmarks never read a store filled by an earlier run unless --store names one: each run
    # compounds only within itself, in a store that lives in its own output directory.
    store_path = args.store or out / "store"
    runs: list[tuple[str, tuple[str, ...]]] = []
    if not args.skip_baseline and settings.layers != ("greedy",):
        runs.append(("baseline", ("greedy",)))
    runs.append(("cascade", tuple(layer for layer in settings.layers if layer != "store")))
    walls: dict[str, float] = {}
    for label, layers in runs:
        run_settings = dataclasses.replace(settings, layers=layers, store_path=store_path / label)
        config = RunConfig(args.dataset, layers, out / f"{label}.jsonl", plus)
        started = time.monotonic()
        with Engine(run_settings) as engine:
            run(
                engine,
                problems,
                config,
                progress=functools.partial(_report_progress, label),
            )
        walls[label] = time.monotonic() - started
    full = report.read_records(out / "cascade.jsonl")
    baseline_path = out / "baseline.jsonl"
    baseline = report.read_records(baseline_path) if baseline_path.exists() else None
    table = report.rows(baseline, full, runs[-1][1])
    model = args.model.name if args.model else "qwen2.5-coder-0.5b-instruct-q4_k_m (embedded)"
    wall = sum(float(r.get("seconds", 0)) for r in full)
    text = report.markdown(f"ncpu bench {args.dataset}", table, full, model, wall)
    (out / "report.md").write_text(text)
    report.chart(table, out / "report.png")
    (out / "summary.json").write_text(json.dumps([dataclasses.asdict(r) for r in table], indent=2) + "\n")
    print(text)
    note(f"report: {out / 'report.md'}")
    return 0
