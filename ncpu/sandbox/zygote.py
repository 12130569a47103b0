"""The zygote: a clean process, forked by the worker before its first request, that forks every candidate.

The worker judges; the zygote only forks. It never reads a request, a program or an expected value: the
worker hands it the three pipe ends of the next candidate (``SCM_RIGHTS`` over a ``SOCK_SEQPACKET``
socket) and the zygote forks a child that owns them. So nothing a candidate can find in its own memory
(a copy of the zygote's) came from another request.

Where the kernel allows it, the zygote lives in new user, mount, PID, network, IPC, UTS and cgroup
namespaces (``Zygote.start``): it is init of the PID namespace (it kills everything left in it after each
candidate), its mount namespace has only the read-only root of ``namespaces.build_root``, and its uid
maps to an unprivileged one outside. Its messages to the worker are ``ready`` (once, with what it got)
and one ``exit`` per candidate.

Messages, worker to zygote: ``spawn`` with 3 fds (request read end, result write end, output write
end); ``kill`` (SIGKILL the current candidate and everything else left). Zygote to worker: ``ready``
once, then ``exit <number> <status>`` for the n-th spawned candidate whenever it has exited.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import tempfile
import time
from dataclasses import dataclass
from typing import Any, NoReturn

from ncpu.sandbox import child, namespaces
from ncpu.sandbox.cleanup import remove_tree
from ncpu.sandbox.seccomp import Filter

_MESSAGE = 4096
_POLL_SECONDS = 0.005
_READY_SECONDS = 20.0


@dataclass(frozen=True)
class Plan:
    """What the zygote is asked to set up (decided by the worker, before any request)."""

    allow_network: bool
    binds: tuple[str, ...]
    """Host paths (real, outermost) candidates see read-only at the same place (``namespaces.plan_mounts``)."""
    links: tuple[tuple[str, str], ...]
    readable: tuple[str, ...]
    """The extra read-only paths the caller asked for (the audit hook must let candidates read them)."""
    tmp_mb: int
    host_tmp: str
    """Where candidates' temp dirs go when there is no mount namespace (a dir the caller removes)."""
    filter: Filter | None
    refuse: frozenset[str] = frozenset()
    """Tests only: mechanisms to act as if the kernel refused them (``user_ns``, ``seccomp``, ``filter``)."""
    hook: bool = True
    """Install the audit hook in candidates (off only in tests that prove the kernel holds alone)."""


class Zygote:
    """The worker's handle on its zygote."""

    def __init__(self, sock: socket.socket, pid: int, ready: dict[str, Any]) -> None:
        self.sock = sock
        self.pid = pid
        self.ready = ready
        self.spawned = 0
        """Candidates asked for so far; each one's exit comes back with its number."""

    @classmethod
    def start(cls, plan: Plan) -> Zygote:
        """Fork the zygote, map its user namespace when it made one, and wait for it to be ready."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            ours.close()
            _run(theirs, plan)
        theirs.close()
        ours.settimeout(_READY_SECONDS)
        try:
            message = ours.recv(_MESSAGE)
            if message == b"unshared":
                try:
                    namespaces.map_ids(pid, privileged=os.geteuid() == 0)
                    ours.send(b"mapped")
                except OSError as exc:
                    ours.send(f"unmapped {exc.errno}".encode())
                message = ours.recv(_MESSAGE)
            if not message.startswith(b"ready "):
                raise OSError(f"the zygote did not start ({message[:200]!r})")
            ready = json.loads(message[6:])
        except (OSError, ValueError):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            ours.close()
            raise
        ours.settimeout(None)
        return cls(ours, pid, ready)

    def fileno(self) -> int:
        """Readable when an ``exit`` message is waiting."""
        return self.sock.fileno()

    def spawn(self, fds: tuple[int, int, int]) -> int:
        """Ask for the next candidate, which will own ``fds`` (the worker closes its copies after); its number."""
        socket.send_fds(self.sock, [b"spawn"], list(fds))
        self.spawned += 1
        return self.spawned

    def kill(self) -> None:
        """SIGKILL the current candidate and whatever it left; its ``exit`` comes as usual."""
        self.sock.send(b"kill")

    def take_exit(self, number: int) -> int | None:
        """Read one waiting message: candidate ``number``'s wait status, or ``None`` for an earlier one's.

        Raises ``OSError`` for anything else (the zygote is not speaking the protocol any more).
        """
        message = self.sock.recv(_MESSAGE)
        parts = message.split()
        if len(parts) != 3 or parts[0] != b"exit" or not parts[1].isdigit():
            raise OSError(f"unexpected message from the zygote: {message[:100]!r}")
        if int(parts[1]) != number:
            return None
        return int(parts[2])

    def wait_exit(self, number: int, timeout: float) -> int | None:
        """Candidate ``number``'s wait status, or ``None`` when it does not come within ``timeout``."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.sock], [], [], remaining)
            if ready and (status := self.take_exit(number)) is not None:
                return status
        return None

    def close(self) -> None:
        """Stop the zygote (its PID namespace, with every candidate, dies with it) and reap it."""
        with contextlib.suppress(OSError):
            self.sock.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _send_ready(sock: socket.socket, **facts: Any) -> None:
    sock.send(b"ready " + json.dumps(facts).encode())


