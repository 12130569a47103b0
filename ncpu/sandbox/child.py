"""The forked candidate process: limits, a clean environment, a guard on dangerous calls, then the checks.

Everything here runs in the child after ``fork()`` from the warm worker, and ends in ``os._exit``.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from typing import Any

from ncpu.sandbox import harness
from ncpu.sandbox.protocol import checks_from_wire, verdict_to_wire

_BLOCKED_EVENTS = {
    "os.system": "os.system",
    "subprocess.Popen": "starting processes",
    "os.fork": "fork",
    "os.forkpty": "fork",
    "os.posix_spawn": "starting processes",
    "os.exec": "exec",
    "os.spawn": "starting processes",
    "os.kill": "signalling processes",
    "os.killpg": "signalling processes",
    "signal.pthread_kill": "signalling threads",
    "socket.connect": "network access",
    "socket.bind": "network access",
    "socket.sendto": "network access",
    "socket.getaddrinfo": "network access",
    "ctypes.dlopen": "loading native libraries",
    "sys.setrecursionlimit": None,
}


def _set_limits(limits: dict[str, Any]) -> None:
    mib = 1024 * 1024
    cpu = int(limits["cpu_seconds"])
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
        except (ValueError, OSError):
            continue


def _install_guard(workdir: str, allow_network: bool) -> None:
    real = os.path.realpath(workdir)

    def guard(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode = args[0], args[1]
            writing = isinstance(mode, str) and any(flag in mode for flag in "wax+")
            if isinstance(mode, int) or mode is None:
                flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
                writing = bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC))
            if writing and isinstance(path, str | bytes):
                target = os.path.realpath(os.fsdecode(path))
                if not (target == real or target.startswith(real + os.sep) or target == os.devnull):
                    raise PermissionError(f"sandbox: writing outside the temp dir is not allowed ({target})")
            return
        if event in ("os.remove", "os.rename", "os.rmdir", "shutil.rmtree", "os.chmod", "os.symlink", "os.link"):
            target = os.path.realpath(os.fsdecode(args[0])) if args and isinstance(args[0], str | bytes) else ""
            if not (target == real or target.startswith(real + os.sep)):
                raise PermissionError(f"sandbox: changing files outside the temp dir is not allowed ({target})")
            return
        for prefix, reason in _BLOCKED_EVENTS.items():
            if event.startswith(prefix) and reason is not None:
                if reason == "network access" and allow_network:
                    return
                if event.startswith("os.kill") and args and args[0] == os.getpid():
                    return
                raise PermissionError(f"sandbox: {reason} is not allowed")

    sys.addaudithook(guard)


def run_candidate(request: dict[str, Any], workdir: str, result_fd: int, token: str) -> None:
    """Body of the forked child; never returns."""
    code = 0
    try:
        os.setsid()
        os.chdir(workdir)
        output = os.open(os.path.join(workdir, ".output"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.environ.clear()
        os.environ.update({"PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8"})
        limits = request["limits"]
        _set_limits(limits)
        checks = checks_from_wire(request["checks"])
        programs: list[str] = request["programs"]
        write_result = os.write
        dumps = json.dumps
        _install_guard(workdir, bool(limits.get("network")))
        if request["op"] == "first":
            found = harness.first_passing(programs, checks)
            payload = {"index": None} if found is None else {"index": found[0], "verdict": verdict_to_wire(found[1])}
        else:
            payload = {"index": 0, "verdict": verdict_to_wire(harness.run_checks(programs[0], checks))}
        data = dumps({"token": token, **payload}).encode()
        while data:
            data = data[write_result(result_fd, data) :]
    except MemoryError:
        code = 3
    except BaseException:
        code = 4
    os._exit(code)
