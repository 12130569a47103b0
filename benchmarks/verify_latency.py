"""Per-candidate verification time: the warm forking worker against a fresh interpreter per candidate.

Both run the same programs and checks (the harness) in the same run; medians and their ratio printed.

    python benchmarks/verify_latency.py [--repeats 50]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# benchmarks/extraction.py would shadow the `extraction` package when this runs as a script.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from extraction.check import Check  # noqa: E402
from ncpu.sandbox import Sandbox  # noqa: E402

CANDIDATES = [
    ("def add(a, b):\n    return a + b\n", [Check("doctest", "add(2, 3)", "5"), Check("doctest", "add(-1, 1)", "0")]),
    ("def rev(s):\n    return s[::-1]\n", [Check("doctest", "rev('abc')", "'cba'")]),
    (
        "def evens(xs):\n    return [x for x in xs if x % 2 == 0]\n",
        [Check("doctest", "evens([1, 2, 3, 4])", "[2, 4]"), Check("doctest", "evens([])", "[]")],
    ),
    ("def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)\n", [Check("arrow", "fact(5)", "120")]),
    ("def vowels(s):\n    return sum(c in 'aeiou' for c in s.lower())\n", [Check("prose", "vowels('Hello')", "2")]),
]
BASELINE = """import json, sys
from extraction.check import Check
from ncpu.sandbox.harness import run_checks
program, checks = json.load(open(sys.argv[1]))
verdict = run_checks(program, [Check(**{**c, "setup": tuple(c["setup"])}) for c in checks])
print(verdict.ok)
"""


def _baseline(directory: Path, program: str, checks: list[Check]) -> float:
    job = directory / "job.json"
    job.write_text(json.dumps([program, [dataclasses.asdict(c) for c in checks]]))
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(directory / "run.py"), str(job)], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    assert result.stdout.strip() == "True", result.stderr
    return elapsed


def main(repeats: int) -> None:
    warm: list[float] = []
    cold: list[float] = []
    with Sandbox() as sandbox, tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        (directory / "run.py").write_text(BASELINE)
        sandbox.verify(*CANDIDATES[0])  # start the worker outside the measurement
        for _ in range(repeats):
            for program, checks in CANDIDATES:
                started = time.perf_counter()
                verdict = sandbox.verify(program, checks)
                warm.append(time.perf_counter() - started)
                assert verdict.ok, verdict
                cold.append(_baseline(directory, program, checks))
        isolation = sandbox.isolation
    warm_ms, cold_ms = 1000 * statistics.median(warm), 1000 * statistics.median(cold)
    p90 = sorted(warm)[int(0.9 * (len(warm) - 1))] * 1000
    print(f"candidates: {len(warm)} ({len(CANDIDATES)} programs x {repeats}); isolation: {isolation}")
    print(f"warm forking worker: median {warm_ms:.2f} ms (p90 {p90:.2f} ms)")
    print(f"subprocess.run([python, file]): median {cold_ms:.2f} ms")
    print(f"speed-up: {cold_ms / warm_ms:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=50)
    main(parser.parse_args().repeats)
