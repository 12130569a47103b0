"""The caller's side of one warm worker process: start it, exchange frames, kill it."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from ncpu.cancel import Cancelled, CancelToken
from ncpu.config import SandboxLimits
from ncpu.sandbox.cleanup import remove_tree
from ncpu.sandbox.isolation import Isolation
from ncpu.sandbox.protocol import OWN_PACKAGES, ProtocolError, read_frame, write_frame
from ncpu.sandbox.seccomp import compile_filter

POLL_SECONDS = 0.02
START_SECONDS = 30.0
_PASSED_ON = ("NCPU_SANDBOX_NAMESPACES", "NCPU_SANDBOX_TEST_REFUSE", "NCPU_SANDBOX_TEST_NO_HOOK")
"""Environment the worker still sees: an escape hatch for kernels that misbehave, and two knobs for tests."""


class WorkerError(RuntimeError):
    """The warm worker could not be started."""


@functools.cache
def _bootstrap() -> str:
    with open(os.path.join(os.path.dirname(__file__), "bootstrap.py"), encoding="utf-8") as handle:
        return handle.read()


@functools.cache
def _own_packages() -> str:
    homes = {}
    for name in OWN_PACKAGES:
        package = sys.modules.get(name) or __import__(name)
        homes[name] = os.path.dirname(os.path.dirname(os.path.abspath(str(package.__file__))))
    return json.dumps(homes)


@functools.cache
def _filter() -> tuple[str, str]:
    """The candidates' seccomp program (hex), compiled here once: the worker's interpreter may lack libseccomp."""
    compiled, why = compile_filter()
    return (compiled.program.hex() if compiled is not None else ""), why


class WorkerConnection:
    """One warm worker process (a new session of its own) and its two pipes."""

    def __init__(self, limits: SandboxLimits, readonly: Sequence[str] = (), python: str | None = None) -> None:
        """``python``: the interpreter candidates run on (default ours); ``readonly``: more dirs they may read."""
        self.python = python or sys.executable
        self.roots: tuple[str, ...] = ()
        """The import roots it was started with (set by ``Sandbox``)."""
        # Candidates' temp dirs when the kernel gives no mount namespace; removed by kill() whatever happened.
        self.host_tmp = tempfile.mkdtemp(prefix="ncpu-sandbox-")
        program, why = _filter()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            "NCPU_OWN_PACKAGES": _own_packages(),
            "NCPU_SANDBOX_FILTER": program,
            "NCPU_SANDBOX_FILTER_ERROR": why,
            "NCPU_SANDBOX_HOST_TMP": self.host_tmp,
            "NCPU_SANDBOX_TMP_MB": str(max(16, 4 * limits.file_size_mb)),
            "NCPU_SANDBOX_READONLY": os.pathsep.join(os.path.abspath(p) for p in readonly),
        }
        if limits.network:
            env["NCPU_SANDBOX_NETWORK"] = "1"
        if limits.allow_unsafe:
            env["NCPU_SANDBOX_ALLOW_UNSAFE"] = "1"
        env.update({name: os.environ[name] for name in _PASSED_ON if name in os.environ})
        try:
            self.process = subprocess.Popen(
                [self.python, "-c", _bootstrap()],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd="/",
                start_new_session=True,
            )
        except OSError as exc:  # no such interpreter, or not executable
            remove_tree(self.host_tmp)
            raise WorkerError(f"the interpreter {self.python} cannot be run ({exc.strerror or exc})") from None
        except BaseException:
            remove_tree(self.host_tmp)
            raise
        assert self.process.stdin is not None and self.process.stdout is not None
        self.to_worker = self.process.stdin.fileno()
        self.from_worker = self.process.stdout.fileno()
        try:
            hello = self.wait_frame(time.monotonic() + START_SECONDS, None)
        except ProtocolError:  # it exited before saying anything
            hello = None
        if hello is None or not hello.get("ready"):
            status = self.process.poll()
            self.kill()
            if hello is not None and hello.get("error"):
                raise WorkerError(str(hello["error"])[:500])
            raise WorkerError(f"the sandbox worker did not start under {self.python} (exit status {status})")
        self.isolation = Isolation.from_wire(hello.get("isolation"))

    def send(self, message: dict[str, Any]) -> None:
        """Write one frame (raises ``OSError`` when the worker is gone)."""
        write_frame(self.to_worker, message)

    def wait_frame(self, deadline: float, cancel: CancelToken | None) -> dict[str, Any] | None:
        """Wait for the next frame; ``None`` at the deadline; raises ``Cancelled`` (polled every 20 ms)."""
        while True:
            if cancel is not None and cancel.cancelled:
                raise Cancelled()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            wait = min(POLL_SECONDS, remaining) if cancel is not None else remaining
            ready, _, _ = select.select([self.from_worker], [], [], wait)
            if ready:
                return read_frame(self.from_worker)

    def alive(self) -> bool:
        """Whether the worker process is still running."""
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker's session (its namespace and candidates die with it) and reap it."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        remove_tree(self.host_tmp)
