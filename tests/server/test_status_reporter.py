"""``StatusReporter``: the state ``ncpu/status`` carries, from the engine's events (no client, no threads)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ncpu.cascade.solution import LOAD_EVENT, LOADED_EVENT, NOTICE_EVENT, LayerEvent
from server.status import StatusReporter


def _reporter(labels: list[str]) -> tuple[StatusReporter, list[dict[str, Any]], list[Callable[[], None]]]:
    sent: list[dict[str, Any]] = []
    queued: list[Callable[[], None]] = []
    reporter = StatusReporter(lambda method, params: sent.append(params), queued.append, lambda: labels)
    return reporter, sent, queued


def _flush(queued: list[Callable[[], None]]) -> None:
    while queued:
        queued.pop(0)()


def _short(status: dict[str, Any]) -> tuple[Any, ...]:
    return status["state"], status["model"], status["tier"], status["layer"], status["step"], status["steps"]


def test_nothing_is_sent_before_the_client_is_initialized() -> None:
    reporter, sent, queued = _reporter(["small"])
    reporter.begin("f")
    _flush(queued)
    assert sent == []
    reporter.start()
    _flush(queued)
    assert [_short(s) for s in sent] == [("solving", "small", 0, None, None, None)]


def test_a_load_interrupts_a_step_which_then_goes_on() -> None:
    reporter, sent, queued = _reporter(["small", "large"])
    reporter.start()
    _flush(queued)
    solve = reporter.begin("f")
    _flush(queued)
    events = [
        LayerEvent("greedy", "greedy", 1, 1, model="small", tier=0),
        LayerEvent(LOAD_EVENT, "loading model small", model="small", tier=0),
        LayerEvent(NOTICE_EVENT, "waiting for the model"),  # a notice, not a change of state
        LayerEvent(LOADED_EVENT, "model small loaded", model="small", tier=0),
        LayerEvent("retry", "retry 2/4", 2, 4, model="small", tier=0),
        LayerEvent("escalate", "escalate: large greedy", 1, 1, model="large", tier=1),
    ]
    for event in events:
        reporter.event(solve, event)
        _flush(queued)
    reporter.end(solve)
    _flush(queued)
    assert [_short(s) for s in sent] == [
        ("idle", "small", 0, None, None, None),
        ("solving", "small", 0, None, None, None),
        ("solving", "small", 0, "greedy", 1, 1),
        ("loading", "small", 0, "load", None, None),
        ("solving", "small", 0, "greedy", 1, 1),
        ("solving", "small", 0, "retry", 2, 4),
        ("solving", "large", 1, "escalate", 1, 1),
        ("idle", "small", 0, None, None, None),
    ]


def test_reports_faster_than_the_loop_are_merged_into_the_state_as_it_is() -> None:
    reporter, sent, queued = _reporter(["m"])
    reporter.start()
    _flush(queued)
    solve = reporter.begin("f")
    for step in range(1, 9):
        reporter.event(
            solve, LayerEvent("best_of_n", f"best-of-N: {step} of 8 samples checked", step, 8, model="m", tier=0)
        )
    _flush(queued)  # eight reports, one flush each, all reading the same state
    assert [_short(s) for s in sent[1:]] == [("solving", "m", 0, "best_of_n", 8, 8)]


def test_an_error_lasts_until_the_next_solve_or_a_reset() -> None:
    reporter, sent, queued = _reporter(["m"])
    reporter.start()
    solve = reporter.begin("f")
    reporter.end(solve, error="model file not found: /m.gguf")
    _flush(queued)
    assert sent[-1]["state"] == "error" and sent[-1]["error"] == "model file not found: /m.gguf"
    reporter.begin("g")
    _flush(queued)
    assert sent[-1]["state"] == "solving" and sent[-1]["error"] is None
    reporter.reset()
    _flush(queued)
    assert sent[-1]["state"] == "solving"


def test_two_solves_count_and_the_latest_is_named() -> None:
    reporter, sent, queued = _reporter(["m"])
    reporter.start()
    first = reporter.begin("a")
    second = reporter.begin("b")
    _flush(queued)
    assert (sent[-1]["stub"], sent[-1]["solving"]) == ("b", 2)
    reporter.event(first, LayerEvent(LOAD_EVENT, "loading model m", model="m", tier=0))
    _flush(queued)
    assert sent[-1]["state"] == "loading"  # any solve waiting for the model makes the server "loading"
    reporter.end(second)
    reporter.end(first)
    _flush(queued)
    assert (sent[-1]["state"], sent[-1]["solving"]) == ("idle", 0)


def test_labels_that_cannot_be_had_still_give_a_status() -> None:
    def failing() -> list[str]:
        raise RuntimeError("the server is shutting down")

    sent: list[dict[str, Any]] = []
    reporter = StatusReporter(lambda method, params: sent.append(params), lambda f: f(), failing)
    reporter.start()
    assert sent[-1]["state"] == "idle" and sent[-1]["model"] == "" and sent[-1]["tier"] is None
