"""Runs checks against a candidate program. Executed only inside the sandboxed child process.

This module must stay importable with the standard library alone, and must never be called in
the editor's or the batch runner's own process on model output.
"""

from __future__ import annotations

import contextlib
import io
import math
import sys
import types
from collections.abc import Sequence
from typing import Any

from extraction.check import Check
from ncpu.sandbox.verdict import CheckResult, Verdict

MODULE_NAME = "__ncpu_candidate__"
REPR_LIMIT = 300
REL_TOL = 1e-6
ABS_TOL = 1e-6


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a hostile __repr__ must not break the verdict
        text = f"<unrepresentable: {type(exc).__name__}>"
    return text if len(text) <= REPR_LIMIT else text[: REPR_LIMIT - 3] + "..."


def _describe_exception(exc: BaseException) -> str:
    message = str(exc)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= REPR_LIMIT else text[: REPR_LIMIT - 3] + "..."


def values_equal(actual: Any, expected: Any) -> bool:
    """Compare like a careful test: floats with a tolerance, containers element by element."""
    if isinstance(expected, float) or (isinstance(actual, float) and isinstance(expected, int)):
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            return False
        if math.isnan(expected) and math.isnan(actual):
            return True
        return math.isclose(actual, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(expected, list | tuple) and type(actual) is type(expected):
        return len(actual) == len(expected) and all(values_equal(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(values_equal(actual[k], expected[k]) for k in expected)
    result = actual == expected
    return result if isinstance(result, bool) else bool(result is True)


def _normalize_output(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def load_module(program: str, filename: str = "<candidate>") -> types.ModuleType:
    """Execute ``program`` as a fresh module and return it (its name is not ``__main__``)."""
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = filename
    sys.modules[MODULE_NAME] = module
    code = compile(program, filename, "exec")
    exec(code, module.__dict__)
    return module


def run_check(namespace: dict[str, Any], check: Check) -> CheckResult:
    """Run one check in a copy of the module namespace."""
    scope = dict(namespace)
    try:
        for statement in check.setup:
            exec(compile(statement, "<setup>", "exec"), scope)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            return CheckResult(passed=False, error=f"setup exited: {_describe_exception(exc)}")
        return CheckResult(passed=False, error=f"setup failed: {_describe_exception(exc)}")
    if check.mode == "statement":
        try:
            exec(compile(check.call, "<check>", "exec"), scope)
        except AssertionError as exc:
            return CheckResult(passed=False, error=_describe_exception(exc) if str(exc) else "assertion failed")
        except BaseException as exc:
            return CheckResult(passed=False, error=_describe_exception(exc))
        return CheckResult(passed=True)
    stdout = io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout):
            actual = eval(compile(check.call, "<check>", "eval"), scope)
    except BaseException as exc:
        if check.mode == "raises" and any(cls.__name__ == check.expected for cls in type(exc).__mro__):
            return CheckResult(passed=True, actual=_describe_exception(exc))
        return CheckResult(passed=False, error=_describe_exception(exc))
    if check.mode == "raises":
        return CheckResult(passed=False, actual=_short_repr(actual), error=f"expected {check.expected}")
    if check.mode == "output":
        shown = stdout.getvalue() + (repr(actual) if actual is not None else "")
        passed = _normalize_output(shown) == _normalize_output(check.expected or "")
        return CheckResult(passed=passed, actual=_short_repr(actual) if actual is not None else shown[:REPR_LIMIT])
    try:
        expected = eval(compile(check.expected or "None", "<expected>", "eval"), scope)
        passed = values_equal(actual, expected)
    except BaseException as exc:
        return CheckResult(passed=False, actual=_short_repr(actual), error=f"comparison failed: {exc}")
    return CheckResult(passed=passed, actual=_short_repr(actual))


def run_checks(program: str, checks: Sequence[Check], filename: str = "<candidate>") -> Verdict:
    """Load ``program`` and run every check; a load failure fails the whole candidate."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            module = load_module(program, filename)
    except SyntaxError as exc:
        return Verdict.failed(len(checks), f"SyntaxError: {exc.msg} (line {exc.lineno})")
    except BaseException as exc:
        return Verdict.failed(len(checks), f"module failed to load: {_describe_exception(exc)}")
    results = tuple(run_check(module.__dict__, check) for check in checks)
    return Verdict(results=results, total=len(checks))


def first_passing(programs: Sequence[str], checks: Sequence[Check]) -> tuple[int, Verdict] | None:
    """Return the index and verdict of the first program that passes every check, if any.

    Used for cheap, trusted candidates (templates, library bodies) that can share one child.
    """
    for index, program in enumerate(programs):
        verdict = run_checks(program, checks)
        if verdict.ok:
            return index, verdict
    return None
