"""Statistics folded from the fact log: counts, hit rate, per layer, per model and temperature.

The fold state is a plain JSON-ready dict kept in the derived cache and updated fact by fact;
``StoreStats`` is its frozen, typed snapshot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CostLine", "StoreStats", "apply_fact", "empty_fold", "stats_from"]


@dataclass(frozen=True, slots=True)
class CostLine:
    """What a group of attempts spent and achieved."""

    attempts: int = 0
    """Ledger entries (one per layer per solve)."""
    samples: int = 0
    solves: int = 0
    tokens: int = 0
    seconds: float = 0.0

    @property
    def success_rate(self) -> float:
        """Solves per sample (0 with no samples)."""
        return self.solves / self.samples if self.samples else 0.0

    @property
    def smoothed_rate(self) -> float:
        """Laplace-smoothed solves per sample: 0.5 with no data, never exactly 0 or 1."""
        return (self.solves + 1) / (self.samples + 2)


@dataclass(frozen=True)
class StoreStats:
    """A snapshot of the store's statistics."""

    programs: int = 0
    """Distinct keys with a verified program."""
    lookups: int = 0
    hits: int = 0
    corrupt_lines: int = 0
    """Log lines skipped because they were garbage or truncated by a crash."""
    per_layer: dict[str, int] = field(default_factory=dict)
    """Verified programs by the layer that first solved them."""
    per_layer_cost: dict[str, CostLine] = field(default_factory=dict)
    """The attempt ledger grouped by layer."""
    per_model: dict[tuple[str, float | None], CostLine] = field(default_factory=dict)
    """The attempt ledger grouped by (model, temperature), for attempts that used a model."""
    per_tier: dict[str, CostLine] = field(default_factory=dict)
    """Escalation attempts per model: what each larger tier spent and solved on the stubs it was given."""

    @property
    def hit_rate(self) -> float:
        """Hits per lookup (0 with no lookups)."""
        return self.hits / self.lookups if self.lookups else 0.0

    @property
    def attempts(self) -> int:
        """Ledger entries recorded."""
        return sum(line.attempts for line in self.per_layer_cost.values())


def empty_fold() -> dict[str, Any]:
    """The fold's starting value."""
    return {
        "programs": 0,
        "lookups": 0,
        "hits": 0,
        "corrupt_lines": 0,
        "per_layer": {},
        "per_layer_cost": {},
        "per_model": {},
        "per_tier": {},
    }


def apply_fact(fold: dict[str, Any], fact: dict[str, Any], *, new_program: bool = True) -> None:
    """Fold one well-formed fact into ``fold`` (in place).

    ``new_program`` is false when a program fact re-solves a key already stored: it then adds nothing.
    """
    kind = fact.get("type")
    if kind == "program" and new_program:
        fold["programs"] += 1
        layer = str(fact.get("layer"))
        fold["per_layer"][layer] = fold["per_layer"].get(layer, 0) + 1
    elif kind == "lookup":
        fold["lookups"] += 1
        fold["hits"] += 1 if fact.get("hit") else 0
    elif kind == "attempt":
        _add_cost(fold["per_layer_cost"], str(fact.get("layer")), fact)
        if fact.get("model") is not None:
            _add_cost(fold["per_model"], json.dumps([str(fact["model"]), fact.get("temperature")]), fact)
            if fact.get("layer") == "escalate":
                _add_cost(fold.setdefault("per_tier", {}), str(fact["model"]), fact)


def _add_cost(table: dict[str, dict[str, Any]], key: str, fact: dict[str, Any]) -> None:
    line = table.setdefault(key, {"attempts": 0, "samples": 0, "solves": 0, "tokens": 0, "seconds": 0.0})
    line["attempts"] += 1
    line["samples"] += int(fact.get("samples") or 0)
    line["solves"] += 1 if fact.get("solved") else 0
    line["tokens"] += int(fact.get("tokens") or 0)
    line["seconds"] += float(fact.get("seconds") or 0.0)


def _cost(line: dict[str, Any]) -> CostLine:
    return CostLine(
        attempts=int(line["attempts"]),
        samples=int(line["samples"]),
        solves=int(line["solves"]),
        tokens=int(line["tokens"]),
        seconds=float(line["seconds"]),
    )


def _model_key(text: str) -> tuple[str, float | None]:
    model, temperature = json.loads(text)
    return str(model), None if temperature is None else float(temperature)


def stats_from(fold: dict[str, Any]) -> StoreStats:
    """Freeze the fold's dict."""
    return StoreStats(
        programs=int(fold["programs"]),
        lookups=int(fold["lookups"]),
        hits=int(fold["hits"]),
        corrupt_lines=int(fold["corrupt_lines"]),
        per_layer=dict(fold["per_layer"]),
        per_layer_cost={layer: _cost(line) for layer, line in fold["per_layer_cost"].items()},
        per_model={_model_key(key): _cost(line) for key, line in fold["per_model"].items()},
        per_tier={model: _cost(line) for model, line in fold.get("per_tier", {}).items()},
    )
