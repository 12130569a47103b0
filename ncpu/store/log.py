"""The append-only fact log: the store's source of truth.

Every fact is one JSON line. A writer takes an exclusive ``flock`` on a separate lock file, appends the
whole line with a single ``os.write`` on an ``O_APPEND`` descriptor and (for facts that matter) fsyncs
before releasing. Readers take a shared lock, so a line without its newline at the end of the file can
only be the remnant of a writer that crashed: it is skipped and counted, never fatal. The next writer
ends such a remnant with a newline so its own fact starts on a clean line.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["LOG_NAME", "FactLog", "LogChunk"]

LOG_NAME = "solved_programs.jsonl"


@dataclass(slots=True)
class LogChunk:
    """The facts read from one offset to the end of the log."""

    facts: list[dict[str, Any]] = field(default_factory=list)
    corrupt: int = 0
    """Lines that were not a JSON object (garbage, or truncated by a crash)."""
    end: int = 0
    """Offset just past the last byte read: where the next read starts."""


class FactLog:
    """Appends and reads facts; safe for several threads and processes at once."""

    def __init__(self, root: Path) -> None:
        self.path = root / LOG_NAME
        self._lock_path = root / (LOG_NAME + ".lock")
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._ensure_exists()

    def _ensure_exists(self) -> None:
        """Create the log and make its directory entry durable, so an acknowledged put survives power loss."""
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return
        os.close(fd)
        _fsync_directory(self.path.parent)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the writers' lock (re-entrant within this object) for a read-check-append sequence."""
        with self._thread_lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            # Opened per use: a descriptor inherited across fork would share (and so defeat) the lock.
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0
            finally:
                os.close(fd)  # closing releases the flock

    @contextmanager
    def _shared(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth:  # this thread already holds the exclusive lock
                yield
                return
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)
                yield
            finally:
                os.close(fd)

    def append(self, fact: dict[str, Any], *, durable: bool = True) -> None:
        """Append one fact; with ``durable`` it is on disk (fsynced) when this returns."""
        data = (json.dumps(fact, separators=(",", ":"), ensure_ascii=True) + "\n").encode()
        with self.exclusive():
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data  # end a crashed writer's remnant first, in the same write
                written = os.write(fd, data)
                while written < len(data):  # regular files do not short-write short of a full disk
                    written += os.write(fd, data[written:])
                if durable:
                    os.fsync(fd)
                    if size == 0:
                        _fsync_directory(self.path.parent)  # the file may be new (after ``clear``)
            finally:
                os.close(fd)

    def size(self) -> int:
        """Current length of the log in bytes (0 when absent)."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def read(self, offset: int = 0) -> LogChunk:
        """Every fact from ``offset`` to the end, skipping (and counting) corrupt lines."""
        chunk = LogChunk(end=offset)
        with self._shared():
            try:
                with open(self.path, "rb") as handle:
                    handle.seek(offset)
                    for raw in handle:
                        chunk.end += len(raw)
                        _parse_into(chunk, raw)
            except FileNotFoundError:
                chunk.end = 0
        return chunk

    def remove(self) -> None:
        """Delete the log (callers hold ``exclusive``); the next append starts a new one."""
        self.path.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _parse_into(chunk: LogChunk, raw: bytes) -> None:
    if not raw.strip():
        return  # blank: the newline that ended a crashed writer's remnant
    try:
        fact = json.loads(raw)
    except ValueError:
        chunk.corrupt += 1
        return
    if isinstance(fact, dict):
        chunk.facts.append(fact)
    else:
        chunk.corrupt += 1
