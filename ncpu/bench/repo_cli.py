"""``ncpu bench repo prepare|run|report``: the repo benchmark's three steps.

- ``prepare``: fetch and verify the pinned sdists, pick targets, validate them → ``targets.jsonl``
  (every candidate tried, with ``valid`` and its reason). Needs no model; the network only for the
  first download.
- ``run``: each valid target solved by ``ncpu solve`` in a fresh variant and scored by the library's
  tests → ``results.jsonl`` (resumable), then the report.
- ``report``: ``report.md`` and ``summary.json`` from the results so far.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from ncpu.bench import repo_report
from ncpu.bench.repo_run import SubprocessSolver, finished_targets, read_targets, run_targets
from ncpu.bench.repo_sources import Library, SourceError, fetch_sdist, load_libraries, missing_requirements, unpack
from ncpu.bench.repo_validate import validate_library
from ncpu.bench.report import read_records
from ncpu.cli.console import note
from ncpu.cli.options import UsageError, add_engine_options, settings_from_args

STEPS = ("prepare", "run", "report")
DEFAULT_PER_KIND = 15


def add_options(parser: argparse.ArgumentParser) -> None:
    """The repo benchmark's own options (on the ``bench`` parser, used with ``repo`` only)."""
    group = parser.add_argument_group("repo benchmark (ncpu bench repo prepare|run|report)")
    group.add_argument("--libraries", help="comma-separated library names (default: every pinned one)")
    group.add_argument("--targets", type=Path, help="targets file (default: <out>/repo-targets/targets.jsonl)")
    group.add_argument("--cache", type=Path, help="sdist and source cache (default: <out>/repo-targets/cache)")
    group.add_argument(
        "--per-kind",
        type=int,
        default=DEFAULT_PER_KIND,
        help=f"functions, and methods, kept per library (default: {DEFAULT_PER_KIND} of each)",
    )
    group.add_argument("--seed", type=int, default=0, help="seed of the target order (default: 0)")
    group.add_argument("--test-timeout", type=float, default=180.0, help="seconds per library test run (default: 180)")
    group.add_argument(
        "--solve-timeout", type=float, default=1800.0, help="seconds per ncpu solve subprocess (default: 1800)"
    )
    group.add_argument(
        "--keep-variants", action="store_true", help="keep each target's variant tree (in <out>/<name>/variants)"
    )


def engine_arguments(args: argparse.Namespace) -> list[str]:
    """The engine options given on this command line (other than their defaults), as ``ncpu solve`` arguments."""
    probe = argparse.ArgumentParser(add_help=False)
    add_engine_options(probe)
    argv: list[str] = []
    for action in probe._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:  # a hidden alias shares its dest
            continue
        value = getattr(args, action.dest, None)
        flag = action.option_strings[0]
        if value is None or value is False or value == action.default:
            continue
        if isinstance(action, argparse._StoreTrueAction):
            argv.append(flag)
        elif isinstance(action, argparse._AppendAction):
            for item in value:
                argv += [flag, str(item)]
        else:
            argv += [flag, str(value)]
    return argv


def _paths(args: argparse.Namespace) -> tuple[Path, Path]:
    base = args.out / "repo-targets"
    return (args.targets or base / "targets.jsonl"), (args.cache or base / "cache")


def _libraries(args: argparse.Namespace) -> list[Library]:
    only = tuple(part.strip() for part in (args.libraries or "").split(",") if part.strip())
    try:
        return load_libraries(only=only)
    except SourceError as exc:
        raise UsageError(str(exc)) from exc


def _pristine(libraries: list[Library], cache: Path) -> dict[str, Path]:
    roots = {}
    for library in libraries:
        missing = missing_requirements(library)
        if missing:
            raise UsageError(f"{library.label} needs {', '.join(missing)} installed")
        try:
            roots[library.name] = unpack(library, fetch_sdist(library, cache), cache)
        except SourceError as exc:
            raise UsageError(str(exc)) from exc
    return roots


