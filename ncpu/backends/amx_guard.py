"""Turn off llama.cpp's AMX kernels in this process, and only them, by refusing the kernel's AMX permission.

On Intel CPUs with AMX, llama.cpp (built with native CPU features) repacks Q4_K/Q6_K weights into its AMX
buffer type and crashes in ``ggml_backend_amx_mul_mat`` (ggml-org/llama.cpp#20824). llama.cpp only creates
that buffer type after Linux granted the process AMX tile state with ``arch_prctl(ARCH_REQ_XCOMP_PERM,
XFEATURE_XTILEDATA)``; when the call fails it prints "AMX is not ready to be used!" and goes on without
AMX, keeping its other CPU repacking (AVX2 / AVX-512 interleaved Q4_K, Q6_K), which
``use_extra_bufts = false`` would drop too.

So the model host process installs a seccomp filter that makes exactly that call fail with ``EPERM``
before llama.cpp loads. It is no security boundary (the candidates' sandbox is elsewhere), just the
narrowest switch the kernel offers: four comparisons, every other system call allowed. A filter cannot be
removed, which is why only the model host, a process of its own, ever installs it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import sys

_SYS_ARCH_PRCTL = 158
_SYS_SECCOMP = 317
_ARCH_REQ_XCOMP_PERM = 0x1023
_XFEATURE_XTILEDATA = 18
_AUDIT_ARCH_X86_64 = 0xC000003E
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_EPERM = 1

# Classic BPF opcodes (linux/filter.h).
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_RET_K = 0x06
# Offsets in struct seccomp_data: nr (int), arch (u32), instruction_pointer (u64), args[6] (u64).
_NR, _ARCH, _ARG0 = 0, 4, 16


class _SockFilter(ctypes.Structure):
    _fields_ = (("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint))


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter)))


def _program() -> list[tuple[int, int, int, int]]:
    """Arch == x86_64 and nr == arch_prctl and (u32) arg0 == ARCH_REQ_XCOMP_PERM → EPERM; else allow."""
    return [
        (_LD_W_ABS, 0, 0, _ARCH),
        (_JEQ_K, 0, 5, _AUDIT_ARCH_X86_64),
        (_LD_W_ABS, 0, 0, _NR),
        (_JEQ_K, 0, 3, _SYS_ARCH_PRCTL),
        (_LD_W_ABS, 0, 0, _ARG0),
        (_JEQ_K, 0, 1, _ARCH_REQ_XCOMP_PERM),
        (_RET_K, 0, 0, _SECCOMP_RET_ERRNO | _EPERM),
        (_RET_K, 0, 0, _SECCOMP_RET_ALLOW),
    ]


_refused = False


def refused() -> bool:
    """Whether ``refuse_amx`` succeeded in this process."""
    return _refused


def supported() -> bool:
    """Whether this process can refuse AMX this way (Linux on x86-64)."""
    return sys.platform == "linux" and platform.machine() in ("x86_64", "AMD64")


def refuse_amx() -> str | None:
    """Install the filter in this process (all its threads); ``None`` on success, else why it could not."""
    if not supported():
        return "not Linux on x86-64"
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError as exc:
        return f"libc not found: {exc}"
    instructions = _program()
    array = (_SockFilter * len(instructions))(*(_SockFilter(*ins) for ins in instructions))
    program = _SockFprog(len(instructions), array)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return f"prctl(NO_NEW_PRIVS): {os.strerror(ctypes.get_errno())}"
    result = libc.syscall(_SYS_SECCOMP, _SECCOMP_SET_MODE_FILTER, _SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(program))
    if result != 0:
        return f"seccomp: {os.strerror(ctypes.get_errno()) if result < 0 else f'thread {result} could not sync'}"
    global _refused
    _refused = True
    return None


def amx_permitted() -> bool:
    """Ask the kernel for AMX tile state as llama.cpp does; ``False`` once ``refuse_amx`` ran (or no AMX)."""
    if not supported():
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return int(libc.syscall(_SYS_ARCH_PRCTL, _ARCH_REQ_XCOMP_PERM, _XFEATURE_XTILEDATA)) == 0
