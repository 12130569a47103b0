"""Escapes: the host's files, other processes, privileges, and getting around the audit hook.

Each attack runs against the sandbox without the audit hook (``bare``: the kernel alone) and as shipped.
A body returns its loot when it succeeds (so the loot would show in the verdict and fail ``contained``)
and otherwise fails with the kernel's (or the hook's, marked ``sandbox:``) reason.
"""

from __future__ import annotations

import os
import platform

import pytest

from extraction.check import Check
from ncpu.sandbox import Sandbox
from tests.security.conftest import World, attack, contained

GONE = ("No such file or directory", "sandbox:")
READ_ONLY = ("Read-only file system", "No such file or directory", "Permission denied", "sandbox:")
EPERM = ("(-1, 1)", "Operation not permitted", "sandbox:")
LIBC = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"


def _syscall(number: int, *args: str) -> str:
    """A raw system call through libc (what native code would do): returns ``(result, errno)``."""
    joined = ", ".join((str(number), *args))
    return LIBC + f"return (libc.syscall({joined}), ctypes.get_errno())"


FILES = [
    pytest.param("return open(W['id_rsa']).read()", GONE, id="read-fake-ssh-key"),
    pytest.param("return open(W['canary']).read()", GONE, id="read-canary"),
    pytest.param("return open(W['tmp_canary']).read()", GONE, id="read-canary-under-tmp"),
    pytest.param("return open('../' * 40 + W['id_rsa'].lstrip('/')).read()", GONE, id="relative-traversal"),
    pytest.param(
        "os.chdir('/tmp')\nos.makedirs('a/b/c/d')\nos.chdir('a/b/c/d')\n"
        "fd = os.open('.', os.O_RDONLY)\nreturn os.read(os.open('../../../../../..' + W['id_rsa'], os.O_RDONLY, dir_fd=fd), 99)",
        GONE,
        id="dir-fd-relative-open",
    ),
    pytest.param(
        "fd = os.open('/', os.O_RDONLY | os.O_DIRECTORY)\nreturn os.read(os.open(W['id_rsa'].lstrip('/'), os.O_RDONLY, dir_fd=fd), 99)",
        GONE,
        id="dir-fd-of-root",
    ),
    pytest.param("os.symlink(W['id_rsa'], 'key')\nreturn open('key').read()", GONE, id="symlink-to-key"),
    pytest.param(
        "import threading\nos.makedirs('d/x')\nstop = []\n"
        "def flip():\n    while not stop:\n        try:\n            os.rename('d', 'e'); os.symlink(W['home'], 'd'); os.unlink('d'); os.rename('e', 'd')\n"
        "        except OSError:\n            pass\n"
        "t = threading.Thread(target=flip); t.start()\nloot = []\n"
        "for _ in range(3000):\n    try:\n        loot.append(open('d/.ssh/id_rsa').read())\n        break\n    except OSError:\n        pass\n"
        "stop.append(1); t.join()\nreturn loot or open('d/.ssh/id_rsa').read()",
        GONE,
        id="rename-symlink-race",
    ),
    pytest.param("os.link(W['canary'], 'hard')\nreturn open('hard').read()", GONE, id="hard-link-out"),
    pytest.param("open(W['canary'], 'w').write('owned')", READ_ONLY, id="overwrite-canary"),
    pytest.param("os.remove(W['id_rsa'])", READ_ONLY, id="delete-ssh-key"),
    pytest.param("open(W['drop'] + '/planted.py', 'w').write('x')", READ_ONLY, id="plant-file-outside"),
    pytest.param(
        "import ncpu, pathlib\np = pathlib.Path(ncpu.__file__).parent / 'sitecustomize.py'\np.write_text('raise SystemExit')",
        READ_ONLY,
        id="write-into-worker-code",
    ),
    pytest.param(
        "import site\np = site.getsitepackages()[0] + '/zzz_ncpu_owned.pth'\nopen(p, 'w').write('import os')",
        READ_ONLY,
        id="write-into-site-packages",
    ),
    pytest.param("open(os.__file__, 'a').write('#')", READ_ONLY, id="poison-stdlib"),
    pytest.param("open('/etc/passwd', 'a').write('x')", READ_ONLY, id="append-etc-passwd"),
    pytest.param("return open('/etc/shadow').read()", GONE, id="read-etc-shadow"),
    pytest.param("return os.listdir(W['home'])", GONE, id="list-fake-home"),
    pytest.param("return os.listdir('/home') + os.listdir('/root/.ssh')", GONE, id="list-real-homes"),
    pytest.param("return open('/sys/kernel/notes', 'rb').read()", GONE, id="read-sys"),
    pytest.param("return os.listdir('/run') + os.listdir('/var')", GONE, id="list-run-var"),
    pytest.param(
        "os.mknod('disk', 0o600 | 0o60000, os.makedev(8, 0))\nreturn open('disk', 'rb').read(9)", EPERM, id="mknod"
    ),
    pytest.param("return open('/dev/sda', 'rb').read(9)", GONE, id="open-block-device"),
    pytest.param(
        "import json\nreturn [json.dumps(dict(os.environ)), open('/proc/self/environ').read()]",
        (),
        id="own-environment-has-no-secret",
    ),
]

