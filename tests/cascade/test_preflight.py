"""Preflight: a stub no body can make pass is refused before any model call, with one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from extraction import find_stubs
from ncpu.backends.fake import ScriptedBackend
from ncpu.config import Budget, Settings
from ncpu.engine import Engine
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox
from ncpu.store import Store

STUB = '''{head}

def double(x):
    """Double it.

    >>> double(2)
    4
    """
'''


def _solve(source: str, sandbox: Sandbox, tmp_path: Path) -> tuple[str, str, int]:
    backend = ScriptedBackend({"*": ["def double(x):\n    return 2 * x\n"]})
    problem = Problem.from_source(source, find_stubs(source)[0], path=tmp_path / "mod.py")
    store = Store.open(tmp_path / "store")
    settings = Settings(budget=Budget(agreement_passes=1))  # counts the model's calls up to the first pass
    engine = Engine(settings, store=store, sandbox=sandbox, backends=[backend])  # the shared sandbox stays open
    solution = engine.solve(problem)
    store.close()
    return solution.status, solution.message, len(backend.requests)


@pytest.mark.parametrize(
    ("head", "said"),
    [
        ("import numpy_that_is_not_installed", "No module named 'numpy_that_is_not_installed'"),
        ("from .money import to_cents", "attempted relative import with no known parent package"),
        ("x = (", "SyntaxError"),
    ],
)
def test_a_module_that_does_not_import_is_refused_without_calling_the_model(
    head: str, said: str, sandbox: Sandbox, tmp_path: Path
) -> None:
    status, message, requests = _solve(STUB.format(head=head), sandbox, tmp_path)
    assert status == "failed" and requests == 0
    assert message.startswith(f"{tmp_path / 'mod.py'} does not import: ") and said in message


def test_an_example_whose_setup_cannot_import_is_refused(sandbox: Sandbox, tmp_path: Path) -> None:
    source = STUB.format(head="").replace(">>> double(2)", ">>> import not_installed_either\n    >>> double(2)")
    status, message, requests = _solve(source, sandbox, tmp_path)
    assert status == "failed" and requests == 0
    assert "cannot run: setup failed: ModuleNotFoundError" in message


def test_a_placeholder_that_raises_is_no_reason_to_refuse(sandbox: Sandbox, tmp_path: Path) -> None:
    source = STUB.format(head="import math") + "    raise NotImplementedError\n"
    status, _, requests = _solve(source, sandbox, tmp_path)
    assert status == "verified" and requests == 1


def test_the_time_budget_stops_a_generation_in_flight_and_says_so(sandbox: Sandbox, tmp_path: Path) -> None:
    """``--max-seconds`` is a promise: a 30 s generation is cut at the deadline, not after it."""
    import dataclasses
    import time

    from ncpu.config import Budget

    backend = ScriptedBackend({"*": ["def double(x):\n    return 2 * x\n"]}, delay=30.0)
    source = STUB.format(head="")
    problem = Problem.from_source(source, find_stubs(source)[0])
    settings = dataclasses.replace(Settings(use_store=False), budget=Budget(max_seconds=1.0))
    started = time.monotonic()
    solution = Engine(settings, sandbox=sandbox, backends=[backend]).solve(problem)
    assert time.monotonic() - started < 3.0
    assert solution.status == "failed" and "the time budget (1 s) ran out" in solution.message


def test_a_sandbox_that_refuses_is_said_once_before_any_model_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NCPU_SANDBOX_TEST_REFUSE", "user_ns")
    with Sandbox() as refusing:
        status, message, requests = _solve(STUB.format(head=""), refusing, tmp_path)
    assert status == "failed" and requests == 0
    assert message.startswith("sandbox refused to run the candidate") and "--unsafe-sandbox" in message
