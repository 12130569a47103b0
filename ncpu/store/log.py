"""The append-only fact log: the store's source of truth.

Every fact is one JSON line, written with a single ``write`` under an exclusive ``flock`` and fsynced
before the call returns. A crash can leave at most a truncated last line, which readers skip (and count).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOG_NAME = "solved_programs.jsonl"


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One readable fact, and where the next one starts."""

    fact: dict[str, Any]
    end_offset: int


class FactLog:
    """Appends and reads facts; safe for several processes at once."""

    def __init__(self, root: Path) -> None:
        self.path = root / LOG_NAME
        self._lock_path = root / (LOG_NAME + ".lock")
        self.path.touch(exist_ok=True)

    def append(self, fact: dict[str, Any]) -> None:
        """Write one fact durably."""
        line = (json.dumps(fact, separators=(",", ":")) + "\n").encode()
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    self._repair_tail(fd)
                    os.write(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _repair_tail(self, fd: int) -> None:
        """If a crashed writer left a line without its newline, end it so the next fact starts clean."""
        size = os.fstat(fd).st_size
        if size == 0:
            return
        with open(self.path, "rb") as reader:
            reader.seek(size - 1)
            if reader.read(1) != b"\n":
                os.write(fd, b"\n")

    def read(self, offset: int = 0) -> tuple[list[LogEntry], int]:
        """Facts from ``offset`` on (complete lines only), and how many lines were corrupt."""
        entries: list[LogEntry] = []
        corrupt = 0
        try:
            with open(self.path, "rb") as handle:
                handle.seek(offset)
                position = offset
                for raw in handle:
                    if not raw.endswith(b"\n"):
                        break  # a line still being written (or truncated): read it next time
                    position += len(raw)
                    try:
                        fact = json.loads(raw)
                    except ValueError:
                        corrupt += 1
                        continue
                    if isinstance(fact, dict):
                        entries.append(LogEntry(fact, position))
                    else:
                        corrupt += 1
        except FileNotFoundError:
            return [], 0
        return entries, corrupt

    def iter_all(self) -> Iterator[dict[str, Any]]:
        """Every readable fact."""
        entries, _ = self.read(0)
        for entry in entries:
            yield entry.fact