PROCESSES = [
    pytest.param("return open(f\"/proc/{W['test_pid']}/environ\").read()", GONE, id="caller-environ"),
    pytest.param("return open(f\"/proc/{W['test_pid']}/mem\", 'rb').read(9)", GONE, id="caller-mem"),
    pytest.param("return os.listdir(f\"/proc/{W['test_pid']}/root\")", GONE, id="caller-root"),
    pytest.param("return open('/proc/1/environ').read()", ("Permission denied", "sandbox:"), id="zygote-environ"),
    pytest.param("return open('/proc/1/mem', 'rb').read(9)", ("Permission denied", "sandbox:"), id="zygote-mem"),
    pytest.param("return os.listdir('/proc/1/fd')", ("Permission denied", "sandbox:"), id="zygote-fds"),
    pytest.param("return os.listdir('/proc/1/root/')", ("Permission denied", "sandbox:"), id="zygote-root"),
    pytest.param("return sorted(p for p in os.listdir('/proc') if p.isdigit())", (), id="only-own-pids-visible"),
    pytest.param(
        "os.kill(1, 9)\nos.kill(-1, 9)\nreturn 'killed'",
        EPERM,
        id="kill-init-and-all",
    ),
    pytest.param(
        "import resource\nreturn resource.prlimit(1, resource.RLIMIT_NOFILE, (1, 1))", EPERM, id="prlimit-pid-1"
    ),
    pytest.param("return os.sched_setscheduler(1, os.SCHED_IDLE, os.sched_param(0))", EPERM, id="sched-pid-1"),
    pytest.param("return os.setpriority(os.PRIO_PROCESS, 1, 19)", EPERM, id="setpriority-pid-1"),
    pytest.param("return os.sched_setaffinity(1, {0})", EPERM, id="affinity-pid-1"),
    pytest.param(
        "import signal\nfd = os.pidfd_open(1)\nreturn signal.pidfd_send_signal(fd, 9)", EPERM, id="pidfd-pid-1"
    ),
    pytest.param(_syscall(101, "16", "1", "0", "0"), EPERM, id="ptrace-attach-1"),
    pytest.param(_syscall(310, "1", "0", "0", "0", "0", "0"), EPERM, id="process-vm-readv"),
    pytest.param(_syscall(312, "1", "1", "0", "0", "0"), EPERM, id="kcmp"),
    pytest.param("return os.fork()", EPERM, id="fork"),
    pytest.param("os.execv('/bin/sh', ['sh', '-c', 'cat ' + W['id_rsa']])", EPERM, id="exec-shell"),
    pytest.param(
        "import subprocess\nreturn subprocess.run(['nsenter', '--net=/proc/1/ns/net', 'true'])", EPERM, id="nsenter"
    ),
]

PRIVILEGES = [
    pytest.param(
        LIBC + "fd = os.open('/proc/1/ns/net', os.O_RDONLY)\nreturn (libc.setns(fd, 0), ctypes.get_errno())",
        (*EPERM, "Permission denied"),
        id="setns-zygote-net",
    ),
    pytest.param(_syscall(272, "0x10000000"), EPERM, id="unshare-user"),
    pytest.param(_syscall(272, "0x40000000"), EPERM, id="unshare-net"),
    pytest.param(
        LIBC + "return (libc.mount(b'none', b'/tmp', b'tmpfs', 0, None), ctypes.get_errno())", EPERM, id="mount-tmpfs"
    ),
    pytest.param(
        LIBC + "return (libc.mount(None, b'/', None, 0x20 | 0x1000, None), ctypes.get_errno())",
        EPERM,
        id="remount-root-rw",
    ),
    pytest.param(_syscall(155, "b'/tmp'", "b'/tmp'"), EPERM, id="pivot-root"),
    pytest.param("os.chroot('/tmp')\nreturn 'chrooted'", EPERM, id="chroot"),
    pytest.param("os.setuid(0)\nreturn open(W['id_rsa']).read()", EPERM + GONE + ("Invalid argument",), id="setuid-0"),
    pytest.param(
        "st = [l for l in open('/proc/self/status') if l.startswith(('Cap', 'NoNewPrivs', 'Seccomp:', 'Uid'))]\nreturn st",
        (),
        id="capabilities-are-none",
    ),
    pytest.param(_syscall(321, "0", "0", "0"), EPERM, id="bpf"),
    pytest.param(_syscall(298, "0", "0", "-1", "-1", "0"), EPERM, id="perf-event-open"),
    pytest.param(_syscall(250, "0", "0", "0", "0", "0"), EPERM, id="keyctl"),
    pytest.param(_syscall(323, "0"), EPERM, id="userfaultfd"),
    pytest.param(_syscall(425, "8", "0"), EPERM, id="io-uring-setup"),
    pytest.param(_syscall(304, "-100", "0", "0"), EPERM, id="open-by-handle-at"),
    pytest.param(_syscall(246, "0", "0", "0", "0"), EPERM, id="kexec-load"),
    pytest.param(_syscall(175, "0", "0", "b''"), EPERM, id="init-module"),
    pytest.param(_syscall(29, "0", "4096", "0o1666"), EPERM, id="sysv-shm-outlives-candidate"),
    pytest.param(_syscall(435, "0", "0"), ("(-1, 38)", "sandbox:"), id="clone3-hides-flags"),
    pytest.param(_syscall(56, "0x10000000 | 17", "0", "0", "0", "0"), EPERM, id="clone-new-user"),
    pytest.param(
        "import ctypes, mmap\n# i386 ptrace(PTRACE_ATTACH, 1) through int 0x80, from machine code it wrote itself\n"
        "code = bytes([0xB8, 26, 0, 0, 0, 0xBB, 16, 0, 0, 0, 0xB9, 1, 0, 0, 0, 0xCD, 0x80, 0xC3])\n"
        "buf = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\n"
        "buf.write(code)\nreturn ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(buf)))()",
        ("seccomp", "sandbox:"),
        id="i386-int80-from-machine-code",
    ),
    pytest.param(
        _syscall(0x40000000 | 101, "16", "1", "0", "0"),
        ("signal 31", "SIGSYS", "seccomp", "sandbox:"),
        id="x32-abi-ptrace",
    ),
]