def _run(sock: socket.socket, plan: Plan) -> NoReturn:
    """Body of the forked zygote: isolate, then serve spawns until the worker goes away."""
    try:
        namespaces.die_with_parent()
        privileged = os.geteuid() == 0  # before unshare: inside a new user namespace we are nobody at first
        flags = namespaces.CLONE_NEWUSER | namespaces.CLONE_NEWNS | namespaces.CLONE_NEWPID
        flags |= namespaces.CLONE_NEWIPC | namespaces.CLONE_NEWUTS | namespaces.CLONE_NEWCGROUP
        if not plan.allow_network:
            flags |= namespaces.CLONE_NEWNET
        try:
            if "user_ns" in plan.refuse:
                raise OSError(1, "refused for a test")
            namespaces.unshare(flags)
        except OSError as exc:
            _send_ready(sock, namespaces=False, reason=f"the OS refused a user namespace ({exc.strerror})")
            _serve(sock, plan, in_namespaces=False)
        sock.send(b"unshared")
        if sock.recv(_MESSAGE) != b"mapped":
            _send_ready(sock, namespaces=False, failed="the user namespace's ids could not be mapped")
            os._exit(1)
        sources = namespaces.open_sources(plan.binds)  # while we still have the worker's access
        namespaces.become_inside_id(privileged)
        namespaces.die_with_parent()  # cleared by the credentials change
        init = os.fork()  # the first child of a new PID namespace is its init
        if init:
            sock.close()
            os._exit(_exit_code(os.waitpid(init, 0)[1]))
        namespaces.die_with_parent()
        namespaces.not_dumpable()
        has_proc = namespaces.build_root(sources, plan.links)
        with contextlib.suppress(OSError):
            socket.sethostname("ncpu-sandbox")
        _send_ready(sock, namespaces=True, proc=has_proc, network=plan.allow_network)
        _serve(sock, plan, in_namespaces=True)
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            _send_ready(sock, namespaces=False, failed=f"{type(exc).__name__}: {exc}")
        os._exit(1)


def _exit_code(status: int) -> int:
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


def _pidfd(pid: int) -> int:
    """A pidfd for ``pid`` (readable when it exits), or -1 where the kernel has none (Linux < 5.3)."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return -1


_CATCHABLE = tuple(
    number
    for number in signal.valid_signals()
    if number not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD, signal.SIGPIPE) and number < signal.SIGRTMIN
)
"""Signals the zygote ignores (SIGCHLD keeps its meaning for waitpid; SIGPIPE is ignored by Python already)."""


def _serve(sock: socket.socket, plan: Plan, in_namespaces: bool) -> NoReturn:
    """Fork a candidate per ``spawn``; SIGKILL on ``kill``; report each exit (``exit <number> <status>``).

    A killed candidate is not waited for: its namespace's teardown overlaps the next fork, and its exit
    is reported whenever it comes (the worker discards exits of candidates it no longer watches).
    """
    last_cap = namespaces.last_capability()
    live: dict[int, tuple[int, int, str | None]] = {}  # pid -> (spawn number, pidfd, host temp dir)
    spawned = 0
    # Init ignores signals it has no handler for, but Python installed one for SIGINT: a candidate could
    # deliver it (``F_SETOWN``/``F_SETSIG`` on a pipe, no kill() needed) and end the zygote. None can now.
    for number in _CATCHABLE:
        with contextlib.suppress(OSError, ValueError):
            signal.signal(number, signal.SIG_IGN)

    def kill() -> None:
        if in_namespaces:  # init of our own PID namespace: everything else in it, escaped or not
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)
            return
        for pid in live:  # each candidate called setsid: its group, then itself
            for send in (os.killpg, os.kill):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    send(pid, signal.SIGKILL)

    def reap() -> None:
        with contextlib.suppress(ChildProcessError):
            while True:
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    return
                entry = live.pop(pid, None)
                if entry is None:  # an orphan reparented to us, init
                    continue
                number, pidfd, workdir = entry
                if pidfd >= 0:
                    os.close(pidfd)
                if workdir is not None:
                    remove_tree(workdir)
                sock.send(f"exit {number} {status}".encode())

    while True:
        pidfds = [entry[1] for entry in live.values() if entry[1] >= 0]
        polling = len(pidfds) < len(live)  # a kernel without pidfd_open: look for exits every 5 ms
        ready, _, _ = select.select([sock.fileno(), *pidfds], [], [], _POLL_SECONDS if polling else None)
        if polling or any(fd in ready for fd in pidfds):
            reap()
        if sock.fileno() not in ready:
            continue
        message, fds, _, _ = socket.recv_fds(sock, _MESSAGE, 3)
        if not message:  # the worker went away: so do we, and with init every candidate
            kill()
            os._exit(0)
        if message == b"kill":
            kill()
            continue
        if message != b"spawn":
            for fd in fds:
                os.close(fd)
            continue
        spawned += 1
        kill()  # nothing but the next candidate may run from here on
        workdir = None if in_namespaces else tempfile.mkdtemp(prefix="candidate-", dir=plan.host_tmp)
        pid = os.fork() if len(fds) == 3 else -1
        if pid == 0:
            sock.close()
            for number in _CATCHABLE:  # the candidate gets Python's defaults back (Ctrl-C is KeyboardInterrupt)
                with contextlib.suppress(OSError, ValueError):
                    signal.signal(number, signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL)
            setup = child.Setup(
                workdir=workdir or "/tmp",
                private_tmp_mb=plan.tmp_mb if in_namespaces else 0,
                last_cap=last_cap if in_namespaces else -1,
                filter=None if "seccomp" in plan.refuse else plan.filter,
                hook=plan.hook,
                readable=plan.readable,
                under_tmp=tuple(path for path in plan.binds if path.startswith("/tmp/")),
            )
            child.run_candidate(setup, (fds[0], fds[1], fds[2]))
        for fd in fds:
            os.close(fd)
        if pid < 0:
            sock.send(f"exit {spawned} -1".encode())
            continue
        live[pid] = (spawned, _pidfd(pid), workdir)
