"""What crosses the pipe between the engine and a model host: one JSON object per line, both ways.

Engine → host: ``load`` (first, once), ``generate``, ``sample`` (opens a stream of samples), ``next``
(one more sample of a stream), ``drop`` (a stream no longer wanted), ``cancel`` (the operation with that
id stops between two tokens), ``close``. Host → engine: one reply per request, carrying its ``id``:
``{"ok": ...}`` or ``{"error": message, "kind": "backend" | "cancelled" | "fatal"}``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from ncpu.backends.base import ChatMessage, Generation, GenerationRequest
from ncpu.config import ModelSettings

MAX_LINE = 64 << 20
"""Longest message accepted either way (a generation is a few kilobytes)."""


def encode(message: dict[str, Any]) -> bytes:
    """One line of the protocol."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=True).encode("ascii") + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """The message on ``line``; raises ``ValueError`` when it is not one."""
    if len(line) > MAX_LINE:
        raise ValueError("message too long")
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError("a message must be a JSON object")
    return message


def settings_to_wire(settings: ModelSettings) -> dict[str, Any]:
    """``ModelSettings`` as JSON values (paths as strings, tuples as lists)."""
    wire: dict[str, Any] = {}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        wire[field.name] = str(value) if isinstance(value, Path) else list(value) if isinstance(value, tuple) else value
    return wire


def settings_from_wire(wire: dict[str, Any]) -> ModelSettings:
    """The inverse of ``settings_to_wire``; unknown keys are ignored."""
    known = {field.name for field in dataclasses.fields(ModelSettings)}
    values = {key: value for key, value in wire.items() if key in known}
    if values.get("model_path") is not None:
        values["model_path"] = Path(values["model_path"])
    if "escalation_tiers" in values:
        values["escalation_tiers"] = tuple(values["escalation_tiers"])
    return ModelSettings(**values)


def request_to_wire(request: GenerationRequest) -> dict[str, Any]:
    """A generation request as JSON values."""
    wire = dataclasses.asdict(request)
    wire["stop"] = list(request.stop)
    return wire


def request_from_wire(wire: dict[str, Any]) -> GenerationRequest:
    """The inverse of ``request_to_wire``."""
    values = dict(wire)
    values["messages"] = tuple(ChatMessage(role=m["role"], content=m["content"]) for m in values["messages"])
    values["stop"] = tuple(values.get("stop", ()))
    return GenerationRequest(**values)


def generation_to_wire(generation: Generation) -> dict[str, Any]:
    """A generation as JSON values."""
    return dataclasses.asdict(generation)


def generation_from_wire(wire: dict[str, Any]) -> Generation:
    """The inverse of ``generation_to_wire``."""
    return Generation(text=str(wire["text"]), tokens=int(wire["tokens"]), seconds=float(wire["seconds"]))
