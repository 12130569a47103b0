"""In the worker: reading a candidate's report and turning what it did into the reply's verdict.

The report is untrusted bytes. Reading it is bounded (``watch.RESULT_LIMIT`` bytes, the JSON decoder's
nesting by the recursion limit, decoding by ``values``' depth, node and digit limits), and judging
never raises: whatever goes wrong (a huge integer, ``math.isclose`` overflowing, a malformed tree) is
that candidate's failed check or verdict, never the worker's death.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Sequence
from typing import Any

from extraction.check import Check
from ncpu.sandbox import child
from ncpu.sandbox.judge import judge_all
from ncpu.sandbox.protocol import HEADER, verdict_to_wire
from ncpu.sandbox.verdict import Verdict
from ncpu.sandbox.watch import Outcome

_NOTE_CHARS = 500
LOST = "the sandbox worker lost its zygote; it restarts on the next call"


def parse(result: bytes, token: str) -> dict[str, Any] | None:
    """The child's report if it is exactly one frame holding a JSON object with this run's token."""
    if len(result) < HEADER.size or HEADER.unpack(result[: HEADER.size])[0] != len(result) - HEADER.size:
        return None  # nothing, a short frame, or bytes before or after it: not what the harness writes
    try:  # the C decoder counts its nesting against the recursion limit: 100k-deep JSON is a RecursionError
        message = json.loads(result[HEADER.size :])
    except (ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(message, dict) or message.pop("token", None) != token:
        return None
    return message


def failed(total: int, error: str, outcome: Outcome | None = None) -> dict[str, Any]:
    """A reply for a candidate that failed as a whole."""
    notes: tuple[str, ...] = ()
    if outcome is not None and outcome.output:
        text = outcome.output.decode("utf-8", "replace")
        notes = (f"output: {text[:_NOTE_CHARS]}{'...' if len(text) > _NOTE_CHARS else ''}",)
    seconds = 0.0 if outcome is None else outcome.seconds
    verdict = Verdict(results=(), total=total, error=error, seconds=seconds, notes=notes)
    return {"index": None, "verdict": verdict_to_wire(verdict)}


def describe_exit(status: int, limits: dict[str, Any]) -> str:
    """Why a candidate ended without a report, from its wait status."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return f"timed out: CPU time limit exceeded ({limits['cpu_seconds']} s)"
        if sig == signal.SIGXFSZ:
            return f"file size limit exceeded ({limits['file_size_mb']} MiB)"
        if sig == signal.SIGSYS:
            return "killed by the seccomp filter (a system call of another architecture)"
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = "unknown"
        return f"killed by signal {sig} ({name})"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    if code == child.EXIT_MEMORY:
        return f"memory limit exceeded ({limits['memory_mb']} MiB)"
    if code == child.EXIT_SETUP:
        return "the sandbox could not set up the candidate process"
    return f"exited with status {code} before reporting a result"


def judged(
    message: dict[str, Any], checks: Sequence[Check], seconds: float, program: str = "", pending: Sequence[str] = ()
) -> Verdict:
    """Turn the child's observations into a verdict here, outside the candidate's process; never raises."""
    total = len(checks)
    error = message.get("error")
    if error is not None:
        return Verdict.failed(total, str(error)[:1000], seconds)
    try:
        results = judge_all(checks, message.get("observations"), program, pending)
    except ValueError as exc:
        return Verdict.failed(total, str(exc)[:1000], seconds)
    except Exception as exc:
        return Verdict.failed(total, f"the result could not be judged ({type(exc).__name__})", seconds)
    return Verdict(results=results, total=total, seconds=seconds)


def response(
    outcome: Outcome,
    token: str,
    checks: Sequence[Check],
    limits: dict[str, Any],
    program: str = "",
    pending: Sequence[str] = (),
) -> dict[str, Any]:
    """The reply for one candidate's outcome."""
    total = len(checks)
    stopped = {
        "timeout": f"timed out after {float(limits['wall_seconds'])!r} s",
        "output": f"output limit exceeded ({int(limits['output_bytes'])} bytes)",
        "result": "result too large",
        "cancelled": "cancelled",
    }
    if outcome.stopped is not None:
        return failed(total, stopped.get(outcome.stopped, outcome.stopped), outcome)
    message = parse(outcome.result, token)
    if message is None:
        status = outcome.status or 0
        if outcome.result and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            return failed(total, "the candidate tampered with the result channel", outcome)
        return failed(total, describe_exit(status, limits), outcome)
    verdict = judged(message, checks, outcome.seconds, program, pending)
    return {"index": 0, "verdict": verdict_to_wire(verdict)}


def passed(reply: dict[str, Any], total: int) -> bool:
    """Whether a reply's verdict is a pass of all ``total`` checks."""
    verdict = reply.get("verdict")
    if not isinstance(verdict, dict) or verdict.get("error") is not None:
        return False
    results = verdict.get("results")
    return (
        isinstance(results, list)
        and total > 0
        and len(results) == total
        and all(isinstance(r, dict) and r.get("passed") is True for r in results)
    )