X86_64 = pytest.mark.skipif(platform.machine() != "x86_64", reason="raw syscall numbers are x86_64's")


@pytest.mark.parametrize(("body", "reasons"), FILES)
def test_host_files_are_out_of_reach(box: Sandbox, world: World, body: str, reasons: tuple[str, ...]) -> None:
    contained(box, world, attack(body, world), reasons=reasons)


@X86_64
@pytest.mark.parametrize(("body", "reasons"), PROCESSES)
def test_other_processes_are_out_of_reach(box: Sandbox, world: World, body: str, reasons: tuple[str, ...]) -> None:
    contained(box, world, attack(body, world), reasons=reasons)


@X86_64
@pytest.mark.parametrize(("body", "reasons"), PRIVILEGES)
def test_no_privileges_anywhere(box: Sandbox, world: World, body: str, reasons: tuple[str, ...]) -> None:
    contained(box, world, attack(body, world), reasons=reasons)


def test_what_a_candidate_sees_of_itself(bare: Sandbox, world: World) -> None:
    """The facts behind the attacks above, read from inside (fails loudly if the boundary is not there)."""
    body = (
        "st = {l.split(':')[0]: l.split(':')[1].strip() for l in open('/proc/self/status')}\n"
        "return [st['CapEff'], st['CapBnd'], st['NoNewPrivs'], st['Seccomp'], st['Uid'].split()[0], "
        "sorted(os.listdir('/')), sorted(p for p in os.listdir('/proc') if p.isdigit()), os.getcwd(), "
        "os.environ.get(W['secret_name'])]"
    )
    verdict = bare.verify(attack(body, world), [Check("doctest", "f(0)", "0")])
    seen = verdict.results[0].actual or ""
    assert seen.startswith("['0000000000000000', '0000000000000000', '1', '2', '1000', "), seen
    assert "'home'" not in seen and "'var'" not in seen and "'run'" not in seen, seen
    assert seen.endswith("'/tmp', None]"), seen
    pids = seen.split("], [")[1].split("]")[0]
    assert pids.startswith("'1', ") and pids.count(",") == 1, pids  # the zygote (init) and itself only


@pytest.mark.parametrize("hook", [False, True])
def test_readonly_paths_are_there_read_only_and_nothing_else(
    world: World, monkeypatch: pytest.MonkeyPatch, hook: bool
) -> None:
    """``Sandbox(readonly_paths=...)`` (a project's import roots, later): visible at the same place, not writable."""
    if not hook:
        monkeypatch.setenv("NCPU_SANDBOX_TEST_NO_HOOK", "1")
    shared = world.root / "shared"
    shared.mkdir(exist_ok=True)
    (shared / "data.txt").write_text("visible")
    os.chmod(shared, 0o755)
    os.chmod(shared / "data.txt", 0o644)
    body = (
        "seen = open(W['shared'] + '/data.txt').read()\n"
        "try:\n    open(W['shared'] + '/new.txt', 'w')\n    wrote = 'wrote'\nexcept OSError as exc:\n"
        "    wrote = exc.strerror or str(exc)[:8]\n"
        "try:\n    open(W['canary'])\n    other = 'other'\nexcept OSError as exc:\n    other = exc.strerror or str(exc)[:8]\n"
        "return [seen, wrote, other]"
    )
    program = attack(body, world).replace("W = {", f"W = {{'shared': {str(shared)!r}, ", 1)
    with Sandbox(readonly_paths=[str(shared)]) as box:
        if box.isolation_details.mode != "kernel":
            pytest.skip(box.isolation)
        verdict = box.verify(program, [Check("doctest", "f(0)", "0")])
    expected = "['visible', 'sandbox:', 'sandbox:']" if hook else None
    expected = expected or "['visible', 'Read-only file system', 'No such file or directory']"
    assert verdict.results[0].actual == expected, verdict
    assert sorted(p.name for p in shared.iterdir()) == ["data.txt"]
    world.assert_untouched()
