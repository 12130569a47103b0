"""The facts the store keeps: verified programs, and the ledger of attempts."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

__all__ = ["RECORD_VERSION", "Attempt", "StoredProgram"]

RECORD_VERSION = 1
"""Written into every fact as ``version``; bump it when a field changes meaning."""


@dataclass(frozen=True, slots=True)
class StoredProgram:
    """A body that passed every check of the problem with this key."""

    key: str
    entry_point: str
    params: tuple[str, ...]
    body: str
    """Dedented body text, without the docstring."""
    function_source: str
    layer: str
    model: str | None
    temperature: float | None
    checks_passed: int
    created: float
    agreement: str = ""
    """How it compared with the other passing bodies when stored: ``"4 of 5 passing candidates agree on 48
    generated inputs"``."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (with type and version)."""
        return {"type": "program", "version": RECORD_VERSION, **dataclasses.asdict(self)}

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> StoredProgram:
        """Rebuild from ``to_json`` output; raises ``KeyError``/``TypeError``/``ValueError`` when malformed."""
        return cls(
            key=str(item["key"]),
            entry_point=str(item["entry_point"]),
            params=_params(item["params"]),
            body=str(item["body"]),
            function_source=str(item.get("function_source", "")),
            layer=str(item["layer"]),
            model=None if item.get("model") is None else str(item["model"]),
            temperature=None if item.get("temperature") is None else float(item["temperature"]),
            checks_passed=int(item["checks_passed"]),
            created=float(item["created"]),
            agreement=str(item.get("agreement", "")),
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one layer of one solve spent, with one model at one temperature."""

    layer: str
    model: str | None
    temperature: float | None
    samples: int
    tokens: int
    seconds: float
    solved: bool

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (with type and version)."""
        return {"type": "attempt", "version": RECORD_VERSION, **dataclasses.asdict(self)}

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Attempt:
        """Rebuild from ``to_json`` output."""
        return cls(
            layer=str(item["layer"]),
            model=None if item.get("model") is None else str(item["model"]),
            temperature=None if item.get("temperature") is None else float(item["temperature"]),
            samples=int(item["samples"]),
            tokens=int(item["tokens"]),
            seconds=float(item["seconds"]),
            solved=bool(item["solved"]),
        )


def _params(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(p, str) for p in value):
        raise TypeError(f"params must be a list of names, not {value!r}")
    return tuple(value)
