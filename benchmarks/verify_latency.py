"""Per-candidate verification time: the warm forking worker against a fresh interpreter per candidate.

Both run the same programs and checks through the harness, interleaved in the same run (the warm
worker is also timed with calls back to back, where its fork of the next child is not hidden). The baseline
writes one script per candidate (program, checks and the harness call) and runs it with
``subprocess.run([sys.executable, script])``, with no limits or isolation at all.

    python benchmarks/verify_latency.py [--repeats 50] [--baseline-tree DIR]

``--baseline-tree DIR`` also times, interleaved in the same run, a worker started from another source
tree (an older commit checked out or ``git archive``d into DIR), through the same caller.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from extraction.check import Check
from ncpu.sandbox import Sandbox

CANDIDATES = [
    ("def add(a, b):\n    return a + b\n", [Check("doctest", "add(2, 3)", "5"), Check("doctest", "add(-1, 1)", "0")]),
    ("def rev(s):\n    return s[::-1]\n", [Check("doctest", "rev('abc')", "'cba'")]),
    (
        "def evens(xs):\n    return [x for x in xs if x % 2 == 0]\n",
        [Check("doctest", "evens([1, 2, 3, 4])", "[2, 4]"), Check("doctest", "evens([])", "[]")],
    ),
    ("def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)\n", [Check("arrow", "fact(5)", "120")]),
    ("def vowels(s):\n    return sum(c in 'aeiou' for c in s.lower())\n", [Check("prose", "vowels('Hello')", "2")]),
    (
        "def close(xs, t):\n    return any(abs(a - b) < t for i, a in enumerate(xs) for b in xs[i + 1:])\n",
        [Check("doctest", "close([1.0, 2.8, 3.0], 0.3)", "True"), Check("doctest", "close([1.0, 2.0], 0.5)", "False")],
    ),
    (
        "import math\ndef is_prime(n):\n    return n > 1 and all(n % k for k in range(2, math.isqrt(n) + 1))\n",
        [Check("doctest", "is_prime(101)", "True"), Check("doctest", "is_prime(1)", "False")],
    ),
    (
        "from collections import Counter\ndef top(s):\n    return Counter(s).most_common(1)[0][0]\n",
        [Check("assert", "assert top('abca') == 'a'", None, mode="statement")],
    ),
]
SCRIPT = """from extraction.check import Check
from ncpu.sandbox.harness import run_checks
verdict = run_checks({program!r}, [Check(**c) for c in {checks!r}])
print(verdict.ok)
"""


def _script(directory: Path, index: int, program: str, checks: list[Check]) -> Path:
    path = directory / f"candidate_{index}.py"
    path.write_text(SCRIPT.format(program=program, checks=[dataclasses.asdict(c) for c in checks]))
    return path


def _baseline(script: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    assert result.stdout.strip() == "True", result.stderr
    return elapsed


def _describe(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = ordered[round(0.9 * (len(ordered) - 1))]
    return f"{name}: median {1000 * statistics.median(ordered):.2f} ms, p90 {1000 * p90:.2f} ms"


def _start(sandbox: Sandbox, tree: str | None) -> tuple[str, float]:
    """Start the worker (from ``tree`` when given: its sources come first on the worker's path)."""
    if tree:
        sys.path.insert(0, tree)
    started = time.perf_counter()
    try:
        isolation = sandbox.isolation
    finally:
        if tree:
            sys.path.remove(tree)
    return isolation, 1000 * (time.perf_counter() - started)


def main(repeats: int, baseline_tree: str | None) -> None:
    warm: list[float] = []
    burst: list[float] = []
    cold: list[float] = []
    older: list[float] = []
    with Sandbox() as sandbox, Sandbox() as other, tempfile.TemporaryDirectory() as scratch:
        scripts = [_script(Path(scratch), i, program, checks) for i, (program, checks) in enumerate(CANDIDATES)]
        isolation, start_ms = _start(sandbox, None)  # outside the measurement
        other_start_ms = _start(other, baseline_tree)[1] if baseline_tree else 0.0
        for _ in range(repeats):
            for (program, checks), script in zip(CANDIDATES, scripts, strict=True):
                started = time.perf_counter()
                verdict = sandbox.verify(program, checks)
                warm.append(time.perf_counter() - started)
                assert verdict.ok, verdict
                if baseline_tree:
                    started = time.perf_counter()
                    verdict = other.verify(program, checks)
                    assert verdict.ok, verdict
                    older.append(time.perf_counter() - started)
                cold.append(_baseline(script))
            for program, checks in CANDIDATES:  # back to back: the worker's next fork is not hidden
                started = time.perf_counter()
                assert sandbox.verify(program, checks).ok
                burst.append(time.perf_counter() - started)
    print(f"candidates: {len(warm)} ({len(CANDIDATES)} programs x {repeats}); isolation: {isolation}")
    print(f"worker start (once): {start_ms:.0f} ms")
    print(_describe("warm forking worker (Sandbox.verify)", warm))
    print(_describe("  the same, calls back to back       ", burst))
    if baseline_tree:
        print(f"baseline tree {baseline_tree} (through this caller): worker start {other_start_ms:.0f} ms")
        print(_describe("  its warm worker, interleaved       ", older))
    print(_describe("subprocess.run([python, script])    ", cold))
    print(f"speed-up (median): {statistics.median(cold) / statistics.median(warm):.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=50, help="rounds over the candidates (default 50)")
    parser.add_argument("--baseline-tree", metavar="DIR", help="also time a worker run from this source tree")
    arguments = parser.parse_args()
    main(arguments.repeats, arguments.baseline_tree)
