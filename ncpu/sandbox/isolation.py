"""OS-level isolation for the warm worker: a private network namespace where the OS allows one.

Applied once, in the worker, so every forked candidate inherits it. As root, ``unshare(CLONE_NEWNET)``
works directly; otherwise an unprivileged user namespace is tried first (many distributions allow it).
When neither is possible the sandbox still runs (rlimits, process-group kill, audit hook) and says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


def _unshare(flags: int) -> int:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    result = libc.unshare(flags)
    return 0 if result == 0 else ctypes.get_errno()


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def isolate_network() -> str:
    """Move this process into a new network namespace with no interfaces up; describe what happened."""
    if not hasattr(os, "fork") or not os.path.exists("/proc/self/ns/net"):
        return "none: this OS has no network namespaces"
    errno = _unshare(CLONE_NEWNET)
    if errno == 0:
        return "network namespace (unshare)"
    uid, gid = os.getuid(), os.getgid()
    errno_user = _unshare(CLONE_NEWUSER | CLONE_NEWNET)
    if errno_user == 0:
        try:
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1")
            _write("/proc/self/gid_map", f"{gid} {gid} 1")
        except OSError:
            pass
        return "network namespace (unprivileged user namespace)"
    return f"none: the OS refused a network namespace ({os.strerror(errno_user)}); network access is not blocked"
