"""Defence in depth inside the candidate process: an audit hook on dangerous calls.

Audit hooks are best effort. They see what the interpreter reports (``sys.audit`` events), not what
native code does, so the real containment is elsewhere: the forked process, its rlimits, the
process-group kill, and the namespaces. The hook turns the common cases (``subprocess``, ``os.system``,
``fork``, sockets, writes outside the temp dir) into a clear ``PermissionError`` instead of a side effect.
A few native escape hatches without audit events are cut off here as well.
"""

from __future__ import annotations

import os
import pwd
import sys
from typing import Any

_BLOCKED = {
    "os.system": "os.system",
    "subprocess.Popen": "starting processes",
    "os.posix_spawn": "starting processes",
    "os.spawn": "starting processes",
    "os.startfile": "starting processes",
    "os.exec": "exec",
    "os.fork": "fork",
    "os.forkpty": "fork",
    "signal.pthread_kill": "signalling threads",
    "sys.remote_exec": "attaching to processes",
}
_NETWORK = {
    "socket.connect",
    "socket.bind",
    "socket.sendto",
    "socket.sendmsg",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
    "socket.getnameinfo",
    "socket.sethostname",
}
_CHANGES_PATHS = {  # event -> indexes of the path arguments it modifies
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.rename": (0, 1),
    "os.link": (0, 1),
    "os.symlink": (1,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.chflags": (0,),
    "os.lchflags": (0,),
    "os.truncate": (0,),
    "os.utime": (0,),
    "os.setxattr": (0,),
    "os.removexattr": (0,),
    "os.mkfifo": (0,),
    "os.mknod": (0,),
    "shutil.rmtree": (0,),
}
# Modules whose functions reach fork/exec or signals without an audit event; re-importing them is blocked.
_SEVERED = {"_posixsubprocess": ("fork_exec",), "_signal": ("pidfd_send_signal",), "signal": ("pidfd_send_signal",)}
_LISTS_PATHS = {"os.listdir", "os.scandir", "glob.glob", "glob.glob/2"}
_READABLE = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/usr/share/zoneinfo")
"""Read-only system files a pure function may legitimately touch (randomness, time zones)."""
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _refuse(*_: object, **__: object) -> None:
    raise PermissionError("sandbox: starting or signalling processes is not allowed")


def _sever() -> None:
    for name, attributes in _SEVERED.items():
        module = sys.modules.get(name)
        for attribute in attributes:
            if module is not None and hasattr(module, attribute):
                setattr(module, attribute, _refuse)


def _read_roots(workdir: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Where a candidate may read: its temp dir and the Python installation (stdlib, site-packages).

    Not the user's home, the project being edited, ``/etc`` or ``/proc`` (another process's environment).
    """
    roots = {os.path.realpath(workdir), *_READABLE, *(os.path.realpath(p) for p in extra)}
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        roots.add(os.path.realpath(prefix))
    for entry in sys.path:  # site-packages outside the prefix (a user site, a system dist-packages)
        if entry.rstrip(os.sep).endswith(("site-packages", "dist-packages")):
            roots.add(os.path.realpath(entry))
    try:  # the real home: HOME points at the temp dir by now
        home = os.path.realpath(pwd.getpwuid(os.getuid()).pw_dir)
    except (KeyError, OSError):
        home = os.sep
    return tuple(sorted(root for root in roots if root not in (os.sep, home)))


def _within(target: str, roots: tuple[str, ...]) -> bool:
    return any(target == root or target.startswith(root + os.sep) for root in roots)


def install(workdir: str, allow_network: bool, readable: tuple[str, ...] = ()) -> None:
    """Install the hook for the rest of this process's life (audit hooks cannot be removed).

    ``readable``: directories the sandbox exposes read-only besides the Python installation.
    """
    _sever()
    root = os.path.realpath(workdir)
    readable = _read_roots(workdir, readable)
    own_pid = os.getpid()
    realpath, fsdecode, isdir = os.path.realpath, os.fsdecode, os.path.isdir

    def resolve(path: object) -> str | None:
        """The real path ``path`` names, or ``None`` when it is not a path at all."""
        if not isinstance(path, str | bytes | os.PathLike):
            return None
        return realpath(fsdecode(path))

    def inside(path: object) -> bool:
        if isinstance(path, int):  # a file descriptor: checked when it was opened
            return True
        target = resolve(path)
        return target is not None and (target == root or target.startswith(root + os.sep) or target == os.devnull)

    def may_read(path: object) -> bool:
        if isinstance(path, int):
            return True
        target = resolve("." if path is None else path)
        return target is not None and _within(target, readable)

    def guard(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode = args[0], args[1]
            flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            writing = any(flag in mode for flag in "wax+") if isinstance(mode, str) else bool(flags & _WRITE_FLAGS)
            # A directory outside could serve as dir_fd for a relative write the hook cannot resolve.
            if (writing or (mode is None and not isinstance(path, int) and isdir(fsdecode(path)))) and not inside(path):
                raise PermissionError(f"sandbox: writing outside the temp dir is not allowed ({path!r})")
            if not may_read(path):
                raise PermissionError(f"sandbox: reading outside the temp dir is not allowed ({path!r})")
            return
        if event in _LISTS_PATHS:
            if args and not may_read(args[0]):
                raise PermissionError(f"sandbox: reading outside the temp dir is not allowed ({args[0]!r})")
            return
        if event in _CHANGES_PATHS:
            for index in _CHANGES_PATHS[event]:
                if index < len(args) and not inside(args[index]):
                    raise PermissionError(
                        f"sandbox: changing files outside the temp dir is not allowed ({args[index]!r})"
                    )
            return
        if event == "import" and args and args[0] in _SEVERED:
            raise PermissionError(f"sandbox: importing {args[0]} is not allowed")
        if event in ("os.kill", "os.killpg"):
            if args and args[0] not in (0, own_pid):
                raise PermissionError("sandbox: signalling other processes is not allowed")
            return
        if event.startswith("ctypes."):
            raise PermissionError("sandbox: ctypes is not allowed")
        if event in _BLOCKED:
            raise PermissionError(f"sandbox: {_BLOCKED[event]} is not allowed")
        if event in _NETWORK and not allow_network:
            raise PermissionError("sandbox: network access is not allowed")

    sys.addaudithook(guard)
