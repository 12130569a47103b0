"""The sandboxed verifier: every candidate runs in a forked, resource-limited child of a warm worker.

``Sandbox`` is the only entry point. It never raises for anything a candidate does (a failed
``Verdict`` says what happened); it raises ``ncpu.cancel.Cancelled`` when the caller cancels.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Any

from extraction.check import Check
from ncpu.cancel import Cancelled, CancelToken
from ncpu.config import SandboxLimits
from ncpu.sandbox.protocol import ProtocolError, checks_to_wire, read_frame, verdict_from_wire, write_frame
from ncpu.sandbox.verdict import CheckResult, Verdict

__all__ = ["CheckResult", "Sandbox", "Verdict"]

_POLL_SECONDS = 0.02
_START_TIMEOUT = 30.0


class _Worker:
    """One warm worker process and its pipes."""

    def __init__(self, limits: SandboxLimits) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if limits.network:
            env["NCPU_SANDBOX_NETWORK"] = "1"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ncpu.sandbox.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.to_worker = self.process.stdin.fileno()
        self.from_worker = self.process.stdout.fileno()
        hello = self.wait_frame(time.monotonic() + _START_TIMEOUT, None)
        if hello is None or not hello.get("ready"):
            self.kill()
            raise RuntimeError("the sandbox worker did not start")
        self.isolation = str(hello.get("isolation", "unknown"))

    def wait_frame(self, deadline: float, cancel: CancelToken | None) -> dict[str, Any] | None:
        """Wait for the next frame; ``None`` on deadline; raises ``Cancelled``."""
        while True:
            if cancel is not None and cancel.cancelled:
                raise Cancelled()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.from_worker], [], [], min(_POLL_SECONDS, remaining))
            if ready:
                return read_frame(self.from_worker)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class Sandbox:
    """Runs untrusted candidates against checks. Thread-safe: requests are served one at a time."""

    def __init__(self, limits: SandboxLimits | None = None) -> None:
        self.limits = limits or SandboxLimits()
        self._worker: _Worker | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._finalizer = weakref.finalize(self, Sandbox._stop, [None])
        atexit.register(self.close)

    @staticmethod
    def _stop(holder: list[_Worker | None]) -> None:
        if holder[0] is not None:
            holder[0].kill()

    def _ensure_worker(self) -> _Worker:
        if self._worker is None or not self._worker.alive():
            if self._worker is not None:
                self._worker.kill()
            self._worker = _Worker(self.limits)
            self._finalizer.detach()
            self._finalizer = weakref.finalize(self, Sandbox._stop, [self._worker])
        return self._worker

    @property
    def isolation(self) -> str:
        """What isolates candidates from the network here (starts the worker if needed)."""
        with self._lock:
            return self._ensure_worker().isolation

    def verify(self, program: str, checks: Sequence[Check], *, cancel: CancelToken | None = None) -> Verdict:
        """Run ``program`` (a whole module) and every check against it."""
        response = self._request("verify", [program], checks, cancel)
        return self._verdict(response, len(checks))

    def first_passing(
        self, programs: Sequence[str], checks: Sequence[Check], *, cancel: CancelToken | None = None
    ) -> tuple[int, Verdict] | None:
        """Try cheap candidates in one child; return the first that passes every check."""
        if not programs or not checks:
            return None
        response = self._request("first", list(programs), checks, cancel)
        index = response.get("index")
        if not isinstance(index, int) or not 0 <= index < len(programs):
            return None
        verdict = self._verdict(response, len(checks))
        return (index, verdict) if verdict.ok else None

    def _verdict(self, response: dict[str, Any], total: int) -> Verdict:
        item = response.get("verdict")
        if not isinstance(item, dict):
            return Verdict.failed(total, str(response.get("error", "no result from the sandbox")))
        return verdict_from_wire(item, total)

    def _request(
        self, op: str, programs: list[str], checks: Sequence[Check], cancel: CancelToken | None
    ) -> dict[str, Any]:
        if self._closed:
            raise RuntimeError("sandbox is closed")
        if cancel is not None:
            cancel.raise_if_cancelled()
        request = {
            "op": op,
            "programs": programs,
            "checks": checks_to_wire(checks),
            "limits": dataclasses.asdict(self.limits),
        }
        with self._lock:
            worker = self._ensure_worker()
            try:
                write_frame(worker.to_worker, request)
                return self._await(worker, cancel)
            except (OSError, ProtocolError) as exc:
                worker.kill()
                return {"error": f"sandbox worker failed: {exc}"}

    def _await(self, worker: _Worker, cancel: CancelToken | None) -> dict[str, Any]:
        deadline = time.monotonic() + self.limits.wall_seconds + 10.0
        child_pid: int | None = None
        while True:
            try:
                frame = worker.wait_frame(deadline, cancel)
            except Cancelled:
                if child_pid is not None:
                    _kill_candidate(child_pid)
                # Drain the worker's reply so the channel stays in step.
                worker.wait_frame(time.monotonic() + 5.0, None) if child_pid is not None else None
                raise
            if frame is None:
                worker.kill()
                return {"error": "the sandbox worker stopped answering; restarted"}
            if "started" in frame:
                child_pid = int(frame["started"])
                continue
            return frame

    def close(self) -> None:
        """Stop the worker (idempotent)."""
        self._closed = True
        with self._lock:
            if self._worker is not None:
                self._worker.kill()
                self._worker = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _kill_candidate(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
            return
        except (ProcessLookupError, PermissionError):
            continue
