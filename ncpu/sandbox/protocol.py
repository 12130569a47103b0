"""The wire format between the caller and the warm worker: length-prefixed JSON frames."""

from __future__ import annotations

import dataclasses
import json
import os
import struct
from collections.abc import Sequence
from typing import Any

from extraction.check import Check
from ncpu.sandbox.verdict import CheckResult, Verdict

MAX_FRAME = 256 * 1024 * 1024
HEADER = struct.Struct(">I")
OWN_PACKAGES = ("ncpu", "extraction")
"""ncpu's top-level packages the worker imports: ``connection.py`` sends where each lives
(``NCPU_OWN_PACKAGES``), the bootstrap's finder finds them there only, and a candidate placed in a project
forgets them (``child.py``)."""


class ProtocolError(Exception):
    """The other side sent something that is not a valid frame."""


def write_frame(fd: int, message: dict[str, Any]) -> None:
    """Send one JSON message."""
    data = json.dumps(message).encode()
    payload = HEADER.pack(len(data)) + data
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exact(fd: int, size: int) -> bytes:
    chunks = []
    remaining = size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise ProtocolError("connection closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> dict[str, Any]:
    """Receive one JSON message (blocking)."""
    (size,) = HEADER.unpack(_read_exact(fd, HEADER.size))
    if size > MAX_FRAME:
        raise ProtocolError(f"frame too large: {size}")
    try:
        message = json.loads(_read_exact(fd, size))
    except ValueError as exc:
        raise ProtocolError(f"bad frame: {exc}") from exc
    if not isinstance(message, dict):
        raise ProtocolError("frame is not an object")
    return message


def checks_to_wire(checks: Sequence[Check]) -> list[dict[str, Any]]:
    """Checks as plain dicts."""
    return [dataclasses.asdict(check) for check in checks]


def checks_from_wire(items: list[dict[str, Any]]) -> list[Check]:
    """Checks back from plain dicts."""
    return [
        Check(**{**item, "setup": tuple(item.get("setup", ())), "options": tuple(item.get("options", ()))})
        for item in items
    ]


def verdict_to_wire(verdict: Verdict) -> dict[str, Any]:
    """A verdict as a plain dict."""
    return {
        "results": [dataclasses.asdict(result) for result in verdict.results],
        "total": verdict.total,
        "error": verdict.error,
        "seconds": verdict.seconds,
        "notes": list(verdict.notes),
    }


def verdict_from_wire(item: dict[str, Any], total: int) -> Verdict:
    """Validate and rebuild a verdict; anything malformed is a failed candidate, never a pass."""
    try:
        results = tuple(
            CheckResult(
                passed=r["passed"] is True,
                actual=None if r.get("actual") is None else str(r["actual"])[:1000],
                error=None if r.get("error") is None else str(r["error"])[:1000],
                waiting=None if r.get("waiting") is None else str(r["waiting"])[:300],
                skipped=None if r.get("skipped") is None else str(r["skipped"])[:300],
                timed_out=r.get("timed_out") is True,
            )
            for r in item["results"]
        )
        error = item.get("error")
        if len(results) != total and error is None:
            return Verdict.failed(total, "malformed result from the sandbox")
        return Verdict(
            results=results,
            total=total,
            error=None if error is None else str(error)[:1000],
            seconds=float(item.get("seconds", 0.0)),
            notes=tuple(str(n) for n in item.get("notes", ())),
        )
    except (KeyError, TypeError, ValueError):
        return Verdict.failed(total, "malformed result from the sandbox")
