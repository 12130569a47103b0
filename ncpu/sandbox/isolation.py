"""OS-level isolation for the warm worker: private network and PID namespaces where the OS allows them.

Applied once, in the worker, so every forked candidate inherits it. As root, ``unshare`` works directly;
otherwise an unprivileged user namespace is tried (many distributions allow one). A new PID namespace
means the worker's serving process is its init: candidates cannot signal anything outside it, and every
process a candidate leaves behind is killed after each run. When the OS refuses, the sandbox still runs
(rlimits, process-group kill, audit hook) and ``Isolation.description`` says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
from dataclasses import dataclass

CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class Isolation:
    """What this process was able to isolate itself with."""

    description: str
    """Human-readable; starts with ``"none:"`` when candidates can reach the network."""
    pid_namespace: bool = False
    """The next child forked is init of a new PID namespace (the caller must fork to use it)."""


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def _unshare(libc: ctypes.CDLL, flags: int) -> int:
    """Return 0 on success, else the errno."""
    return 0 if libc.unshare(flags) == 0 else ctypes.get_errno() or -1


def _map_ids(uid: int, gid: int) -> None:
    """Map our own ids into a fresh user namespace (best effort: unmapped ids still work for us)."""
    for path, text in (
        ("/proc/self/setgroups", "deny"),
        ("/proc/self/uid_map", f"{uid} {uid} 1"),
        ("/proc/self/gid_map", f"{gid} {gid} 1"),
    ):
        try:
            with open(path, "w") as handle:
                handle.write(text)
        except OSError:
            continue


def _try(libc: ctypes.CDLL, flags: int) -> tuple[str | None, int]:
    """Unshare ``flags``, directly or inside a new user namespace; return how (or ``None``) and the errno."""
    if _unshare(libc, flags) == 0:
        return "unshare", 0
    uid, gid = os.getuid(), os.getgid()
    errno = _unshare(libc, CLONE_NEWUSER | flags)
    if errno == 0:
        _map_ids(uid, gid)
        return "user namespace", 0
    return None, errno


def isolate(allow_network: bool) -> Isolation:
    """Move this (single-threaded) process into new namespaces; describe what is active."""
    if not os.path.exists("/proc/self/ns/net"):
        return Isolation("none: this OS has no namespaces; network access is not blocked")
    libc = _libc()
    if libc is None:
        return Isolation("none: libc not found; network access is not blocked")
    net_flag = 0 if allow_network else CLONE_NEWNET
    how, errno = _try(libc, net_flag | CLONE_NEWPID)
    pid_ns = how is not None
    if not pid_ns and net_flag:
        how, errno = _try(libc, net_flag)
    parts = [] if allow_network else [f"network namespace ({how})"] if how else []
    if pid_ns:
        parts.append("PID namespace")
    if allow_network:
        prefix = "none: network allowed by the settings"
        return Isolation(f"{prefix}; {', '.join(parts)}" if parts else prefix, pid_ns)
    if not parts:
        reason = os.strerror(errno) if errno > 0 else "unknown error"
        return Isolation(f"none: the OS refused a network namespace ({reason}); network access is not blocked")
    return Isolation(", ".join(parts), pid_ns)


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux ``PR_SET_PDEATHSIG``)."""
    libc = _libc()
    if libc is not None:
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
