"""What the hostile-candidate and tampering suites share: a tight sandbox, and "contained, failed, carries on"."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from extraction.check import Check
from ncpu.config import SandboxLimits
from ncpu.sandbox import Sandbox, Verdict

CHECKS = [Check("doctest", "f(2)", "4"), Check("doctest", "f(3)", "6")]
GOOD = "def f(x):\n    return 2 * x\n"


@contextmanager
def attack_sandbox(wall_seconds: float) -> Iterator[Sandbox]:
    """A sandbox with small limits, so each attack ends quickly."""
    limits = SandboxLimits(wall_seconds=wall_seconds, cpu_seconds=5, memory_mb=256, output_bytes=4096)
    with Sandbox(limits) as sandbox:
        yield sandbox


def contained_failure(box: Sandbox, program: str, checks: list[Check], wall_seconds: float) -> tuple[Verdict, str]:
    """Run a whole program: it must fail, within its wall limit, and the worker must carry on.

    Returns the verdict and all of its error text joined, for the caller's assertions on the reason.
    """
    started = time.monotonic()
    verdict = box.verify(program, checks)
    assert time.monotonic() - started < wall_seconds + 3
    assert not verdict.ok, verdict
    text = " | ".join([verdict.error or "", *(r.error or "" for r in verdict.results)])
    assert box.verify(GOOD, CHECKS).ok, "the worker must carry on"
    return verdict, text
