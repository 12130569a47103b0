"""What the server and its editors agree on: command ids, code-action kinds and data, the status notification.

Editors identify ncpu's actions by ``kind`` (and ``data``), never by title, and follow the server's state
through ``ncpu/status``, never by matching progress text. Titles and ``$/progress`` messages are for people
and may change; everything here is the contract, and ``editors/`` is tested against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Required, TypedDict

from lsprotocol import types

from ncpu.cascade.solution import SolveStatus as EngineStatus

# -- commands (``workspace/executeCommand``) -----------------------------------------------------

SOLVE_COMMAND = "ncpu.solve"
"""Arguments ``[uri, qualified stub name, document version?]``; answers a ``SolveSummary``."""
SOLVE_FILE_COMMAND = "ncpu.solveFile"
"""Arguments ``[uri]``; answers ``{qualified stub name: SolveSummary}``."""
COMMANDS = (SOLVE_COMMAND, SOLVE_FILE_COMMAND)

# -- code actions ----------------------------------------------------------------------------------

ACTION_KIND = f"{types.CodeActionKind.RefactorRewrite.value}.ncpu"
"""The parent kind of every ncpu action: a client asking for ``refactor.rewrite`` or this gets them all."""
SOLVE_KIND = f"{ACTION_KIND}.solve"
"""Solve the stub: a command, or (a store hit, marked preferred) the verified edit itself."""
SOLVE_FILE_KIND = f"{ACTION_KIND}.solveFile"
"""Solve every stub of the document (a command)."""
UNVERIFIED_KIND = f"{ACTION_KIND}.insertUnverified"
"""Insert the best body of the last solve, which did not pass every check (an edit, never preferred)."""
ADD_EXAMPLE_KIND = f"{ACTION_KIND}.addExample"
"""After an ambiguous solve: add one group's answer on the separating input to the docstring as a doctest
(the edit), then solve again (the command, ``ncpu.solve``)."""
ACTION_KINDS = (SOLVE_KIND, SOLVE_FILE_KIND, UNVERIFIED_KIND, ADD_EXAMPLE_KIND)

ActionName = Literal["solve", "solveFile", "insertUnverified", "addExample"]


@dataclass(frozen=True, slots=True)
class ActionData:
    """The ``data`` of an ncpu code action (camelCase on the wire)."""

    action: ActionName
    uri: str
    stub: str | None = None
    """The stub's qualified name (``None`` for ``solveFile``)."""
    source: Literal["store", "cascade", "partial", "unconfirmed"] | None = None
    """Where the body comes from: an edit from the store, a solve still to run, an unverified partial, or a
    body that passed every check alone (``unconfirmed``)."""
    checks_passed: int | None = None
    checks_total: int | None = None
    """For a partial body: how many of the stub's checks it passed."""
    example: str | None = None
    """For ``addExample``: the doctest lines it adds (``>>> count_runs([])`` and ``0``)."""
    candidates: int | None = None
    """For ``addExample``: how many passing candidates answer so."""

    def to_wire(self) -> dict[str, Any]:
        """The JSON object sent as the action's ``data``, without unset fields."""
        wire = {
            "action": self.action,
            "uri": self.uri,
            "stub": self.stub,
            "source": self.source,
            "checksPassed": self.checks_passed,
            "checksTotal": self.checks_total,
            "example": self.example,
            "candidates": self.candidates,
        }
        return {key: value for key, value in wire.items() if value is not None}


def kind_text(kind: object) -> str:
    """A code-action kind as the string on the wire (lsprotocol reads the standard kinds as enum members)."""
    value = getattr(kind, "value", kind)
    return value if isinstance(value, str) else ""


def kind_requested(kind: str, only: list[str] | None) -> bool:
    """Whether an action of ``kind`` answers a request filtered by ``only`` (LSP: hierarchical, dot-separated)."""
    if not only:
        return True
    return any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)


# -- status (``ncpu/status``, server to client) ---------------------------------------------------

STATUS_NOTIFICATION = "ncpu/status"
"""Sent whenever the server's state changes: a solve starts or ends, a layer or step begins, a model loads."""

ServerState = Literal["idle", "loading", "solving", "error"]


@dataclass(frozen=True, slots=True)
class Status:
    """The server's state, as an editor shows it. ``$/progress`` carries the same moments as text."""

    state: ServerState
    """``loading``: a model is loading; ``solving``: a solve runs; ``error``: the last solve could not use the
    model (cleared by the next solve or a settings change); ``idle``: none of these."""
    model: str
    """The model in use (while solving or loading), else the first tier's."""
    tier: int | None = None
    """Index of ``model`` in the ladder, cheapest first (``None`` before the ladder is known)."""
    stub: str | None = None
    """The stub being solved (the latest, when several are)."""
    solving: int = 0
    """How many solves are running."""
    layer: str | None = None
    """The cascade layer at work: ``store``, ``library``, ``template``, ``greedy``, ``retry``, ``best_of_n``,
    ``escalate``, ``agree`` (sampling more passing bodies), or ``load`` while a model loads."""
    step: int | None = None
    steps: int | None = None
    """Step of steps within the layer (``retry`` 2 of 4, ``best_of_n`` 7 of 16), when the layer has steps."""
    error: str | None = None
    """Why, in state ``error``."""

    def to_wire(self) -> dict[str, Any]:
        """The notification's params (camelCase; unset fields are ``null``, so every key is always present)."""
        return {
            "state": self.state,
            "model": self.model,
            "tier": self.tier,
            "stub": self.stub,
            "solving": self.solving,
            "layer": self.layer,
            "step": self.step,
            "steps": self.steps,
            "error": self.error,
        }


# -- answers of the solve commands ---------------------------------------------------------------

ServerAnswer = Literal["not_applied", "not_open", "no_stub", "error", "bad_arguments"]
SolveStatus = EngineStatus | ServerAnswer
"""``status`` of a ``SolveSummary``: the engine's solution statuses plus what the server itself answers."""


class AnswerWire(TypedDict):
    """One group's answer on the separating input."""

    outcome: str
    """``"0"``, ``"raises IndexError"``."""
    candidates: int
    example: str
    """The doctest lines that pin this answer."""


class AmbiguityWire(TypedDict):
    """``SolveSummary.ambiguity``."""

    call: str
    question: str
    """``"`count_runs([])`: 0 (3 candidates) or raises IndexError (2)"``."""
    answers: list[AnswerWire]


class SolveSummary(TypedDict, total=False):
    """What ``ncpu.solve`` answers (and ``ncpu.solveFile``, once per stub)."""

    status: Required[SolveStatus]
    layer: str | None
    """The cascade layer that produced the body."""
    message: str
    """One line for people."""
    evidence: str
    """Why the body is trusted as far as it is (``"3/3 checks; 4 of 5 passing candidates agree on 48
    generated inputs"``), for ``verified``, ``ambiguous`` and ``unconfirmed``."""
    ambiguity: AmbiguityWire
    """For ``ambiguous``: the input the passing candidates disagree on and each group's answer."""
