"""The forked candidate process: limits, a clean environment, the audit guard, then the checks.

Everything here runs in the child after ``fork()`` from the warm worker, and ends in ``os._exit``.
The worker forks a spare child ahead of each request (so the fork is off the caller's latency); it
prepares itself, then waits for the request on ``REQUEST_FD``. File descriptors on entry to the
candidate: 0 is ``/dev/null``, 1 and 2 are the capped output pipe, ``RESULT_FD`` is the result pipe;
everything else the worker had open is closed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import resource
import sys
from typing import Any, NoReturn

from ncpu.sandbox import guard, harness
from ncpu.sandbox.protocol import HEADER, ProtocolError, checks_from_wire, read_frame

RESULT_FD = 3
REQUEST_FD = 4
EXIT_MEMORY = 3
EXIT_SETUP = 4
EXIT_CANDIDATE = 5


def _set_limits(limits: dict[str, Any]) -> None:
    mib = 1024 * 1024
    cpu = max(1, int(limits["cpu_seconds"]))
    pairs = [
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (int(limits["memory_mb"]) * mib,) * 2),
        (resource.RLIMIT_FSIZE, (int(limits["file_size_mb"]) * mib,) * 2),
        (resource.RLIMIT_NPROC, (int(limits["max_processes"]),) * 2),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_NOFILE, (64, 64)),
    ]
    for which, value in pairs:
        try:
            resource.setrlimit(which, value)
        except (ValueError, OSError):  # e.g. a hard limit already lower than ours
            continue


def _prepare(workdir: str, request_fd: int, result_fd: int, output_fd: int) -> None:
    """Everything that does not need the request: done right after the fork, before the caller asks."""
    os.setsid()
    # Copies above 10 first, so that moving them into place cannot clobber one not yet moved.
    output, result, request = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (output_fd, result_fd, request_fd))
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.dup2(result, RESULT_FD)
    os.dup2(request, REQUEST_FD)
    # The worker's protocol pipes, the read ends, anything else. No Python file object owns these
    # (the worker keeps its channel on bare duplicated fds), so nothing closes a reused number later.
    os.closerange(REQUEST_FD + 1, 1 << 16)
    os.chdir(workdir)
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8"})


def _run(request: dict[str, Any], workdir: str, token: str) -> None:
    limits = request["limits"]
    _set_limits(limits)
    checks = checks_from_wire(request["checks"])
    programs: list[str] = request["programs"]
    # Bound before the candidate can rebind module attributes or builtins.
    write, close, dumps, pack = os.write, os.close, json.dumps, HEADER.pack
    guard.install(workdir, bool(limits.get("network")))
    if request["op"] == "first":
        found = harness.first_passing(programs, checks)
        payload = {"index": None} if found is None else {"index": found[0], **found[1]}
    else:
        payload = {"index": 0, **harness.observe_program(programs[0], checks)}
    body = dumps({"token": token, **payload}).encode()
    data = pack(len(body)) + body  # one frame; anything before, after or instead of it fails the run
    while data:
        data = data[write(RESULT_FD, data) :]
    close(RESULT_FD)  # end of report: the worker answers without waiting for our exit


def run_candidate(workdir: str, pipes: tuple[int, int, int], token: str) -> NoReturn:
    """Body of the forked child (``pipes``: request, result, output); waits for one request; never returns."""
    code = EXIT_SETUP
    try:
        _prepare(workdir, *pipes)
        try:
            request = read_frame(REQUEST_FD)
        except ProtocolError:  # the worker discarded this spare child, or went away
            os._exit(0)
        os.close(REQUEST_FD)
        code = EXIT_CANDIDATE
        _run(request, workdir, token)
        code = 0
    except MemoryError:
        code = EXIT_MEMORY
    except BaseException:
        pass
    with contextlib.suppress(BaseException):  # what the candidate printed goes to the capped output pipe
        sys.stdout.flush()
    os._exit(code)
