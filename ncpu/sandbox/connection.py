"""The caller's side of one warm worker process: start it, exchange frames, kill it."""

from __future__ import annotations

import contextlib
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
from ncpu.sandbox.protocol import read_frame, write_frame

POLL_SECONDS = 0.02
START_SECONDS = 30.0
_PASSED_ON = ("NCPU_SANDBOX_NAMESPACES", "NCPU_SANDBOX_TEST_REFUSE", "NCPU_SANDBOX_TEST_NO_HOOK")
"""Environment the worker still sees: an escape hatch for kernels that misbehave, and two knobs for tests."""


class WorkerError(RuntimeError):
    """The warm worker could not be started."""


class WorkerConnection:
    """One warm worker process (a new session of its own) and its two pipes."""

    def __init__(self, limits: SandboxLimits, readonly: Sequence[str] = ()) -> None:
        # Candidates' temp dirs when the kernel gives no mount namespace; removed by kill() whatever happened.
        self.host_tmp = tempfile.mkdtemp(prefix="ncpu-sandbox-")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": os.pathsep.join(p or os.getcwd() for p in sys.path),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
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
                [sys.executable, "-m", "ncpu.sandbox.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd="/",
                start_new_session=True,
            )
        except BaseException:
            remove_tree(self.host_tmp)
            raise
        assert self.process.stdin is not None and self.process.stdout is not None
        self.to_worker = self.process.stdin.fileno()
        self.from_worker = self.process.stdout.fileno()
        hello = self.wait_frame(time.monotonic() + START_SECONDS, None)
        if hello is None or not hello.get("ready"):
            status = self.process.poll()
            self.kill()
            raise WorkerError(f"the sandbox worker did not start (exit status {status})")
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
