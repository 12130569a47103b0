"""Scoring a final answer on the hidden tests, in the sandbox, after the cascade has finished.

Nothing here is visible to the cascade: it is called only with the body the cascade returned.
HumanEval+ is scored the way EvalPlus does it: the canonical solution runs on ``base_input`` and
``plus_input`` to give the expected outputs; the candidate's outputs are compared (floats with
``atol``), with a per-input time limit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from extraction.check import Check
from ncpu.bench.datasets import BenchProblem
from ncpu.sandbox import Sandbox

_PLUS_RUNNER = """
import copy as _copy, json as _json, math as _math, signal as _signal

def _ncpu_equal(a, b, atol):
    if isinstance(b, float) or isinstance(a, float):
        numbers = (int, float)
        if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, numbers) or not isinstance(b, numbers):
            return False
        if _math.isnan(a) and _math.isnan(b):
            return True
        return _math.isclose(a, b, rel_tol=1e-07, abs_tol=max(atol, 1e-6))
    if isinstance(b, (list, tuple)) and isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_ncpu_equal(x, y, atol) for x, y in zip(a, b))
    return a == b

def _ncpu_timeout(signum, frame):
    raise TimeoutError("input timed out")

def _ncpu_score(candidate, reference, inputs, atol, per_input):
    _signal.signal(_signal.SIGALRM, _ncpu_timeout)
    for index, args in enumerate(inputs):
        expected = reference(*_copy.deepcopy(args))
        _signal.setitimer(_signal.ITIMER_REAL, per_input)
        try:
            actual = candidate(*_copy.deepcopy(args))
        finally:
            _signal.setitimer(_signal.ITIMER_REAL, 0)
        assert _ncpu_equal(actual, expected, atol), f"input {index} wrong"
"""


@dataclass(frozen=True)
class Score:
    """Hidden-test outcome of one final answer."""

    base: bool
    plus: bool | None
    detail: str = ""


def _reference_module(problem: BenchProblem) -> str:
    return problem.prompt + problem.canonical_solution


def score(sandbox: Sandbox, problem: BenchProblem, program: str, *, plus: bool) -> Score:
    """Run the hidden tests on ``program`` (the prompt with the final body in place)."""
    base_check = Check(
        origin="workspace_test",
        call=f"{problem.test}\ncheck({problem.entry_point})",
        expected=None,
        mode="statement",
    )
    base = sandbox.verify(program, [base_check])
    plus_ok: bool | None = None
    detail = base.error or (base.results[0].error if base.results and not base.ok else "") or ""
    if plus and (problem.base_inputs or problem.plus_inputs):
        inputs = json.dumps(problem.base_inputs + problem.plus_inputs)
        reference = json.dumps(_reference_module(problem))
        setup = (
            _PLUS_RUNNER,
            f"_ncpu_ref_ns = {{}}\nexec({reference}, _ncpu_ref_ns)",
        )
        plus_check = Check(
            origin="workspace_test",
            call=(
                f"_ncpu_score({problem.entry_point}, _ncpu_ref_ns[{problem.entry_point!r}], "
                f"_json.loads({inputs!r}), {problem.atol!r}, 4.0)"
            ),
            expected=None,
            mode="statement",
            setup=setup,
        )
        verdict = sandbox.verify(program, [plus_check])
        plus_ok = base.ok and verdict.ok
        if not verdict.ok and not detail:
            detail = verdict.error or (verdict.results[0].error if verdict.results else "") or ""
    return Score(base=base.ok, plus=plus_ok, detail=detail[:300])
