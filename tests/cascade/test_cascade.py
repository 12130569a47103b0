from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from extraction import find_stubs
from ncpu.backends.fake import ScriptedBackend
from ncpu.cancel import CancelToken
from ncpu.cascade.solution import LayerEvent
from ncpu.config import Budget, Settings
from ncpu.engine import Engine
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox
from ncpu.store import Store

SOURCE = '''def mul(a, b):
    """Multiply.

    >>> mul(2, 3)
    6
    >>> mul(4, 5)
    20
    >>> mul(7, 1)
    7
    """
'''
MODEL_LAYERS = ("store", "greedy", "retry", "best_of_n", "escalate")


def _problem(source: str = SOURCE) -> Problem:
    return Problem.from_source(source, find_stubs(source)[0])


def _engine(
    store_dir: Path,
    sandbox: Sandbox,
    script: list[str],
    *,
    layers: tuple[str, ...] = MODEL_LAYERS,
    extra: list[ScriptedBackend] | None = None,
    **budget: object,
) -> tuple[Engine, ScriptedBackend]:
    backend = ScriptedBackend({"*": script})
    budget.setdefault("agreement_passes", 1)  # the layers' logic: the first pass wins (agreement has its tests)
    settings = Settings(layers=layers, budget=dataclasses.replace(Budget(), **budget))  # type: ignore[arg-type]
    engine = Engine(settings, store=Store.open(store_dir), sandbox=sandbox, backends=[backend, *(extra or [])])
    return engine, backend


def test_greedy_solves_and_second_solve_is_a_store_hit(store_dir: Path, sandbox: Sandbox) -> None:
    engine, backend = _engine(store_dir, sandbox, ["def mul(a, b):\n    return a * b\n"])
    first = engine.solve(_problem())
    assert first.status == "verified" and first.layer == "greedy"
    assert first.body == "return a * b\n" and first.checks_passed == 3
    second = engine.solve(_problem())
    assert second.status == "verified" and second.layer == "store"
    assert len(backend.requests) == 1
    assert engine.lookup(_problem()) is not None


def test_retry_sees_the_failing_check_and_the_actual_value(store_dir: Path, sandbox: Sandbox) -> None:
    engine, backend = _engine(
        store_dir, sandbox, ["def mul(a, b):\n    return a + b\n", "def mul(a, b):\n    return a * b\n"]
    )
    events: list[LayerEvent] = []
    solution = engine.solve(_problem(), on_event=events.append)
    assert solution.status == "verified" and solution.layer == "retry"
    feedback = backend.requests[1].messages[-1].content
    assert "mul(2, 3)" in feedback and "5" in feedback and "return a + b" in feedback
    assert [e.message for e in events][:5] == [
        "store lookup",
        "greedy",
        "loading model fake",
        "model fake loaded",
        "retry 1/4",
    ]


def test_nothing_passes_gives_a_partial_that_is_never_stored(store_dir: Path, sandbox: Sandbox) -> None:
    engine, _ = _engine(store_dir, sandbox, ["def mul(a, b):\n    return 6\n"], max_samples=3)
    solution = engine.solve(_problem())
    assert solution.status == "partial"
    assert (solution.checks_passed, solution.checks_total) == (1, 3)
    assert solution.samples == 3
    assert engine.lookup(_problem()) is None
    assert engine.solve(_problem()).layer != "store"


def test_best_of_n_reports_steps(store_dir: Path, sandbox: Sandbox) -> None:
    script = ["def mul(a, b):\n    return 0\n"] * 3 + ["def mul(a, b):\n    return a * b\n"]
    engine, _ = _engine(store_dir, sandbox, script, retries=1)
    events: list[LayerEvent] = []
    solution = engine.solve(_problem(), on_event=events.append)
    assert solution.layer == "best_of_n"
    progress = [(e.message, e.step, e.steps) for e in events if e.layer == "best_of_n"]
    assert progress == [  # counted as the samples are checked; the second passed, which ends the solve
        ("best-of-N: 0 of 16 samples checked", 0, 16),
        ("best-of-N: 1 of 16 samples checked", 1, 16),
    ]


def test_escalation_uses_the_next_tier_after_a_verified_failure(store_dir: Path, sandbox: Sandbox) -> None:
    large = ScriptedBackend({"mul": ["def mul(a, b):\n    return a * b\n"]}, name="large")
    engine, _ = _engine(store_dir, sandbox, ["def mul(a, b):\n    return 0\n"], extra=[large], max_samples=4, retries=1)
    solution = engine.solve(_problem())
    assert solution.status == "verified" and solution.layer == "escalate" and solution.model == "large"


