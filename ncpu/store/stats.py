"""Statistics folded from the fact log: counts, hit rate, per layer, per model and temperature."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StoreStats:
    """A snapshot of the store's statistics."""

    programs: int = 0
    lookups: int = 0
    hits: int = 0
    corrupt_lines: int = 0
    per_layer: dict[str, int] = field(default_factory=dict)
    """Verified programs by the layer that first solved them."""
    per_model_temperature: dict[str, dict[str, float]] = field(default_factory=dict)
    """``"model|temperature"`` → samples, solves, tokens, seconds, attempts."""

    @property
    def hit_rate(self) -> float:
        """Hits per lookup (0 with no lookups)."""
        return self.hits / self.lookups if self.lookups else 0.0


def empty_stats() -> dict[str, Any]:
    """The fold's starting value."""
    return {"programs": 0, "lookups": 0, "hits": 0, "corrupt_lines": 0, "per_layer": {}, "per_model_temperature": {}}


def apply_fact(stats: dict[str, Any], fact: dict[str, Any]) -> None:
    """Fold one fact into ``stats`` (in place)."""
    kind = fact.get("type")
    if kind == "program":
        stats["programs"] += 1
        layer = str(fact.get("layer"))
        stats["per_layer"][layer] = stats["per_layer"].get(layer, 0) + 1
    elif kind == "lookup":
        stats["lookups"] += 1
        stats["hits"] += 1 if fact.get("hit") else 0
    elif kind == "attempt" and fact.get("model") is not None:
        temperature = fact.get("temperature")
        key = f"{fact['model']}|{float(temperature or 0):g}"
        line = stats["per_model_temperature"].setdefault(
            key, {"attempts": 0, "samples": 0, "solves": 0, "tokens": 0, "seconds": 0.0}
        )
        line["attempts"] += 1
        line["samples"] += int(fact.get("samples", 0))
        line["solves"] += 1 if fact.get("solved") else 0
        line["tokens"] += int(fact.get("tokens", 0))
        line["seconds"] += float(fact.get("seconds", 0.0))


def stats_from(stats: dict[str, Any]) -> StoreStats:
    """Freeze the fold's dict."""
    return StoreStats(
        programs=stats["programs"],
        lookups=stats["lookups"],
        hits=stats["hits"],
        corrupt_lines=stats.get("corrupt_lines", 0),
        per_layer=dict(stats["per_layer"]),
        per_model_temperature={k: dict(v) for k, v in stats["per_model_temperature"].items()},
    )


def format_stats(stats: StoreStats) -> str:
    """A plain-text report for ``ncpu store stats``."""
    lines = [
        f"verified programs: {stats.programs}",
        f"lookups: {stats.lookups}  hits: {stats.hits}  hit rate: {100 * stats.hit_rate:.1f}%",
    ]
    if stats.corrupt_lines:
        lines.append(f"corrupt log lines skipped: {stats.corrupt_lines}")
    if stats.per_layer:
        lines += ["", "solved by layer:"]
        lines += [f"  {layer:<12} {count}" for layer, count in sorted(stats.per_layer.items(), key=lambda i: -i[1])]
    if stats.per_model_temperature:
        lines += [
            "",
            f"  {'model':<40} {'temp':>5} {'samples':>8} {'solves':>7} {'rate':>6} {'tokens':>8} {'seconds':>8}",
        ]
        for key, line in sorted(stats.per_model_temperature.items()):
            model, temperature = key.rsplit("|", 1)
            rate = line["solves"] / line["samples"] if line["samples"] else 0.0
            lines.append(
                f"  {model:<40} {temperature:>5} {int(line['samples']):>8} {int(line['solves']):>7} "
                f"{100 * rate:>5.1f}% {int(line['tokens']):>8} {line['seconds']:>8.1f}"
            )
    return "\n".join(lines)
