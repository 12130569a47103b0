"""The sandboxed verifier: every candidate runs in a forked, resource-limited child of a warm worker.

``Sandbox`` is the only entry point. It never raises for anything a candidate does (a failed
``Verdict`` says what happened); it raises ``ncpu.cancel.Cancelled`` when the caller cancels.
See ``docs/sandbox.md`` for what is isolated and what is best effort.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Any

from extraction.check import Check
from ncpu.cancel import Cancelled, CancelToken
from ncpu.config import SandboxLimits
from ncpu.sandbox.connection import WorkerConnection, WorkerError
from ncpu.sandbox.isolation import Isolation
from ncpu.sandbox.placement import Placement
from ncpu.sandbox.protocol import ProtocolError, checks_to_wire, verdict_from_wire
from ncpu.sandbox.verdict import CheckResult, Verdict

__all__ = ["CheckResult", "Isolation", "Placement", "Sandbox", "Verdict", "WorkerError", "probe_isolation"]

_ANSWER_GRACE = 5.0
"""Seconds past the wall limit before the caller gives up on the worker itself (it enforces the limit)."""
_CANCEL_GRACE = 2.0


def _stop(holder: list[WorkerConnection | None]) -> None:
    worker, holder[0] = holder[0], None
    if worker is not None:
        worker.kill()


class Sandbox:
    """Runs untrusted candidates against checks. Thread-safe: requests are served one at a time."""

    def __init__(self, limits: SandboxLimits | None = None, *, readonly_paths: Sequence[str] = ()) -> None:
        """``readonly_paths``: host directories candidates may read (at the same path), besides Python's own."""
        self.limits = limits or SandboxLimits()
        self.readonly_paths = tuple(readonly_paths)
        self._lock = threading.Lock()
        self._holder: list[WorkerConnection | None] = [None]
        self._closed = False
        # Runs on close(), on garbage collection, or at interpreter exit: no worker outlives us.
        self._finalizer = weakref.finalize(self, _stop, self._holder)

    def _worker(self, placement: Placement | None = None) -> WorkerConnection:
        """The live worker for ``placement``'s interpreter and import roots, started (or restarted) on demand.

        Call with the lock held. A request for another interpreter or other roots replaces the worker
        (the roots are mounted when it starts). Raises ``WorkerError`` when it cannot start.
        """
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        python = placement.interpreter if placement is not None else None
        roots = placement.import_roots if placement is not None else ()
        worker = self._holder[0]
        if worker is not None and placement is not None and (worker.python, worker.roots) != (python, roots):
            _stop(self._holder)
            worker = None
        if worker is None or not worker.alive():
            _stop(self._holder)
            readonly = (*self.readonly_paths, *roots)
            self._holder[0] = worker = WorkerConnection(self.limits, readonly, python)
            worker.roots = roots
        return worker

    @property
    def isolation(self) -> str:
        """What isolates candidates here, in one line; starts with ``"none:"`` when anything is weaker."""
        return self.isolation_details.description

    @property
    def isolation_details(self) -> Isolation:
        """What isolates candidates here, mechanism by mechanism (starts the worker if needed)."""
        return self.isolation_for(None)

    def isolation_for(self, placement: Placement | None) -> Isolation:
        """What isolates candidates placed as ``placement`` (starts that worker; raises ``WorkerError``)."""
        with self._lock:
            return self._worker(placement).isolation

    def verify(
        self,
        program: str,
        checks: Sequence[Check],
        *,
        cancel: CancelToken | None = None,
        placement: Placement | None = None,
        check_seconds: float | None = None,
    ) -> Verdict:
        """Run ``program`` (a whole module, placed as ``placement`` says) and every check in a fresh child.

        ``check_seconds`` gives each check a clock of its own within the candidate's wall limit: a check
        past it is that check's ``timed_out`` result, and the checks after it still run.
        """
        response = self._request("verify", [program], checks, cancel, placement, check_seconds)
        return self._verdict(response, len(checks))

    def first_passing(
        self,
        programs: Sequence[str],
        checks: Sequence[Check],
        *,
        cancel: CancelToken | None = None,
        placement: Placement | None = None,
    ) -> tuple[int, Verdict] | None:
        """Try cheap candidates in turn, each in a fresh child, one wall limit for all; the first passing one."""
        if not programs or not checks:
            return None
        response = self._request("first", list(programs), checks, cancel, placement)
        index = response.get("index")
        if type(index) is not int or not 0 <= index < len(programs):
            return None
        verdict = self._verdict(response, len(checks))
        return (index, verdict) if verdict.ok else None

    def close(self) -> None:
        """Stop the worker and its candidates (idempotent)."""
        self._closed = True
        with self._lock:
            self._finalizer()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _verdict(self, response: dict[str, Any], total: int) -> Verdict:
        item = response.get("verdict")
        if not isinstance(item, dict):
            return Verdict.failed(total, str(response.get("error", "no result from the sandbox")))
        return verdict_from_wire(item, total)

    def _request(
        self,
        op: str,
        programs: list[str],
        checks: Sequence[Check],
        cancel: CancelToken | None,
        placement: Placement | None,
        check_seconds: float | None = None,
    ) -> dict[str, Any]:
        if cancel is not None:
            cancel.raise_if_cancelled()
        limits = dataclasses.asdict(self.limits)
        if check_seconds is not None and check_seconds > 0:
            limits["check_seconds"] = float(check_seconds)
        request: dict[str, Any] = {
            "op": op,
            "programs": programs,
            "checks": checks_to_wire(checks),
            "limits": limits,
        }
        if placement is not None:
            request["module"] = placement.to_wire()
        with self._lock:
            for attempt in range(2):
                try:
                    worker = self._worker(placement)
                except WorkerError as exc:  # e.g. the project's interpreter is missing or too old
                    return {"error": f"candidates cannot run: {exc}"}
                try:
                    worker.send(request)
                    break
                except OSError:  # it died since the last request; the candidate has not run yet
                    _stop(self._holder)
                    if attempt:
                        return {"error": "the sandbox worker could not take the request"}
            try:
                return self._await(worker, cancel)
            except (OSError, ProtocolError) as exc:
                _stop(self._holder)
                return {"error": f"the sandbox worker died during the run ({exc}); it restarts on the next call"}

    def _await(self, worker: WorkerConnection, cancel: CancelToken | None) -> dict[str, Any]:
        deadline = time.monotonic() + self.limits.wall_seconds + _ANSWER_GRACE
        try:
            frame = worker.wait_frame(deadline, cancel)
        except Cancelled:
            self._cancel_run(worker)
            raise
        if frame is None:
            _stop(self._holder)
            return {"error": "the sandbox worker stopped answering; it restarts on the next call"}
        return frame

    def _cancel_run(self, worker: WorkerConnection) -> None:
        """Ask the worker to kill the running candidate and wait for its answer, or kill the worker."""
        try:
            worker.send({"op": "cancel"})
            if worker.wait_frame(time.monotonic() + _CANCEL_GRACE, None) is not None:
                return
        except (OSError, ProtocolError):
            pass
        _stop(self._holder)


def probe_isolation(limits: SandboxLimits | None = None) -> Isolation:
    """What a sandbox with ``limits`` would get here (starts and stops a worker; for ``ncpu doctor``)."""
    with Sandbox(limits) as sandbox:
        return sandbox.isolation_details
