"""The plain-text report printed by ``ncpu store stats``."""

from __future__ import annotations

from ncpu.store.stats import CostLine, StoreStats

__all__ = ["format_stats"]


def _cost_row(label: str, line: CostLine) -> str:
    return (
        f"  {label:<44} {line.attempts:>8} {line.samples:>8} {line.solves:>7} "
        f"{100 * line.success_rate:>6.1f}% {line.tokens:>9} {line.seconds:>9.1f}"
    )


def _cost_header(label: str) -> str:
    return f"  {label:<44} {'attempts':>8} {'samples':>8} {'solves':>7} {'rate':>7} {'tokens':>9} {'seconds':>9}"


def _model_order(item: tuple[tuple[str, float | None], CostLine]) -> tuple[str, float]:
    (model, temperature), _ = item
    return model, -1.0 if temperature is None else temperature


def format_stats(stats: StoreStats) -> str:
    """A readable table: counts, hit rate, solves by layer, and success and cost by model and temperature."""
    lines = [
        f"verified programs   {stats.programs}",
        f"lookups             {stats.lookups}",
        f"hits                {stats.hits}  ({100 * stats.hit_rate:.1f}% hit rate)",
    ]
    if stats.corrupt_lines:
        lines.append(f"corrupt log lines   {stats.corrupt_lines} (skipped)")
    if stats.per_layer:
        lines += ["", "verified programs by layer"]
        ranked = sorted(stats.per_layer.items(), key=lambda item: (-item[1], item[0]))
        lines += [f"  {layer:<44} {count:>8}" for layer, count in ranked]
    if stats.per_layer_cost:
        lines += ["", "attempts by layer", _cost_header("layer")]
        lines += [_cost_row(layer, line) for layer, line in sorted(stats.per_layer_cost.items())]
    if stats.per_model:
        lines += ["", "attempts by model and temperature", _cost_header("model @ temperature")]
        for (model, temperature), line in sorted(stats.per_model.items(), key=_model_order):
            shown = "-" if temperature is None else f"{temperature:g}"
            lines.append(_cost_row(f"{model} @ {shown}", line))
    if stats.per_tier:
        lines += ["", "escalation tiers, on the stubs escalated to them", _cost_header("model")]
        lines += [_cost_row(model, line) for model, line in sorted(stats.per_tier.items())]
    return "\n".join(lines)
