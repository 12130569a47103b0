"""Linux primitives for the sandbox's zygote and candidates: namespaces, mounts, capabilities.

Thin ``ctypes`` wrappers (Python 3.11 has no ``os.unshare``) and the one filesystem layout every
candidate sees (``build_root``): a read-only tmpfs holding read-only bind mounts of the Python
installation and the system libraries, a few ``/dev`` nodes, a ``/proc`` of the sandbox's own PID
namespace, and an empty ``/tmp`` on which each candidate mounts its own tmpfs (``private_tmp``).
Nothing else of the host exists there: not ``/root``, ``/home``, the project, ``/etc``, ``/run``, ``/sys``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
from collections.abc import Iterable, Sequence

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
_MNT_DETACH = 2
_KEPT_FLAGS = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x400 | 0x800 | 0x1000
"""statvfs flags a remount inside a user namespace must keep (ST_* share the MS_* bit values)."""

_SYS_PIVOT_ROOT = 155  # x86_64 and the generic table differ; see _pivot_root
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_GET_SECCOMP = 21
_PR_CAPBSET_READ = 23
_PR_CAPBSET_DROP = 24
_PR_GET_NO_NEW_PRIVS = 39
_PR_SET_SECUREBITS = 28
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_SECUREBITS_LOCKED = 0xEF  # NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off, NO_CAP_AMBIENT_RAISE: each locked
_CAPABILITY_VERSION_3 = 0x20080522

INSIDE_ID = 1000
"""The uid and gid every sandboxed process has inside its user namespace (never 0)."""
OUTSIDE_ROOT_ID = 65534
"""What ``INSIDE_ID`` maps to outside when the worker is root: ``nobody``, owning nothing of the host's."""
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc/ld.so.cache", "/etc/localtime")
DEVICES = ("null", "zero", "full", "random", "urandom")

_LIBC: list[ctypes.CDLL] = []


