"""Backends with native code run in a model host process that the engine owns, never in the caller's.

``open_backend`` is how the engine gets a backend: ``llama_cpp`` and ``transformers`` (native code that can
segfault or be killed by the OOM killer) are started in a ``HostedBackend``; the others (the OpenAI
client, the scripted fake, plugins) run in the caller's process unless ``ModelSettings.host`` says
otherwise. The caller sees the same ``Backend`` interface either way.

When the host dies, the next call says so in one line ("the model process crashed (SIGSEGV) while
generating; restarted in CPU-safe mode"), starts a new host in CPU-safe mode and retries that call once.
A second crash in a row makes the backend unavailable with its reason: every later call raises
``BackendError``, and the cascade goes on without this tier.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from ncpu.backends import host_wire, notices
from ncpu.backends.base import Backend, BackendBase, BackendError, Generation, GenerationRequest, sample_request
from ncpu.backends.host_process import EXIT_OUT_OF_MEMORY
from ncpu.backends.model_lock import TurnTimedOut, model_turn
from ncpu.backends.registry import create_backend
from ncpu.cancel import Cancelled, CancelToken
from ncpu.config import ModelSettings

NATIVE_BACKENDS = frozenset({"llama_cpp", "transformers"})
"""Backends hosted by default: they run native code in process."""

_CANCEL_GRACE = 3.0
"""Seconds a cancelled operation may take to stop before the host is killed (and restarted when needed)."""
_LOAD_TIMEOUT = 600.0
_POLL = 0.05
"""How often a wait looks at its cancel token and time limit. With neither it sleeps until the answer: on a
2-core machine every wake-up of this process preempts one of llama.cpp's threads, which all wait for it."""
_LOG_TAIL = 4096

T = TypeVar("T")
_ROOT = Path(__file__).resolve().parents[2]
_BOOTSTRAP = "import sys; sys.path.insert(0, {root!r}); from ncpu.backends.host_process import main; sys.exit(main())"
"""Our own code first on the path, not whatever the current directory (the user's workspace) holds."""


def open_backend(name: str, path: Path | None, settings: ModelSettings) -> Backend:
    """The backend ``name`` for the model at ``path``, in a model host process where the settings say so."""
    if settings.host == "process" or (settings.host == "auto" and name in NATIVE_BACKENDS):
        return HostedBackend(name, path, settings)
    return create_backend(name, path, settings)


class HostCrashed(Exception):
    """The host process died; ``description`` says how ("crashed (SIGSEGV)", "ran out of memory")."""

    def __init__(self, description: str, log_tail: str = "") -> None:
        super().__init__(description)
        self.description = description
        self.log_tail = log_tail


def describe_exit(returncode: int | None) -> str:
    """How a process ended, in the words of the crash message."""
    if returncode is None:
        return "stopped answering"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return "was killed (SIGKILL: out of memory?)" if name == "SIGKILL" else f"crashed ({name})"
    if returncode == EXIT_OUT_OF_MEMORY:
        return "ran out of memory"
    return f"exited with status {returncode}"


