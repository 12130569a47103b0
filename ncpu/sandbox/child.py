"""The candidate process: forked by the zygote, sealed, then given one program to observe.

Everything here runs in the child after ``fork()`` and ends in ``os._exit``. The zygote forks the next
candidate as soon as the previous one is done; it seals itself at once (``_seal``: its own session, fds,
a private ``/tmp``, no capabilities, ``no_new_privs``, the seccomp filter) and only then waits for its
request on ``REQUEST_FD``, which the worker writes directly: the zygote never sees it. File descriptors
on entry to the candidate: 0 is ``/dev/null``, 1 and 2 are the capped output pipe, ``RESULT_FD`` is the
result pipe; nothing else.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import resource
import sys
from dataclasses import dataclass
from typing import Any, NoReturn

from ncpu.sandbox import guard, harness, namespaces
from ncpu.sandbox.protocol import HEADER, OWN_PACKAGES, ProtocolError, checks_from_wire, read_frame
from ncpu.sandbox.seccomp import Filter

RESULT_FD = 3
REQUEST_FD = 4
EXIT_MEMORY = 3
EXIT_SETUP = 4
EXIT_CANDIDATE = 5


@dataclass(frozen=True)
class Setup:
    """How the zygote seals each candidate."""

    workdir: str
    """The candidate's cwd, ``HOME`` and ``TMPDIR``."""
    private_tmp_mb: int = 0
    """Above 0: ``workdir`` is a fresh tmpfs of this size in the candidate's own mount namespace."""
    last_cap: int = -1
    """0 or more: drop every capability up to this number (the zygote holds them in its namespace)."""
    filter: Filter | None = None
    hook: bool = True
    """The audit hook (defence in depth); off only in tests that prove the kernel holds without it."""
    readable: tuple[str, ...] = ()
    """Extra read-only directories (``Sandbox(readonly_paths=...)``), which the audit hook lets it read."""
    under_tmp: tuple[str, ...] = ()
    """Read-only binds under ``/tmp`` (a project or a virtual environment there), kept above the private tmpfs."""


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


def _seal(setup: Setup, request_fd: int, result_fd: int, output_fd: int) -> None:
    """Everything that does not need the request: done right after the fork, before the worker asks."""
    namespaces.die_with_parent()  # without a PID namespace, nothing else would stop us when the zygote dies
    os.setsid()
    # Copies above 10 first, so that moving them into place cannot clobber one not yet moved.
    output, result, request = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (output_fd, result_fd, request_fd))
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.dup2(result, RESULT_FD)
    os.dup2(request, REQUEST_FD)
    # The zygote's socket, the other pipe ends, anything else. No Python file object owns these, so
    # nothing closes a reused number later.
    os.closerange(REQUEST_FD + 1, 1 << 16)
    if setup.private_tmp_mb > 0:
        namespaces.private_tmp(setup.private_tmp_mb, keep=setup.under_tmp)
    os.chdir(setup.workdir)
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": setup.workdir, "TMPDIR": setup.workdir, "LANG": "C.UTF-8"})
    if setup.last_cap >= 0:
        namespaces.drop_capabilities(setup.last_cap)
    if setup.filter is not None:
        setup.filter.install()


def _run(request: dict[str, Any], setup: Setup) -> None:
    limits = request["limits"]
    token = str(request["token"])
    _set_limits(limits)
    if request.get("op") == "probe":  # the worker asks what the kernel enforces on a candidate
        _report({"token": token, **namespaces.self_report()})
        return
    checks = checks_from_wire(request["checks"])
    program: str = request["program"]
    # Bound before the candidate can rebind module attributes or builtins.
    write, close, dumps, pack = os.write, os.close, json.dumps, HEADER.pack
    placement = request.get("module")
    if isinstance(placement, dict):
        _forget_own_packages()  # the project's own ``extraction`` or ``server`` must be importable as itself
    else:
        placement = None
    if setup.hook:
        guard.install(setup.workdir, bool(limits.get("network")), setup.readable)
    observe = harness.observe_program
    clock = limits.get("check_seconds")
    payload = observe(program, checks, placement=placement, check_seconds=float(clock) if clock else None)
    del request, checks, program
    _report({"token": token, **payload}, write, close, dumps, pack)


def _forget_own_packages() -> None:
    """Drop ncpu's modules from ``sys.modules`` and its finder from ``sys.meta_path`` (``bootstrap.py``).

    Everything the rest of this run needs is bound already; the candidate imports the project's names.
    """
    for name in [n for n in sys.modules if n.partition(".")[0] in OWN_PACKAGES]:
        del sys.modules[name]
    sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "OwnPackages"]


def _report(
    message: dict[str, Any],
    write: Any = os.write,
    close: Any = os.close,
    dumps: Any = json.dumps,
    pack: Any = HEADER.pack,
) -> None:
    body = dumps(message).encode()
    data = pack(len(body)) + body  # one frame; anything before, after or instead of it fails the run
    while data:
        data = data[write(RESULT_FD, data) :]
    close(RESULT_FD)  # end of report: the worker answers without waiting for our exit


def run_candidate(setup: Setup, pipes: tuple[int, int, int]) -> NoReturn:
    """Body of the forked child (``pipes``: request, result, output); waits for one request; never returns."""
    code = EXIT_SETUP
    try:
        _seal(setup, *pipes)
        try:
            request = read_frame(REQUEST_FD)
        except ProtocolError:  # the worker discarded this spare child, or went away
            os._exit(0)
        os.close(REQUEST_FD)
        code = EXIT_CANDIDATE
        _run(request, setup)
        code = 0
    except MemoryError:
        code = EXIT_MEMORY
    except BaseException:
        pass
    with contextlib.suppress(BaseException):  # what the candidate printed goes to the capped output pipe
        sys.stdout.flush()
    os._exit(code)
