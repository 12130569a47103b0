"""Waiting on one forked candidate from the worker: its result pipe, its capped output, its exit, the clock.

The wall-clock limit, the output cap and cancellation are all enforced here, outside the candidate: when
one trips, the candidate's whole process group gets ``SIGKILL`` (and, when the worker is init of its own
PID namespace, every other process in it too), whatever the candidate is doing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from ncpu.sandbox.protocol import ProtocolError, read_frame

RESULT_LIMIT = 16 * 1024 * 1024
_POLL_SECONDS = 0.005


@dataclass(slots=True)
class Outcome:
    """What the worker saw of one candidate run."""

    pid: int
    status: int | None = None
    """``waitpid`` status of the candidate; ``None`` when it reported and is reaped later by ``settle``."""
    result: bytes = b""
    output: bytes = b""
    stopped: str | None = None
    """Why the worker killed it: ``timeout``, ``output``, ``result``, ``cancelled`` or ``closed``."""
    seconds: float = 0.0


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # Linux < 5.3, or not Linux
        return None


def kill_group(pid: int) -> None:
    """SIGKILL the candidate's process group (it called ``setsid``), and the candidate itself."""
    for send in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            send(pid, signal.SIGKILL)


def kill_namespace() -> None:
    """As init of a PID namespace we created, SIGKILL every other process in it (escaped grandchildren)."""
    if os.getpid() == 1:  # never outside our own namespace: kill(-1) there would hit the whole user
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(-1, signal.SIGKILL)


def reap_orphans() -> None:
    """Collect exited processes reparented to us (we are init of the namespace)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def _drain(fd: int, into: bytearray, limit: int) -> bool:
    """Read what is there without blocking; return whether the pipe is closed."""
    while len(into) <= limit:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return False
        if not chunk:
            return True
        into += chunk
    return False


def watch(
    pid: int,
    pipes: tuple[int, int, int],
    deadline: float,
    output_cap: int,
    reported: Callable[[bytes], bool],
    ns_init: bool,
) -> Outcome:
    """Wait for the candidate ``pid`` to report, exit, or be stopped; kill what is left.

    ``pipes`` are the result, output and control fds. Once the result pipe is closed with a message that
    ``reported`` accepts, the candidate is killed at once and reaped later by ``settle`` (after the reply),
    which keeps process teardown off the caller's latency.
    """
    result_fd, output_fd, control_fd = pipes
    started = time.monotonic()
    outcome = Outcome(pid=pid)
    result, output = bytearray(), bytearray()
    limits = {result_fd: RESULT_LIMIT, output_fd: output_cap}
    buffers = {result_fd: result, output_fd: output}
    for fd in buffers:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
    pidfd = _pidfd(pid)
    open_fds = set(buffers)
    done = False
    try:
        while outcome.stopped is None and not done:
            if pidfd is None:
                reaped, status = os.waitpid(pid, os.WNOHANG)
                if reaped:
                    outcome.status = status
                    break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                outcome.stopped = "timeout"
                break
            waiting = [*open_fds, control_fd, *([] if pidfd is None else [pidfd])]
            ready, _, _ = select.select(waiting, [], [], min(remaining, _POLL_SECONDS if pidfd is None else remaining))
            if pidfd is not None and pidfd in ready:
                break
            for fd in ready:
                if fd in open_fds and _drain(fd, buffers[fd], limits[fd]):
                    open_fds.discard(fd)
                    if fd == result_fd:
                        done = reported(bytes(result))
            if len(output) > output_cap:
                outcome.stopped = "output"
            elif len(result) > RESULT_LIMIT:
                outcome.stopped = "result"
            elif control_fd in ready:
                try:
                    read_frame(control_fd)  # the only message during a run is a cancel
                    outcome.stopped = "cancelled"
                except ProtocolError:
                    outcome.stopped = "closed"
    finally:
        kill_group(pid)
        if ns_init:
            kill_namespace()
        if pidfd is not None:
            os.close(pidfd)
        if outcome.status is None and not done:
            outcome.status = os.waitpid(pid, 0)[1]
    for fd in open_fds:
        _drain(fd, buffers[fd], limits[fd])
    outcome.result = bytes(result) if len(result) <= RESULT_LIMIT else b""
    outcome.output = bytes(output[:output_cap])
    outcome.seconds = time.monotonic() - started
    return outcome


def settle(outcome: Outcome, ns_init: bool) -> None:
    """Reap the (already killed) candidate and any orphans; done after replying to the caller."""
    if outcome.status is None:
        outcome.status = os.waitpid(outcome.pid, 0)[1]
    if ns_init:
        reap_orphans()