def prepare(args: argparse.Namespace) -> int:
    """Fetch, pick and validate; write the targets file and print the counts."""
    targets_path, cache = _paths(args)
    libraries = _libraries(args)
    roots = _pristine(libraries, cache)
    targets_path.parent.mkdir(parents=True, exist_ok=True)
    partial = targets_path.with_suffix(".partial")
    kept: dict[tuple[str, str], int] = {}
    scratch_root = Path(tempfile.mkdtemp(prefix="ncpu-bench-repo-"))  # outside any project's pytest config
    with partial.open("w", encoding="utf-8") as out:
        for library in libraries:
            scratch = scratch_root / library.label
            for record in validate_library(
                library,
                roots[library.name],
                scratch,
                per_kind=args.per_kind,
                seed=args.seed,
                timeout=args.test_timeout,
            ):
                out.write(json.dumps(record) + "\n")
                out.flush()
                verdict = "kept" if record["valid"] else f"skipped ({record['reason']})"
                note(f"{record['target_id']} [{record['kind']}]: {verdict}")
                if record["valid"]:
                    key = (library.name, record["kind"])
                    kept[key] = kept.get(key, 0) + 1
    shutil.rmtree(scratch_root, ignore_errors=True)
    partial.replace(targets_path)
    for library in libraries:
        functions, methods = kept.get((library.name, "function"), 0), kept.get((library.name, "method"), 0)
        print(f"{library.label}: {functions} functions, {methods} methods")
    total = sum(kept.values())
    methods = sum(count for (_, kind), count in kept.items() if kind == "method")
    print(f"total: {total} targets, {methods} methods")
    note(f"targets: {targets_path}")
    return 0


def _run_name(args: argparse.Namespace) -> str:
    return args.name or f"repo-{args.model.stem if args.model else 'default'}"


def _record_session(meta_path: Path, engine_args: list[str], already_done: int) -> None:
    from ncpu.bench.runner import _source_commit

    meta: dict[str, Any] = {}
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
    meta.setdefault("machine", platform.platform())
    meta.setdefault("engine_args", engine_args)
    session = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "commit": _source_commit(), "already_done": already_done}
    meta["sessions"] = [*meta.get("sessions", []), session]
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    """Solve and score the validated targets (resuming), then write the report."""
    settings_from_args(args)  # bad engine options fail here, once, not in every subprocess
    targets_path, cache = _paths(args)
    if not targets_path.exists():
        raise UsageError(f"no targets file {targets_path}: run `ncpu bench repo prepare` first")
    libraries = _libraries(args)
    by_name = {library.name: library for library in libraries}
    targets = [t for t in read_targets(targets_path) if t["library"] in by_name]
    if args.limit:
        targets = targets[: args.limit]
    out = args.out / _run_name(args)
    out.mkdir(parents=True, exist_ok=True)
    engine_args = engine_arguments(args)
    if args.store is None and not args.no_store:  # as for HumanEval: each run compounds only within itself
        engine_args += ["--store", str((out / "store").resolve())]
    results = out / "results.jsonl"
    _record_session(out / "results.meta.json", engine_args, already_done=len(finished_targets(results)))
    roots = _pristine([by_name[name] for name in sorted({t["library"] for t in targets})], cache)

    def progress(index: int, total: int, record: dict[str, Any]) -> None:
        note(f"{index}/{total} {record['target_id']}: {record['status']} -> {repo_report.outcome(record)}")

    solver = SubprocessSolver(engine_args, args.solve_timeout)
    variants = out / "variants" if args.keep_variants else Path(tempfile.mkdtemp(prefix="ncpu-bench-repo-"))
    try:
        run_targets(
            targets, by_name, roots, results, solver, variants=variants, test_timeout=args.test_timeout,
            keep_variants=args.keep_variants, progress=progress,
        )  # fmt: skip
    finally:
        if not args.keep_variants:
            shutil.rmtree(variants, ignore_errors=True)
    return report(args)


def report(args: argparse.Namespace) -> int:
    """Write ``report.md`` and ``summary.json`` from the results so far."""
    out = args.out / _run_name(args)
    results = out / "results.jsonl"
    if not results.exists():
        raise UsageError(f"no results in {results}: run `ncpu bench repo run` first")
    records = [r for r in read_records(results) if isinstance(r, dict) and "target_id" in r]
    model = args.model.name if args.model else "qwen2.5-coder-0.5b-instruct-q4_k_m (embedded)"
    libraries = sorted({f"{r['library']}" for r in records})
    text = repo_report.markdown("ncpu bench repo", records, model, libraries)
    (out / "report.md").write_text(text, encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(repo_report.summary(records), indent=2) + "\n", encoding="utf-8")
    print(text)
    note(f"report: {out / 'report.md'}")
    return 0


def main(args: argparse.Namespace) -> int:
    """Dispatch ``ncpu bench repo STEP``."""
    steps = {"prepare": prepare, "run": run, "report": report}
    if args.step not in steps:
        raise UsageError(f"ncpu bench repo needs a step: {', '.join(STEPS)}")
    if args.per_kind <= 0:
        raise UsageError("--per-kind must be positive")
    return steps[args.step](args)
