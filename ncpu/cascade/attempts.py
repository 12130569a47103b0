"""Book-keeping for one solve: the budget, the candidates seen, the best partial and the ledger."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ncpu.cascade.probes import Probe
from ncpu.cascade.solution import LayerEvent, LayerSpend, Solution, TraceEntry
from ncpu.config import Budget
from ncpu.sandbox.verdict import Verdict
from ncpu.store import Attempt


@dataclass(frozen=True, slots=True)
class Candidate:
    """A body and where it came from."""

    body: str
    layer: str
    model: str | None = None
    temperature: float | None = None
    tier: int | None = None
    """The place in the ladder of the model that wrote it (``None``: no model did)."""
    agreement: str = ""
    """A stored body's: how it compared with the other passing bodies when it was stored."""


@dataclass
class _LedgerLine:
    samples: int = 0
    tokens: int = 0
    seconds: float = 0.0
    solved: bool = False


@dataclass
class SolveState:
    """Mutable state of one solve. Owned by a single thread."""

    budget: Budget
    on_event: Callable[[LayerEvent], None] | None = None
    on_first_pass: Callable[[Solution], None] | None = None
    """Given the first passing body (status ``checking``) when agreement starts sampling for more."""
    started: float = field(default_factory=time.monotonic)
    samples: int = 0
    tokens: int = 0
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    passing: list[tuple[Candidate, Verdict]] = field(default_factory=list)
    """Distinct bodies that passed every check, in order of arrival."""
    probes: list[Probe] | None = None
    """The generated inputs agreement compares passing bodies on (made when first wanted)."""
    proposed_inputs: int = 0
    """How many of ``probes`` (the first ones) the model proposed."""
    best: tuple[Candidate, Verdict] | None = None
    trace: list[TraceEntry] = field(default_factory=list)
    spend: list[LayerSpend] = field(default_factory=list)
    ledger: dict[tuple[str, str | None, float | None], _LedgerLine] = field(default_factory=dict)

    def emit(
        self,
        layer: str,
        message: str,
        step: int | None = None,
        steps: int | None = None,
        model: tuple[str, int] | None = None,
    ) -> None:
        """Report progress to the caller; ``model`` is the generating model's label and place in the ladder."""
        if self.on_event is not None:
            label, tier = model if model is not None else (None, None)
            self.on_event(LayerEvent(layer=layer, message=message, step=step, steps=steps, model=label, tier=tier))

    @property
    def seconds(self) -> float:
        """Wall time spent so far."""
        return time.monotonic() - self.started

    @property
    def deadline(self) -> float:
        """The ``time.monotonic()`` at which the time budget runs out: a generation stops there, mid-answer."""
        return self.started + self.budget.max_seconds

    def budget_spent(self) -> str | None:
        """Which part of the budget ran out, in words, if one did."""
        if self.seconds >= self.budget.max_seconds:
            return f"the time budget ({self.budget.max_seconds:g} s) ran out"
        if self.tokens >= self.budget.max_tokens:
            return f"the token budget ({self.budget.max_tokens} tokens) ran out"
        return None

    reserve: int = 0
    """Samples held back for escalation (set when a larger tier exists)."""
    tier_limit: int | None = None
    """While one escalation tier runs: the sample count at which its share of the budget ends."""
    preflight_done: bool = False
    """Whether the module as written was run once against the checks (before the first model call)."""
    first_tier_error: str | None = None
    """Why the first tier could not be used, once it could not (its layers are then passed over)."""

    def can_generate(self, layer: str) -> bool:
        """Whether the budget allows one more generation in ``layer``."""
        limit = self.budget.max_samples - (0 if layer == "escalate" else self.reserve)
        if layer == "escalate" and self.tier_limit is not None:
            limit = min(limit, self.tier_limit)
        return self.samples < limit and self.tokens < self.budget.max_tokens and self.seconds < self.budget.max_seconds

    def samples_left(self, layer: str) -> int:
        """Generations the budget still allows in ``layer`` (ignoring tokens and time)."""
        limit = self.budget.max_samples - (0 if layer == "escalate" else self.reserve)
        return max(0, limit - self.samples)

    def max_new_tokens(self) -> int:
        """Tokens the next generation may use."""
        return max(1, min(self.budget.max_new_tokens, self.budget.max_tokens - self.tokens))

    def charge(self, layer: str, model: str, temperature: float, tokens: int, seconds: float) -> None:
        """Count one generation against the budget and the ledger."""
        self.samples += 1
        self.tokens += tokens
        line = self.ledger.setdefault((layer, model, temperature), _LedgerLine())
        line.samples += 1
        line.tokens += tokens
        line.seconds += seconds

    def samples_in(self, layer: str) -> int:
        """Generations charged to ``layer`` (all its models and temperatures)."""
        return sum(line.samples for (name, _, _), line in self.ledger.items() if name == layer)

    def consider(self, candidate: Candidate, verdict: Verdict) -> None:
        """Remember the verdict, and the candidate if it is the best so far."""
        self.verdicts[candidate.body] = verdict
        self.trace.append(
            TraceEntry(
                candidate.layer,
                candidate.body,
                verdict.passed,
                verdict.total,
                candidate.model,
                candidate.temperature,
                samples=self.samples,
                tokens=self.tokens,
                seconds=round(self.seconds, 3),
            )
        )
        if verdict.ok and candidate.model is not None:
            key = (candidate.layer, candidate.model, candidate.temperature)
            self.ledger.setdefault(key, _LedgerLine()).solved = True
        if self.best is None or verdict.passed > self.best[1].passed:
            self.best = (candidate, verdict)

    def layer_done(self, layer: str) -> None:
        """Note what has been spent by the end of ``layer``."""
        self.spend.append(LayerSpend(layer, self.samples, self.tokens, round(self.seconds, 3)))

    def attempts(self) -> list[Attempt]:
        """The ledger entries to persist."""
        return [
            Attempt(
                layer=layer,
                model=model,
                temperature=temperature,
                samples=line.samples,
                tokens=line.tokens,
                seconds=round(line.seconds, 3),
                solved=line.solved,
            )
            for (layer, model, temperature), line in self.ledger.items()
        ]
