"""A lone pass (issue 15): a guessing layer's body that passes alone after the model's other bodies failed.

The scripted model writes bodies that fail the user's examples, then one that passes; the real sandbox runs
them and the real store is asked what it kept.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from extraction import find_stubs
from ncpu.backends.fake import ScriptedBackend
from ncpu.cascade.solution import Solution
from ncpu.config import Budget, Settings
from ncpu.edit import note_for
from ncpu.engine import Engine
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox
from ncpu.store import Store

SOURCE = '''def shout(text: str) -> str:
    """Shout it.

    >>> shout("hi")
    'HI!'
    >>> shout("no")
    'NO!'
    """
'''
RIGHT = "def shout(text):\n    return text.upper() + '!'\n"
WRONG = [
    "def shout(text):\n    return text.upper()\n",
    "def shout(text):\n    return text + '!'\n",
    "def shout(text):\n    return text.title() + '!'\n",
    "def shout(text):\n    return '!' + text.upper()\n",
]


def _solve(
    store_dir: Path,
    sandbox: Sandbox,
    script: list[str],
    layers: tuple[str, ...],
    problem: Problem | None = None,
    **budget: object,
) -> tuple[Engine, Solution]:
    backend = ScriptedBackend({"*": script})
    settings = Settings(layers=layers, budget=dataclasses.replace(Budget(), **budget))  # type: ignore[arg-type]
    engine = Engine(settings, store=Store.open(store_dir), sandbox=sandbox, backends=[backend])
    solution = engine.solve(problem or Problem.from_source(SOURCE, find_stubs(SOURCE)[0]))
    return engine, solution


def test_a_sample_that_passes_alone_after_failures_is_unconfirmed_offered_and_not_stored(
    store_dir: Path, sandbox: Sandbox
) -> None:
    # best-of-N's fourth sample passes; agreement's samples (the last body, again) fail.
    engine, solution = _solve(store_dir, sandbox, [*WRONG[:3], RIGHT, WRONG[3]], ("store", "best_of_n"))
    assert solution.status == "unconfirmed" and not solution.verified
    assert solution.body == "return text.upper() + '!'\n" and solution.layer == "best_of_n"
    assert solution.message.startswith("unconfirmed (best_of_n): 2 of 2 checks passed, but none of the ")
    assert solution.evidence.startswith("2/2 checks; the only passing candidate")
    assert note_for(solution) == ("# ncpu: UNCONFIRMED (best_of_n, 2/2 checks passed; no other candidate passed them)")
    assert engine.store is not None and engine.store.get(solution.key) is None


def test_the_models_own_reading_passing_alone_is_still_verified(store_dir: Path, sandbox: Sandbox) -> None:
    # Greedy passes; every agreement sample fails. The greedy answer is the model's own reading, not a guess.
    engine, solution = _solve(store_dir, sandbox, [RIGHT, WRONG[0]], ("store", "greedy", "best_of_n"))
    assert solution.status == "verified" and solution.layer == "greedy"
    assert solution.samples >= 4 and solution.agreement.startswith("the only passing candidate")
    assert engine.store is not None and engine.store.get(solution.key) is not None


def test_a_lone_pass_after_too_few_failures_or_with_the_rule_off_is_verified(store_dir: Path, sandbox: Sandbox) -> None:
    script = [*WRONG[:3], RIGHT, WRONG[3]]
    _, off = _solve(store_dir / "off", sandbox, script, ("store", "best_of_n"), unconfirmed_after=0)
    assert off.status == "verified"
    _, lenient = _solve(store_dir / "many", sandbox, script, ("store", "best_of_n"), unconfirmed_after=50)
    assert lenient.status == "verified"


def test_a_lone_pass_of_the_projects_own_tests_is_verified(store_dir: Path, sandbox: Sandbox) -> None:
    """A test in ``tests/`` is the spec the user wrote to be verified against, not an illustration."""
    problem = Problem.from_source(SOURCE, find_stubs(SOURCE)[0])
    checks = (problem.checks[0], dataclasses.replace(problem.checks[1], origin="workspace_test"))
    tested = dataclasses.replace(problem, checks=checks)
    engine, solution = _solve(store_dir, sandbox, [*WRONG[:3], RIGHT, WRONG[3]], ("store", "best_of_n"), tested)
    assert solution.status == "verified" and solution.layer == "best_of_n"
    assert engine.store is not None and engine.store.get(solution.key) is not None


def test_a_likely_lone_guess_is_not_shown_before_agreement(store_dir: Path, sandbox: Sandbox) -> None:
    """The editor shows the first pass while agreement runs, but not one that would be taken back."""
    backend = ScriptedBackend({"*": [*WRONG[:3], RIGHT, WRONG[3]]})
    settings = Settings(layers=("store", "best_of_n"))
    engine = Engine(settings, store=Store.open(store_dir), sandbox=sandbox, backends=[backend])
    handed: list[Solution] = []
    solution = engine.solve(Problem.from_source(SOURCE, find_stubs(SOURCE)[0]), on_first_pass=handed.append)
    assert solution.status == "unconfirmed" and handed == []
