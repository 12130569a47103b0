"""What a solve returns, and the progress events it emits on the way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ncpu.sandbox.verdict import Verdict

SolveStatus = Literal[
    "verified", "ambiguous", "unconfirmed", "partial", "no_checks", "unverified", "failed", "cancelled", "checking"
]
"""- ``verified``: the body passed every check (only these are stored and offered as solutions).
- ``ambiguous``: bodies that pass every check disagree on a generated input about as often as they agree;
  ``ambiguity`` says where, and what each group answers. ``body`` is the largest group's, never stored.
- ``unconfirmed``: a template's or a sample's body passed every check (the docstring's examples; none of
  the project's tests) and was the only one: the model's other candidates failed them, so nothing agrees
  with it (such lone passes are right far less often). Offered, never stored.
- ``partial``: the best candidate passed some checks ("3 of 4 checks passed"); never stored.
- ``no_checks``: the stub has no examples; ``body`` is ``None`` unless unverified bodies were asked for.
- ``unverified``: a greedy body for a stub without checks, offered only when asked for.
- ``failed``: nothing usable came out (no candidate passed a single check, or the model is missing).
- ``cancelled``: the user stopped the solve.
- ``checking``: never returned; handed to ``on_first_pass`` alone. The first body that passed every check,
  offered at once while agreement samples more candidates to compare it with (the answer that follows
  confirms it, replaces it with the largest group's body, or withdraws it as ambiguous or unconfirmed).
"""

LAYERS: tuple[str, ...] = ("store", "library", "template", "greedy", "retry", "best_of_n", "escalate")
LOAD_EVENT = "load"
"""The ``layer`` of the event saying a model starts loading."""
LOADED_EVENT = "loaded"
"""The ``layer`` of the event saying it has loaded (or failed to)."""
NOTICE_EVENT = "model"
"""The ``layer`` of a backend's notice ("waiting for the model", "the model process crashed")."""


@dataclass(frozen=True, slots=True)
class LayerEvent:
    """Progress: a layer (or a step within one) has started."""

    layer: str
    message: str
    """Short text for a progress bar: ``"greedy"``, ``"retry 2/4"``, ``"best-of-N: 7 of 16 samples checked"``."""
    step: int | None = None
    steps: int | None = None
    """Step of steps within the layer (``retry`` 2 of 4), for layers that have steps."""
    model: str | None = None
    """The model generating (or loading), for events of a model layer."""
    tier: int | None = None
    """That model's place in the ladder (0: the first tier), for events of a model layer."""
    warning: bool = False
    """Something the user must see even after the solve ended (the model process crashed), not progress."""


@dataclass(frozen=True, slots=True)
class TraceEntry:
    """One verified candidate, in the order the cascade tried it (for benchmarks and logs)."""

    layer: str
    body: str
    passed: int
    total: int
    model: str | None = None
    temperature: float | None = None
    samples: int = 0
    """Generations the solve had spent when this candidate was verified (cumulative, all layers so far)."""
    tokens: int = 0
    """Generated tokens spent so far, likewise cumulative."""
    seconds: float = 0.0
    """Wall time of the solve so far, likewise cumulative."""


@dataclass(frozen=True, slots=True)
class LayerSpend:
    """What the solve had spent when a layer finished (cumulative), for per-configuration costs."""

    layer: str
    samples: int
    tokens: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Answer:
    """What one group of passing bodies does on the input that separates the groups."""

    outcome: str
    """In words: ``"0"``, ``"raises IndexError"``."""
    example: str
    """The doctest lines that pin it: ``">>> count_runs([])\n0"`` (an exception: the traceback header,
    ``...`` and the exception's line)."""
    candidates: int
    """How many passing bodies answer so."""
    body: str
    """The group's representative body."""


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """Passing bodies that disagree: the input, and each group's answer there (the largest group first)."""

    call: str
    answers: tuple[Answer, ...]

    def question(self) -> str:
        """``"`count_runs([])`: 0 (3 candidates) or raises IndexError (2)"``."""
        options = " or ".join(
            f"{answer.outcome} ({answer.candidates} candidate{'s' if answer.candidates != 1 else ''})"
            if index == 0
            else f"{answer.outcome} ({answer.candidates})"
            for index, answer in enumerate(self.answers)
        )
        return f"`{self.call}`: {options}"


@dataclass(frozen=True, slots=True)
class Solution:
    """The outcome of one solve."""

    status: SolveStatus
    key: str
    body: str | None = None
    """The body that goes after the docstring, dedented (no leading indentation), ending in a newline."""
    layer: str | None = None
    verdict: Verdict | None = None
    message: str = ""
    """One line for the user."""
    model: str | None = None
    temperature: float | None = None
    samples: int = 0
    tokens: int = 0
    seconds: float = 0.0
    trace: tuple[TraceEntry, ...] = ()
    """Every distinct candidate that reached the sandbox, in order."""
    spend: tuple[LayerSpend, ...] = ()
    """Cumulative cost at the end of each layer that ran to its end, in order."""
    agreement: str = ""
    """How the passing bodies compared on generated inputs: ``"4 of 5 passing candidates agree on 48
    generated inputs"`` (empty when no body passed every check)."""
    ambiguity: Ambiguity | None = None
    """For ``ambiguous``: the input the passing bodies disagree on, and their answers."""
    votes: tuple[tuple[str, float], ...] = ()
    """Every sample that passed every check, as (body, temperature) in order of arrival, a body written
    again included: the votes agreement counted (for benchmarks and logs)."""

    @property
    def verified(self) -> bool:
        """Whether the body passed every check."""
        return self.status == "verified"

    @property
    def evidence(self) -> str:
        """Why the body is trusted, in words (empty without a body that passed every check).

        ``"3/3 checks; 4 of 5 passing candidates agree on 48 generated inputs"``.
        """
        if self.status not in ("verified", "ambiguous", "unconfirmed") or self.verdict is None:
            return ""
        checks = f"{self.verdict.passed}/{self.verdict.total} checks"
        return f"{checks}; {self.agreement}" if self.agreement else checks

    @property
    def checks_passed(self) -> int:
        """Checks the body passed (0 without a verdict)."""
        return self.verdict.passed if self.verdict else 0

    @property
    def checks_total(self) -> int:
        """Checks the body was run against (0 without a verdict)."""
        return self.verdict.total if self.verdict else 0
