"""A bounded soak of one server (short in CI; ``NCPU_SOAK_REQUESTS=2000`` for the full run).

The driver is ``benchmarks/soak.py``: edits, code actions, hovers, store-hit solves, requests cancelled
at once and requests for a closed document, a few in flight at a time, over loopback stdio only.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.scripts import load_benchmark_script

REQUESTS = int(os.environ.get("NCPU_SOAK_REQUESTS", "300"))


async def test_soak_answers_everything_and_memory_stays_flat(tmp_path: Path) -> None:
    result = await load_benchmark_script("soak").soak(REQUESTS, tmp_path)
    assert result.errors == []
    answered = REQUESTS - result.kinds.get("edit", 0)
    assert len(result.latencies_ms) == answered
    assert result.percentile(0.99) < 5_000
    growth_mib = (result.rss_kib[-1] - result.rss_kib[0]) / 1024
    assert growth_mib < 40, result.summary()  # no per-request leak (documents, partials, futures)
    assert any("sandbox isolation" in line for line in result.log)  # said at start-up