def test_a_ladder_of_tiers_each_get_their_share_and_the_ledger_orders_them(store_dir: Path, sandbox: Sandbox) -> None:
    wrong, right = "def mul(a, b):\n    return 0\n", "def mul(a, b):\n    return a * b\n"
    middle = ScriptedBackend({"*": [wrong]}, name="middle")
    large = ScriptedBackend({"mul": [right], "times": ["def times(a, b):\n    return a * b\n"]}, name="large")
    engine, small = _engine(
        store_dir, sandbox, [wrong], extra=[middle, large], max_samples=10, retries=1, escalation_samples=2
    )
    solution = engine.solve(_problem())
    # The cheap tier may not touch the 2 + 2 samples held for the ladder; each larger tier gets 2.
    assert solution.status == "verified" and solution.layer == "escalate" and solution.model == "large"
    assert (len(small.requests), len(middle.requests), len(large.requests)) == (6, 2, 1)
    store = Store.open(store_dir)
    assert store.stats().per_tier["large"].solves == 1 and store.stats().per_tier["middle"].solves == 0
    # Past solves per second now put the large tier before the middle one: a new stub skips the middle tier.
    assert store.tier_order(["middle", "large"]) == ["large", "middle"]
    other = _problem(SOURCE.replace("mul", "times"))
    middle.requests.clear()
    again = engine.solve(other)
    assert again.model == "large" and middle.requests == []


def test_template_layer_solves_without_the_model(store_dir: Path, sandbox: Sandbox) -> None:
    engine, backend = _engine(store_dir, sandbox, [], layers=("template", "greedy"))
    solution = engine.solve(_problem())
    assert solution.status == "verified" and solution.layer == "template"
    assert backend.requests == []


def test_two_examples_are_not_enough_evidence_for_library_reuse(store_dir: Path, sandbox: Sandbox) -> None:
    engine, _ = _engine(store_dir, sandbox, ["def mul(a, b):\n    return a * b\n"])
    assert engine.solve(_problem()).verified
    weak = SOURCE.replace("    >>> mul(7, 1)\n    7\n", "").replace("mul", "times")
    script = ["def times(a, b):\n    return a * b\n"]
    engine2, backend = _engine(store_dir, sandbox, script, layers=("library", "greedy"))
    solution = engine2.solve(_problem(weak))
    assert solution.layer == "greedy" and len(backend.requests) == 1


def test_library_reuses_a_verified_program_by_behaviour(store_dir: Path, sandbox: Sandbox) -> None:
    engine, _ = _engine(store_dir, sandbox, ["def mul(x, y):\n    return x * y\n"])
    assert engine.solve(_problem()).verified
    other = SOURCE.replace("mul", "times").replace("Multiply.", "Product of two numbers.")
    engine2, backend2 = _engine(store_dir, sandbox, [], layers=("library", "greedy"))
    solution = engine2.solve(_problem(other))
    assert solution.status == "verified" and solution.layer == "library"
    assert backend2.requests == []


def test_no_checks_gives_a_message_and_optionally_an_unverified_body(store_dir: Path, sandbox: Sandbox) -> None:
    source = 'def mul(a, b):\n    """Multiply two numbers."""\n'
    engine, backend = _engine(store_dir, sandbox, ["def mul(a, b):\n    return a * b\n"])
    solution = engine.solve(_problem(source))
    assert solution.status == "no_checks" and ">>> mul(2)" in solution.message and backend.requests == []
    engine.settings = dataclasses.replace(engine.settings, offer_unverified=True)
    unverified = engine.solve(_problem(source))
    assert unverified.status == "unverified" and unverified.body == "return a * b\n"
    assert engine.lookup(_problem(source)) is None


def test_budget_limits_samples(store_dir: Path, sandbox: Sandbox) -> None:
    engine, backend = _engine(store_dir, sandbox, ["def mul(a, b):\n    return 0\n"], max_samples=5)
    solution = engine.solve(_problem())
    assert solution.samples == 5 and len(backend.requests) == 5


def test_cancelled_solve_stops(store_dir: Path, sandbox: Sandbox) -> None:
    engine, backend = _engine(store_dir, sandbox, ["def mul(a, b):\n    return 0\n"])
    token = CancelToken()
    events: list[LayerEvent] = []

    def cancel_after_greedy(event: LayerEvent) -> None:
        events.append(event)
        if event.layer == "retry":
            token.cancel()

    solution = engine.solve(_problem(), cancel=token, on_event=cancel_after_greedy)
    assert solution.status == "cancelled"
    assert len(backend.requests) <= 2


def test_ledger_records_attempts(store_dir: Path, sandbox: Sandbox) -> None:
    engine, _ = _engine(store_dir, sandbox, ["def mul(a, b):\n    return a * b\n"])
    engine.solve(_problem())
    stats = engine.store.stats() if engine.store else None
    assert stats is not None and stats.programs == 1


@pytest.mark.parametrize("wrong", ["def mul(a, b):\n    while True: pass\n", "def mul(a, b):\n    return 1/0\n"])
def test_hostile_or_crashing_candidates_are_just_failures(store_dir: Path, sandbox: Sandbox, wrong: str) -> None:
    engine, _ = _engine(store_dir, sandbox, [wrong, "def mul(a, b):\n    return a * b\n"])
    assert engine.solve(_problem()).verified
