"""The warm worker: a long-lived process that forks one child per candidate.

Started once by ``Sandbox`` (``python -m ncpu.sandbox.worker``) with the harness and common stdlib
modules already imported, so a candidate costs a ``fork()`` instead of a fresh interpreter. It talks to
its parent over stdin/stdout with length-prefixed JSON frames. Each candidate's result comes back over a
private pipe with a random per-run token; anything else (garbage, a missing token, a crash, text on
stdout) is a failed candidate. Candidate code never runs in this process, only in its forked children.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import secrets
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from extraction.check import Check
from ncpu.sandbox import child
from ncpu.sandbox.isolation import Isolation, die_with_parent, isolate
from ncpu.sandbox.judge import for_child, judge_all
from ncpu.sandbox.protocol import (
    HEADER,
    ProtocolError,
    checks_from_wire,
    checks_to_wire,
    read_frame,
    verdict_to_wire,
    write_frame,
)
from ncpu.sandbox.verdict import Verdict
from ncpu.sandbox.watch import Outcome, kill_group, settle, watch

# Imported once here so that candidates using them do not pay for the import after each fork.
_WARM_MODULES = (
    "bisect",
    "collections",
    "copy",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "fractions",
    "functools",
    "hashlib",
    "heapq",
    "itertools",
    "math",
    "operator",
    "random",
    "re",
    "statistics",
    "string",
    "typing",
)
_NOTE_CHARS = 500


class _ControlClosed(Exception):
    """The caller went away while a candidate was running."""


def _describe_exit(status: int, limits: dict[str, Any]) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return f"timed out: CPU time limit exceeded ({limits['cpu_seconds']} s)"
        if sig == signal.SIGXFSZ:
            return f"file size limit exceeded ({limits['file_size_mb']} MiB)"
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


def _failed(total: int, error: str, outcome: Outcome) -> dict[str, Any]:
    notes: tuple[str, ...] = ()
    if outcome.output:
        text = outcome.output.decode("utf-8", "replace")
        notes = (f"output: {text[:_NOTE_CHARS]}{'...' if len(text) > _NOTE_CHARS else ''}",)
    verdict = Verdict(results=(), total=total, error=error, seconds=outcome.seconds, notes=notes)
    return {"index": None, "verdict": verdict_to_wire(verdict)}


def _message(result: bytes, token: str) -> dict[str, Any] | None:
    """The child's report if it is exactly one frame holding a JSON object with this run's token."""
    if len(result) < HEADER.size or HEADER.unpack(result[: HEADER.size])[0] != len(result) - HEADER.size:
        return None  # nothing, a short frame, or bytes before or after it: not what the harness writes
    try:
        message = json.loads(result[HEADER.size :])
    except ValueError:
        return None
    if not isinstance(message, dict) or message.pop("token", None) != token:
        return None
    return message


def _judged(message: dict[str, Any], checks: list[Check], seconds: float) -> Verdict:
    """Turn the child's observations into a verdict here, outside the candidate's process."""
    total = len(checks)
    error = message.get("error")
    if error is not None:
        return Verdict.failed(total, str(error)[:1000], seconds)
    try:
        results = judge_all(checks, message.get("observations"))
    except ValueError as exc:
        return Verdict.failed(total, str(exc), seconds)
    return Verdict(results=results, total=total, seconds=seconds)


def _response(outcome: Outcome, token: str, request: dict[str, Any]) -> dict[str, Any]:
    limits = request["limits"]
    total = len(request["checks"])
    stopped = {
        "timeout": f"timed out after {float(limits['wall_seconds'])!r} s",
        "output": f"output limit exceeded ({int(limits['output_bytes'])} bytes)",
        "result": "result too large",
        "cancelled": "cancelled",
    }
    if outcome.stopped is not None:
        return _failed(total, stopped.get(outcome.stopped, outcome.stopped), outcome)
    message = _message(outcome.result, token)
    if message is None:
        status = outcome.status or 0
        if outcome.result and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            return _failed(total, "the candidate tampered with the result channel", outcome)
        return _failed(total, _describe_exit(status, limits), outcome)
    index = message.get("index")
    if request["op"] == "first" and index is None:
        return {"index": None}
    if type(index) is not int:
        return _failed(total, "malformed result from the sandbox", outcome)
    verdict = _judged(message, checks_from_wire(request["checks"]), outcome.seconds)
    if request["op"] == "first" and not verdict.ok:
        return {"index": None}  # the child believed a pass that the judge outside does not
    return {"index": index, "verdict": verdict_to_wire(verdict)}


def _for_child(request: dict[str, Any]) -> dict[str, Any]:
    """What the child is told: for a single candidate, no expected outcome the worker judges itself."""
    if request.get("op") != "verify":
        return request  # a batch of cheap candidates needs them to pick one; the worker re-judges it
    checks = [for_child(check) for check in checks_from_wire(request["checks"])]
    return {**request, "checks": checks_to_wire(checks)}


@dataclass(slots=True)
class _Spare:
    """A child forked ahead of time, prepared and waiting for its request."""

    pid: int
    workdir: str
    token: str
    request_w: int
    result_r: int
    output_r: int

    @classmethod
    def fork(cls) -> _Spare:
        workdir = tempfile.mkdtemp(prefix="ncpu-candidate-")
        token = secrets.token_hex(16)
        request_r, request_w = os.pipe()
        result_r, result_w = os.pipe()
        output_r, output_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the candidate; never returns
            child.run_candidate(workdir, (request_r, result_w, output_w), token)
        for fd in (request_r, result_w, output_w):
            os.close(fd)
        return cls(pid, workdir, token, request_w, result_r, output_r)

    def discard(self) -> None:
        """Kill and reap an unused spare."""
        kill_group(self.pid)
        os.waitpid(self.pid, 0)
        self.close()

    def close(self) -> None:
        for fd in (self.request_w, self.result_r, self.output_r):
            if fd >= 0:
                os.close(fd)
        self.request_w = self.result_r = self.output_r = -1
        shutil.rmtree(self.workdir, ignore_errors=True)


def run_request(
    request: dict[str, Any], spare: _Spare, control_fd: int, ns_init: bool
) -> tuple[dict[str, Any], Callable[[], None]]:
    """Hand one request to the spare child; return the response and a cleanup to run after replying."""
    limits = request["limits"]
    deadline = time.monotonic() + float(limits["wall_seconds"])
    outcome: Outcome | None = None

    def cleanup() -> None:
        if outcome is not None:
            settle(outcome, ns_init)
        spare.close()

    try:
        with contextlib.suppress(BrokenPipeError):  # it died early: its exit status tells why
            write_frame(spare.request_w, _for_child(request))
        os.close(spare.request_w)
        spare.request_w = -1  # its number may be reused before close() runs
        pipes = (spare.result_r, spare.output_r, control_fd)
        accept: Callable[[bytes], bool] = lambda data: _message(data, spare.token) is not None  # noqa: E731
        outcome = watch(spare.pid, pipes, deadline, int(limits["output_bytes"]), accept, ns_init)
    except BaseException:
        cleanup()
        raise
    if outcome.stopped == "closed":
        cleanup()
        raise _ControlClosed()
    return _response(outcome, spare.token, request), cleanup


def serve(in_fd: int, out_fd: int, description: str, ns_init: bool) -> None:
    """Answer requests until the caller closes the channel."""
    write_frame(out_fd, {"ready": True, "isolation": description})
    spare = _Spare.fork()
    while True:
        try:
            request = read_frame(in_fd)
        except ProtocolError:
            spare.discard()
            return
        if request.get("op") == "cancel":  # arrived after its candidate had already finished
            continue
        cleanup: Callable[[], None] | None = None
        try:
            response, cleanup = run_request(request, spare, in_fd, ns_init)
        except _ControlClosed:
            return
        except Exception as exc:
            error = f"sandbox error: {type(exc).__name__}: {exc}"
            response = {
                "index": None,
                "verdict": verdict_to_wire(Verdict.failed(len(request.get("checks", [])), error)),
            }
        write_frame(out_fd, {"done": True, **response})
        # The next fork, reaping and removing the temp dir all stay off the caller's latency. Forking
        # before reaping is safe: everything left in the namespace was already killed in watch().
        spare = _Spare.fork()
        if cleanup is not None:
            cleanup()


def main() -> None:
    """Isolate this process, warm it up, and serve (as init of a new PID namespace when we got one)."""
    # The channel moves to bare fds; 0 and 1 become /dev/null so that stray prints cannot corrupt it.
    in_fd, out_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    if os.environ.get("NCPU_SANDBOX_NAMESPACES") == "0":
        isolation = Isolation("none: namespaces turned off (NCPU_SANDBOX_NAMESPACES=0); network access is not blocked")
    else:
        isolation = isolate(allow_network=os.environ.get("NCPU_SANDBOX_NETWORK") == "1")
    for name in _WARM_MODULES:
        importlib.import_module(name)
    gc.freeze()  # the warm heap is never collected in a child, so fewer copy-on-write page faults
    if isolation.pid_namespace:
        pid = os.fork()
        if pid:  # only waits, so that the caller's kill of our process group reaches the namespace
            os.close(in_fd)
            os.close(out_fd)
            status = os.waitpid(pid, 0)[1]
            os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)
        die_with_parent()
    serve(in_fd, out_fd, isolation.description, ns_init=isolation.pid_namespace and os.getpid() == 1)


if __name__ == "__main__":
    main()