def libc() -> ctypes.CDLL:
    """The C library, loaded once (before any fork, so candidates do not load it again)."""
    if not _LIBC:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        lib.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
        lib.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
        lib.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        _LIBC.append(lib)
    return _LIBC[0]


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def unshare(flags: int) -> None:
    """``unshare(2)``; raises ``OSError`` with the kernel's errno."""
    _check(libc().unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    """``mount(2)``."""
    encoded = [None if s is None else os.fsencode(s) for s in (source, target, fstype, data)]
    _check(libc().mount(encoded[0], encoded[1], encoded[2], flags, encoded[3]), f"mount {target}")


def prctl(option: int, arg: int = 0) -> None:
    """``prctl(2)`` with one argument."""
    _check(libc().prctl(option, arg, 0, 0, 0), f"prctl {option}")


def die_with_parent() -> None:
    """SIGKILL this process when its parent dies (cleared by a credentials change: call it after).

    Linux only; elsewhere (no ``prctl``) nothing happens.
    """
    with contextlib.suppress(AttributeError, OSError):
        prctl(_PR_SET_PDEATHSIG, 9)


def not_dumpable() -> None:
    """No core dumps, and no ``/proc/<pid>/mem``, ``environ`` or ``fd`` for anyone without privileges here."""
    prctl(_PR_SET_DUMPABLE, 0)


def map_ids(pid: int, privileged: bool) -> None:
    """Map ``INSIDE_ID`` of ``pid``'s new user namespace: to ``nobody`` as root, else to our own ids."""
    uid, gid = (OUTSIDE_ROOT_ID, OUTSIDE_ROOT_ID) if privileged else (os.geteuid(), os.getegid())
    if not privileged:  # an unprivileged writer must give up setgroups before it may write a gid map
        _write(f"/proc/{pid}/setgroups", "deny")
    _write(f"/proc/{pid}/uid_map", f"{INSIDE_ID} {uid} 1\n")
    _write(f"/proc/{pid}/gid_map", f"{INSIDE_ID} {gid} 1\n")


def become_inside_id(privileged: bool) -> None:
    """Take the mapped ids (as root that changes the kernel's uid from 0 to ``nobody``); no other groups."""
    if privileged:
        os.setgroups([])
    os.setresgid(INSIDE_ID, INSIDE_ID, INSIDE_ID)
    os.setresuid(INSIDE_ID, INSIDE_ID, INSIDE_ID)


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _pivot_root(new_root: str, put_old: str) -> None:
    number = _SYS_PIVOT_ROOT if os.uname().machine == "x86_64" else 41  # 41: the generic (arm64...) table
    _check(libc().syscall(number, os.fsencode(new_root), os.fsencode(put_old)), "pivot_root")


def _covered(path: str, bound: Iterable[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in bound)


def plan_mounts(paths: Iterable[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Resolve, on the host, what to bind (real paths, outermost only) and which symlinks to recreate."""
    binds: list[str] = []
    links: list[tuple[str, str]] = []
    for path in sorted({os.path.normpath(p) for p in paths if os.path.isabs(p) and p != "/"}, key=len):
        real = os.path.realpath(path)
        if not os.path.exists(real) or real == "/":
            continue
        current = ""
        for part in path.strip("/").split("/"):  # the first symlinked component (/bin -> usr/bin)
            current += "/" + part
            if os.path.islink(current):
                links.append((current, os.readlink(current)))
                break
        if not _covered(real, binds):
            binds.append(real)
    binds.sort(key=len)
    return [b for i, b in enumerate(binds) if not _covered(b, binds[:i])], links


def _bind_readonly(source: str, target: str) -> None:
    try:
        mount(source, target, None, MS_BIND)
    except OSError:  # locked mounts below it (EINVAL): they must come along
        mount(source, target, None, MS_BIND | MS_REC)
    kept = os.statvfs(target).f_flag & _KEPT_FLAGS
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | kept)


def open_sources(binds: Sequence[str]) -> list[tuple[str, int]]:
    """``O_PATH`` fds of the bind sources, opened while we still have the worker's access to the host.

    Inside the user namespace (as ``nobody`` when the worker is root) a path such as ``/root/.pyenv``
    could not even be looked up; a bind from ``/proc/self/fd/N`` needs no lookup.
    """
    opened = []
    for path in binds:
        try:
            opened.append((path, os.open(path, os.O_PATH | os.O_CLOEXEC)))
        except OSError:
            continue
    return opened


def build_root(sources: Sequence[tuple[str, int]], links: Sequence[tuple[str, str]]) -> bool:
    """Replace this mount namespace's root; return whether a fresh ``/proc`` could be mounted.

    Call as init of a new PID namespace, with ``CAP_SYS_ADMIN`` in the user namespace owning the new
    mount namespace. ``sources``: host paths to expose read-only at the same place, with their
    ``open_sources`` fds (closed here); ``links``: symlinks to recreate (``plan_mounts``).
    """
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    base = "/tmp"  # any directory works as a mount point; the host's /tmp is untouched (private mounts)
    mount("ncpu-root", base, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=4m,nr_inodes=4096")
    bound = [path for path, _ in sources]
    for path, fd in sources:
        target = base + path
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o644))
        _bind_readonly(f"/proc/self/fd/{fd}", target)
        os.close(fd)
    for link, text in links:
        if not os.path.lexists(base + link) and not _covered(link, bound):
            os.makedirs(os.path.dirname(base + link), exist_ok=True)
            os.symlink(text, base + link)
    dev = base + "/dev"
    os.makedirs(dev, exist_ok=True)
    mount("ncpu-dev", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k,nr_inodes=64")
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            os.close(os.open(f"{dev}/{name}", os.O_WRONLY | os.O_CREAT, 0o666))
            mount(f"/dev/{name}", f"{dev}/{name}", None, MS_BIND)
    for index, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink(f"/proc/self/fd/{index}", f"{dev}/{name}")
    os.symlink("/proc/self/fd", f"{dev}/fd")
    mount(None, dev, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC)
    os.makedirs(base + "/tmp", exist_ok=True)  # a read-only path under /tmp made it already
    os.mkdir(base + "/proc")
    os.mkdir(base + "/.old")
    _pivot_root(base, base + "/.old")
    os.chdir("/")
    has_proc = True
    try:  # after the pivot: the kernel checks a new /proc against what this namespace already shows
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY)
    except OSError:  # a host whose /proc is partly hidden (some containers) forbids a new one
        has_proc = False
    mount(None, "/.old", None, MS_REC | MS_PRIVATE)
    _check(libc().umount2(b"/.old", _MNT_DETACH), "umount the host root")
    os.rmdir("/.old")
    mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    return has_proc


def private_tmp(size_mb: int, keep: Sequence[str] = ()) -> None:
    """In a candidate: a mount namespace of its own with a fresh tmpfs on ``/tmp`` (gone when it exits).

    ``keep``: read-only paths under ``/tmp`` (a project checked out there) that stay visible on top of it.
    """
    unshare(CLONE_NEWNS)
    kept = []
    for path in keep:
        with contextlib.suppress(OSError):
            kept.append((path, os.open(path, os.O_PATH | os.O_CLOEXEC)))
    mount("ncpu-tmp", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=0700,size={size_mb}m,nr_inodes=16384")
    for path, fd in kept:
        try:
            os.makedirs(path, exist_ok=True)
            _bind_readonly(f"/proc/self/fd/{fd}", path)
        finally:
            os.close(fd)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def last_capability() -> int:
    """The highest capability number this kernel knows."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as handle:
            return int(handle.read())
    except (OSError, ValueError):
        return 63


def drop_capabilities(last_cap: int) -> None:
    """Give up every capability for good: bounding set, ambient set, securebits, then all three sets."""
    lib = libc()
    _check(lib.prctl(_PR_SET_SECUREBITS, _SECUREBITS_LOCKED, 0, 0, 0), "securebits")
    for cap in range(last_cap + 1):
        _check(lib.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0), "drop a bounding capability")
    _check(lib.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient capabilities")
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(lib.capset(ctypes.byref(header), data), "capset")


def self_report() -> dict[str, int]:
    """The confinement of the calling process as the kernel sees it: seccomp mode, no_new_privs, capabilities held."""
    lib = libc()
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    held = 0
    if lib.capget(ctypes.byref(header), data) == 0:
        held = sum(bin(d.effective | d.permitted | d.inheritable).count("1") for d in data)
    else:
        held = -1
    held += sum(1 for cap in range(last_capability() + 1) if lib.prctl(_PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
    return {
        "seccomp": lib.prctl(_PR_GET_SECCOMP, 0, 0, 0, 0),
        "no_new_privs": lib.prctl(_PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0),
        "capabilities": held,
    }
