"""Does the original body of each repo-benchmark target pass the checks ncpu extracts for its blanked stub?

A check that fails a correct program is the worst thing a verifier can do; on real libraries the correct
program is known: the library's own body. For each target of a repo-benchmark targets file, the stub is
blanked as in the benchmark, its checks are extracted from the docstring, the module and the library's
tests (the library is the workspace), and the library's original body is verified against them in the real
sandbox, placed in its package as a candidate is. No model is involved.

    python benchmarks/repo_false_rejections.py [--targets benchmarks/repo/targets-63.jsonl] [--json OUT]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from extraction import find_stubs
from ncpu.bench.repo_run import _candidate_of
from ncpu.bench.repo_sources import copy_tree, load_libraries
from ncpu.bench.repo_targets import blank
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / "out" / "repo-targets" / "cache" / "src"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=Path, default=ROOT / "benchmarks" / "repo" / "targets-63.jsonl")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    libraries = {library.name: library for library in load_libraries()}
    targets = [json.loads(line) for line in args.targets.read_text().splitlines() if line.strip()]
    rows = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ncpu-false-rejections-") as scratch, Sandbox() as sandbox:
        Path(scratch).chmod(0o755)
        for target in targets:
            library = libraries[target["library"]]
            pristine = CACHE / f"{library.name}-{library.version}"
            root = copy_tree(pristine, Path(scratch) / target["target_id"].replace("/", "_").replace(":", "_"))
            path = root / target["file"]
            original = path.read_text(encoding="utf-8")
            candidate = _candidate_of(target, original)
            lines = original.splitlines(keepends=True)
            body = textwrap.dedent("".join(lines[candidate.body_start - 1 : candidate.body_end]))
            blanked = blank(original, candidate)
            path.write_text(blanked, encoding="utf-8")
            stub = next(s for s in find_stubs(blanked) if s.qualified_name == target["qualified_name"])
            problem = Problem.from_source(blanked, stub, path=path, workspace_root=root)
            verdict = sandbox.verify(problem.program_with(body), problem.checks, placement=problem.placement)
            failing = [
                f"{check.describe()[:120]} -> {result.error or result.actual}"[:300]
                for check, result in zip(problem.checks, verdict.results, strict=False)
                if not result.passed and result.waiting is None and result.skipped is None
            ]
            row = {
                "target_id": target["target_id"],
                "kind": target["kind"],
                "checks": len(problem.checks),
                "passed": verdict.passed,
                "ok": verdict.ok,
                "skipped": sum(1 for result in verdict.results if result.skipped),
                "error": verdict.error,
                "failing": failing,
            }
            rows.append(row)
            mark = (
                "ok "
                if verdict.ok or not problem.checks
                else "REJ"
                if verdict.first_failure() or verdict.error
                else "SKP"
            )
            print(
                f"{mark} {target['target_id']}: {verdict.summary() if problem.checks else 'no checks'}", file=sys.stderr
            )
            for line in ([verdict.error] if verdict.error else failing)[:3]:
                print(f"      {line}", file=sys.stderr)
    with_checks = [r for r in rows if r["checks"]]
    rejected = [r for r in with_checks if not r["ok"] and (r["failing"] or r["error"])]
    all_skipped = [r for r in with_checks if not r["ok"] and not r["failing"] and not r["error"]]
    by_kind = collections.Counter(r["kind"] for r in rejected)
    print(
        f"{len(rows)} targets, {len(with_checks)} with checks, {sum(r['checks'] for r in rows)} checks; "
        f"original body rejected: {len(rejected)} ({dict(by_kind)}); every check skipped itself: {len(all_skipped)}; "
        f"{time.monotonic() - started:.0f} s",
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
