"""Waiting on one candidate from the worker: its result pipe, its capped output, its exit, the clock.

The wall-clock limit, the output cap and cancellation are enforced here, outside the candidate: when one
trips, the zygote is told to ``SIGKILL`` it and everything else left in its PID namespace, whatever the
candidate is doing. The candidate's exit status comes from the zygote (its parent).
"""

from __future__ import annotations

import fcntl
import os
import select
import time
from collections.abc import Callable
from dataclasses import dataclass

from ncpu.sandbox.protocol import ProtocolError, read_frame
from ncpu.sandbox.zygote import Zygote

RESULT_LIMIT = 16 * 1024 * 1024
EXIT_SECONDS = 5.0
"""How long the zygote may take to report a candidate it killed before it counts as lost."""


class ZygoteLost(Exception):
    """The zygote stopped answering: the worker cannot make a clean one again, so it must restart."""


@dataclass(slots=True)
class Outcome:
    """What the worker saw of one candidate run."""

    number: int
    """Which spawned candidate (the zygote's exits carry it)."""
    status: int | None = None
    """Wait status of the candidate; ``None`` when it was killed before the zygote reported its exit."""
    result: bytes = b""
    output: bytes = b""
    stopped: str | None = None
    """Why the worker killed it: ``timeout``, ``output``, ``result``, ``cancelled`` or ``closed``."""
    seconds: float = 0.0


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
    zygote: Zygote,
    number: int,
    pipes: tuple[int, int, int],
    deadline: float,
    output_cap: int,
    reported: Callable[[bytes], bool],
) -> Outcome:
    """Wait for the candidate to report, exit, or be stopped; have it killed when it did not exit.

    ``number`` is the candidate's spawn number; ``pipes`` are the result, output and control fds. Once
    the result pipe is closed with a message that ``reported`` accepts, the candidate is killed at once
    and not waited for, which keeps process teardown off the caller's latency.
    """
    result_fd, output_fd, control_fd = pipes
    started = time.monotonic()
    outcome = Outcome(number)
    result, output = bytearray(), bytearray()
    limits = {result_fd: RESULT_LIMIT, output_fd: output_cap}
    buffers = {result_fd: result, output_fd: output}
    for fd in buffers:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
    open_fds = set(buffers)
    done = False
    try:
        while outcome.stopped is None and not done:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                outcome.stopped = "timeout"
                break
            ready, _, _ = select.select([*open_fds, control_fd, zygote.fileno()], [], [], remaining)
            for fd in ready:
                if fd in open_fds and _drain(fd, buffers[fd], limits[fd]):
                    open_fds.discard(fd)
                    if fd == result_fd:
                        done = reported(bytes(result))
            if zygote.fileno() in ready and not done:
                try:
                    outcome.status = zygote.take_exit(number)  # None: an earlier candidate's exit
                except OSError as exc:
                    raise ZygoteLost() from exc
                if outcome.status is not None:
                    break
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
        if outcome.status is None:
            zygote.kill()
    for fd in open_fds:
        _drain(fd, buffers[fd], limits[fd])
    outcome.result = bytes(result) if len(result) <= RESULT_LIMIT else b""
    outcome.output = bytes(output[:output_cap])
    outcome.seconds = time.monotonic() - started
    return outcome


def settle(zygote: Zygote, outcome: Outcome) -> None:
    """Wait for a killed candidate's exit: proof that the zygote still answers (after the reply)."""
    if outcome.status is None:
        try:
            outcome.status = zygote.wait_exit(outcome.number, EXIT_SECONDS)
        except OSError as exc:
            raise ZygoteLost() from exc
        if outcome.status is None:
            raise ZygoteLost()