class _HostProcess:
    """One running host: the process, a reader thread turning its replies into a queue, and its log."""

    def __init__(self, backend: str, path: Path | None, settings: ModelSettings) -> None:
        self._log: IO[bytes] = tempfile.TemporaryFile(prefix="ncpu-model-host-")  # noqa: SIM115 - lives with the host
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-c", _BOOTSTRAP.format(root=str(_ROOT))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            start_new_session=True,  # a Ctrl-C in the terminal reaches the engine, which stops the host
        )
        self.replies: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        threading.Thread(target=self._read, name="ncpu-model-host-reader", daemon=True).start()
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self.send(
            {
                "op": "load",
                "backend": backend,
                "path": str(path) if path else None,
                "settings": host_wire.settings_to_wire(settings),
            }
        )
        try:
            reply = self.wait(0, None, timeout=_LOAD_TIMEOUT)
        except BaseException:
            self.kill()
            raise
        self.name = str(reply["name"])
        self.description = str(reply["describe"])

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        for line in stdout:
            try:
                self.replies.put(host_wire.decode(line))
            except ValueError:
                continue
        self.replies.put(None)

    def send(self, message: dict[str, Any]) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            with self._write_lock:
                stdin.write(host_wire.encode(message))
                stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass  # the host is gone: the reader's end of stream says how

    def call(self, message: dict[str, Any], cancel: CancelToken | None) -> Any:
        """Send a request and wait for its reply; raise ``Cancelled``, ``BackendError`` or ``HostCrashed``."""
        if cancel is not None:
            cancel.raise_if_cancelled()
        return self.wait(self.request(message), cancel)

    def request(self, message: dict[str, Any]) -> int:
        """Send a request; return its id (a sample stream is known by the id of the request that opened it)."""
        op_id = next(self._ids)
        self.send({**message, "id": op_id})
        return op_id

    def wait(self, op_id: int, cancel: CancelToken | None, timeout: float | None = None) -> Any:
        cancelled_at: float | None = None
        started = time.monotonic()
        while True:
            try:
                reply = self.replies.get(timeout=_POLL if cancel is not None or timeout is not None else None)
            except queue.Empty:
                now = time.monotonic()
                if cancel is not None and cancel.cancelled and cancelled_at is None:
                    self.send({"op": "cancel", "id": op_id})
                    cancelled_at = now
                if cancelled_at is not None and now - cancelled_at > _CANCEL_GRACE:
                    self.kill()
                    raise Cancelled() from None
                if timeout is not None and now - started > timeout:
                    self.kill()
                    raise HostCrashed("stopped answering", self.log_tail()) from None
                continue
            if reply is None:
                raise HostCrashed(describe_exit(self._returncode()), self.log_tail())
            if reply.get("id") != op_id:
                continue  # the late answer to a request given up on
            if "ok" in reply:
                return reply["ok"]
            if reply.get("kind") == "cancelled":
                raise Cancelled()
            raise BackendError(str(reply.get("error", "the model host failed")))

    def _returncode(self) -> int | None:
        try:
            return self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def log_tail(self) -> str:
        """The end of what the host wrote to stderr (llama.cpp's last words before a crash)."""
        try:
            self._log.flush()
            size = self._log.seek(0, os.SEEK_END)
            self._log.seek(max(0, size - _LOG_TAIL))
            return self._log.read().decode("utf-8", errors="replace")
        except (OSError, ValueError):
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """Ask the host to exit, then make sure it did."""
        if self.alive():
            self.send({"op": "close"})
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._release()

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self._release()

    def _release(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._log.close()


class HostedBackend(BackendBase):
    """A backend running in a model host process, restarted in CPU-safe mode after a crash."""

    def __init__(self, backend: str, path: Path | None, settings: ModelSettings) -> None:
        self._backend = backend
        self._path = path
        self._settings = settings
        self._lock = threading.RLock()
        self._host: _HostProcess | None = None
        self._unavailable: str | None = None
        self._name = ""
        self._description = ""
        self._with_restart("loading", lambda host: None)

    @property
    def name(self) -> str:
        """The hosted backend's ledger name."""
        return self._name

    @property
    def cpu_safe(self) -> bool:
        """Whether the host runs (or will restart) in CPU-safe mode."""
        return self._settings.cpu_safe

    @property
    def pid(self) -> int | None:
        """The host process, while one runs."""
        host = self._host
        return host.pid if host is not None and host.alive() else None

    def describe(self) -> str:
        """The hosted backend's own line, and where it runs."""
        pid = self.pid
        return f"{self._description} [model host pid {pid}]" if pid else f"{self._description} [model host]"

    def _start(self) -> _HostProcess:
        if self._host is None or not self._host.alive():
            if self._host is not None:
                self._host.kill()
            self._host = _HostProcess(self._backend, self._path, self._settings)
            self._name, self._description = self._host.name, self._host.description
        return self._host

    def _with_restart(self, doing: str, operation: Callable[[_HostProcess], T]) -> T:
        """Run ``operation`` on a live host; after a crash, restart in CPU-safe mode and run it once more."""
        with self._lock:
            if self._unavailable is not None:
                raise BackendError(self._unavailable)
            for attempt in (1, 2):
                try:
                    return operation(self._start())
                except HostCrashed as crash:
                    if self._host is not None:
                        self._host.kill()
                        self._host = None
                    what = f"the model process {crash.description} while {doing}"
                    notices.logger.warning("%s; its last output:\n%s", what, crash.log_tail)
                    if attempt == 2:
                        self._unavailable = f"{what}, again after a restart in CPU-safe mode: model unavailable"
                        notices.say(self._unavailable, warning=True)
                        raise BackendError(self._unavailable) from None
                    self._settings = dataclasses.replace(self._settings, cpu_safe=True)
                    notices.say(f"{what}; restarted in CPU-safe mode", warning=True)
            raise AssertionError("unreachable")  # pragma: no cover

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        """One completion from the host."""
        wire = {"op": "generate", "request": host_wire.request_to_wire(request)}
        started = time.perf_counter()
        try:
            with model_turn(cancel, request.deadline):
                reply = self._with_restart("generating", lambda host: host.call(wire, cancel))
        except TurnTimedOut:  # the time budget ran out while another process generated
            return Generation(text="", tokens=0, seconds=time.perf_counter() - started)
        return host_wire.generation_from_wire(reply)

    def sample(self, request: GenerationRequest, n: int, cancel: CancelToken | None = None) -> Iterator[Generation]:
        """``n`` samples, each computed when the caller pulls it (the host keeps the stream)."""
        produced = 0
        stream: tuple[_HostProcess, int] | None = None

        def pull(host: _HostProcess) -> Any:
            nonlocal stream
            if stream is None or stream[0] is not host:  # first pull, or the host was restarted
                rest = sample_request(request, produced)
                wire = {"op": "sample", "request": host_wire.request_to_wire(rest), "n": n - produced}
                opened = host.request(wire)
                host.wait(opened, cancel)
                stream = (host, opened)
            return host.call({"op": "next", "stream": stream[1]}, cancel)

        try:
            while produced < n:
                try:
                    with model_turn(cancel, request.deadline):
                        reply = self._with_restart("generating", pull)
                except TurnTimedOut:
                    return
                if reply is None:
                    return
                produced += 1
                yield host_wire.generation_from_wire(reply)
        finally:
            if stream is not None and stream[0].alive():
                stream[0].send({"op": "drop", "stream": stream[1], "id": 0})

    def close(self) -> None:
        """Stop the host process: the model's memory goes back to the OS."""
        with self._lock:
            if self._host is not None:
                self._host.close()
                self._host = None
