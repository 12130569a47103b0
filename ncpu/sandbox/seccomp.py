"""The seccomp filter every candidate runs under, built with libseccomp (``pyseccomp``) once per worker.

The worker compiles the filter to a BPF program at start-up; each forked candidate installs that program
with two ``prctl`` calls (``no_new_privs``, then the filter), so no rule is evaluated in Python per run.
The filter allows by default and refuses what no pure function needs and what would reach outside the
sandbox: other processes (``ptrace``, ``process_vm_*``, ``pidfd_*``, ``kcmp``, ``prlimit``/scheduling/
priority calls on another pid, ``kill`` of a process group or of everyone, queued signals), new processes and programs (``fork``, ``execve``, ``clone`` without
``CLONE_THREAD``), namespaces and mounts (``unshare``, ``setns``, ``mount``, ``pivot_root``...), the kernel's
sharper tools (``bpf``, ``perf_event_open``, ``keyctl``, ``userfaultfd``, ``io_uring``, modules, kexec...),
and sockets other than ``AF_UNIX``/``AF_INET``/``AF_INET6`` or raw ones. Syscalls of another ABI (i386,
x32) kill the process (libseccomp's default for a foreign architecture).
"""

from __future__ import annotations

import ctypes
import errno
import os

from ncpu.sandbox.namespaces import libc

__all__ = ["Filter", "compile_filter"]

_PR_SET_SECCOMP = 22
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_MODE_FILTER = 2

DENIED = (
    # other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp",
    "pidfd_open", "pidfd_getfd", "pidfd_send_signal", "migrate_pages", "move_pages",
    "rt_sigqueueinfo", "rt_tgsigqueueinfo",
    # new programs and processes (threads stay allowed: see _clone_rules)
    "execve", "execveat", "fork", "vfork",
    # namespaces, mounts, the root
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "open_by_handle_at", "name_to_handle_at",
    # the kernel itself
    "bpf", "perf_event_open", "keyctl", "add_key", "request_key", "userfaultfd", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff",
    "acct", "quotactl", "quotactl_fd", "syslog", "lookup_dcookie", "uselib", "vhangup", "iopl", "ioperm",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "fanotify_init", "personality",
    # System V and POSIX IPC objects outlive their creator: one candidate would leave them to the next
    "shmget", "shmat", "shmctl", "semget", "semop", "semtimedop", "semctl", "msgget", "msgsnd", "msgrcv",
    "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
)  # fmt: skip
"""Refused with ``EPERM`` whatever their arguments."""

ONLY_SELF = {  # syscall -> index of its pid argument; allowed when it is 0 (the caller itself)
    "prlimit64": 0,
    "sched_setscheduler": 0,
    "sched_setparam": 0,
    "sched_setaffinity": 0,
    "sched_setattr": 0,
    "setpriority": 1,
}
_CLONE_THREAD = 0x00010000
_CLONE_NAMESPACES = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)
_ALLOWED_FAMILIES = (1, 2, 10)  # AF_UNIX, AF_INET, AF_INET6
_SOCK_TYPE_MASK = 0xF
_RAW_TYPES = (3, 10)  # SOCK_RAW, SOCK_PACKET


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class Filter:
    """A compiled filter, ready to install in a freshly forked candidate (``install``).

    Everything ``install`` needs (the C library, the ``sock_fprog``) is made here, in the worker: a
    candidate only makes two ``prctl`` calls.
    """

    def __init__(self, program: bytes) -> None:
        self.program = program
        self._libc = libc()
        self._buffer = ctypes.create_string_buffer(program, len(program))
        self._fprog = _SockFprog(len(program) // 8, ctypes.cast(self._buffer, ctypes.c_void_p))

    def install(self) -> None:
        """Set ``no_new_privs`` and install the filter for this process; raises ``OSError`` on failure."""
        if self._libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if self._libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(self._fprog), 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")


def compile_filter() -> tuple[Filter | None, str]:
    """The candidates' filter, or ``None`` and why it cannot be built here (no libseccomp, not Linux)."""
    try:
        import pyseccomp as sc
    except (ImportError, OSError, RuntimeError) as exc:  # the package, or the libseccomp2 library, is missing
        return None, f"libseccomp is not available ({type(exc).__name__}: {exc})"
    try:
        refuse = sc.ERRNO(errno.EPERM)
        rules = sc.SyscallFilter(sc.ALLOW)
        for name in DENIED:
            _add(rules, refuse, name)
        for name, index in ONLY_SELF.items():
            _add(rules, refuse, name, sc.Arg(index, sc.NE, 0))
        # kill(-1) and kill(-pgid): every process the candidate may signal (without a PID namespace, all
        # of the user's). A pid_t is 32 bits: its sign bit, whatever the register's upper half holds.
        _add(rules, refuse, "kill", sc.Arg(0, sc.MASKED_EQ, 0x80000000, 0x80000000))
        # fork() is clone() without CLONE_THREAD; a thread must not bring a namespace with it either.
        _add(rules, refuse, "clone", sc.Arg(0, sc.MASKED_EQ, _CLONE_THREAD, 0))
        for flag in _CLONE_NAMESPACES:
            _add(rules, refuse, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
        # clone3 passes its flags in memory, where a filter cannot look: ENOSYS makes libc fall back to clone.
        _add(rules, sc.ERRNO(errno.ENOSYS), "clone3")
        for family in range(max(_ALLOWED_FAMILIES)):
            if family not in _ALLOWED_FAMILIES:
                _add(rules, sc.ERRNO(errno.EAFNOSUPPORT), "socket", sc.Arg(0, sc.EQ, family))
        _add(rules, sc.ERRNO(errno.EAFNOSUPPORT), "socket", sc.Arg(0, sc.GT, max(_ALLOWED_FAMILIES)))
        for kind in _RAW_TYPES:
            _add(rules, refuse, "socket", sc.Arg(1, sc.MASKED_EQ, _SOCK_TYPE_MASK, kind))
        with os.fdopen(os.memfd_create("ncpu-seccomp"), "w+b") as sink:
            rules.export_bpf(sink)
            sink.seek(0)
            program = sink.read()
    except (OSError, RuntimeError, ValueError) as exc:
        return None, f"the seccomp filter could not be built ({exc})"
    if not program or len(program) % 8:
        return None, "the seccomp filter could not be built (empty program)"
    return Filter(program), ""


def _add(rules: object, action: int, name: str, *args: object) -> None:
    try:
        rules.add_rule(action, name, *args)  # type: ignore[attr-defined]
    except (OSError, RuntimeError, ValueError):
        if name in ("execve", "ptrace", "clone", "mount", "unshare", "setns"):
            raise  # a filter without these would give a false sense of safety
        # else: a syscall this libseccomp or architecture does not know; nothing can call it by name
