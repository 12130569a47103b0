"""The model host: one backend in a process of its own, serving the engine over its stdin and stdout.

Run as ``python -m ncpu.backends.host_process``; started and owned by ``ncpu.backends.host.HostedBackend``.
Native code that crashes here (a llama.cpp segfault, the OOM killer) takes only this process down.

The protocol goes over file descriptors 0 (requests) and a duplicate of 1 (replies); descriptor 1 itself is
pointed at stderr, so whatever native code prints cannot corrupt a reply. A reader thread takes requests
off the pipe, so a ``cancel`` reaches a generation in flight, and exits the process when the engine's end
of the pipe closes (the engine died or let go), whatever the main thread is doing.
"""

from __future__ import annotations

import dataclasses
import os
import queue
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from ncpu.backends import host_wire
from ncpu.backends.base import Backend, BackendError, Generation
from ncpu.cancel import Cancelled, CancelToken

EXIT_OUT_OF_MEMORY = 75
"""How the host exits after a ``MemoryError``: the engine reports "ran out of memory"."""


class _Host:
    """Serves one backend; requests run one at a time on the main thread."""

    backend: Backend

    def __init__(self, replies: BinaryIO) -> None:
        self.replies = replies
        self.write_lock = threading.Lock()
        self.streams: dict[int, tuple[Iterator[Generation], CancelToken]] = {}
        self.current: tuple[int, CancelToken] | None = None
        self.current_lock = threading.Lock()

    def reply(self, message: dict[str, Any]) -> None:
        with self.write_lock:
            self.replies.write(host_wire.encode(message))
            self.replies.flush()

    def cancel(self, op_id: int) -> None:
        with self.current_lock:
            if self.current is not None and self.current[0] == op_id:
                self.current[1].cancel()

    def serve(self, message: dict[str, Any]) -> None:
        op, op_id = message.get("op"), int(message.get("id", 0))
        stream = self.streams.get(int(message.get("stream", -1)))
        # A ``next`` runs on its stream's token: the stream's generator checks the token it was opened with.
        token = stream[1] if op == "next" and stream is not None else CancelToken()
        with self.current_lock:
            self.current = (op_id, token)
        try:
            self.reply({"id": op_id, "ok": self.run(op, op_id, message, token)})
        except Cancelled:
            self.reply({"id": op_id, "error": "cancelled", "kind": "cancelled"})
        except BackendError as exc:
            self.reply({"id": op_id, "error": str(exc), "kind": "backend"})
        except MemoryError:
            raise
        except Exception as exc:  # the backend's own failure for this request; the host carries on
            self.reply({"id": op_id, "error": f"{type(exc).__name__}: {exc}", "kind": "backend"})
        finally:
            with self.current_lock:
                self.current = None

    def run(self, op: object, op_id: int, message: dict[str, Any], token: CancelToken) -> Any:
        if op == "generate":
            request = host_wire.request_from_wire(message["request"])
            return host_wire.generation_to_wire(self.backend.generate(request, token))
        if op == "sample":
            request = host_wire.request_from_wire(message["request"])
            self.streams[op_id] = (self.backend.sample(request, int(message["n"]), token), token)
            return True
        if op == "next":
            stream = self.streams.get(int(message["stream"]))
            if stream is None:
                raise BackendError("no such sample stream")
            generation = next(stream[0], None)
            if generation is None:
                self.streams.pop(int(message["stream"]), None)
                return None
            return host_wire.generation_to_wire(generation)
        if op == "drop":
            dropped = self.streams.pop(int(message["stream"]), None)
            close = getattr(dropped[0], "close", None) if dropped is not None else None
            if close is not None:
                close()
            return True
        raise BackendError(f"unknown model host request {op!r}")


def _read_requests(source: BinaryIO, host: _Host, requests: queue.SimpleQueue[dict[str, Any] | None]) -> None:
    """Reader thread: cancels go straight to the operation in flight; end of input ends the process."""
    for line in source:
        try:
            message = host_wire.decode(line)
        except ValueError:
            continue
        if message.get("op") == "cancel":
            host.cancel(int(message.get("id", 0)))
            continue
        requests.put(message)
        if message.get("op") == "close":
            return
    os._exit(0)  # the engine is gone: nobody will read what the main thread is computing


def _load(message: dict[str, Any]) -> Backend:
    """The backend the ``load`` request names, in the mode it asks for."""
    from ncpu.backends.cpu_features import cpu_features
    from ncpu.backends.registry import create_backend

    settings = host_wire.settings_from_wire(message["settings"])
    name = str(message["backend"])
    if name == "llama_cpp" and cpu_features().amx and not settings.cpu_safe:
        from ncpu.backends import amx_guard

        reason = amx_guard.refuse_amx()
        if reason is not None:  # the AMX kernels cannot be switched off alone: drop every extra buffer type
            print(f"ncpu model host: cannot refuse AMX ({reason}); CPU-safe mode", file=sys.stderr)
            settings = dataclasses.replace(settings, cpu_safe=True)
    path = message.get("path")
    return create_backend(name, Path(path) if path else None, settings)


def main() -> int:
    """Serve until the engine closes the pipe or says ``close``."""
    requests_in = sys.stdin.buffer
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # native code printing to stdout lands in the log, not in a reply
    sys.stdout = sys.stderr
    os.environ["NCPU_MODEL_HOST"] = "1"
    host = _Host(replies)
    try:
        message = host_wire.decode(requests_in.readline())
    except ValueError:
        return 2
    try:
        host.backend = _load(message)
    except BackendError as exc:
        host.reply({"id": 0, "error": str(exc), "kind": "backend"})
        return 1
    except MemoryError:
        os._exit(EXIT_OUT_OF_MEMORY)
    except Exception as exc:  # a backend's own failure to load is its message, not a crash
        host.reply({"id": 0, "error": f"cannot load the model: {type(exc).__name__}: {exc}", "kind": "backend"})
        return 1
    host.reply({"id": 0, "ok": {"name": host.backend.name, "describe": host.backend.describe()}})
    requests: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
    threading.Thread(target=_read_requests, args=(requests_in, host, requests), daemon=True).start()
    try:
        while (request := requests.get()) is not None and request.get("op") != "close":
            host.serve(request)
    except MemoryError:
        os._exit(EXIT_OUT_OF_MEMORY)
    finally:
        host.backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
