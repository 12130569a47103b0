"""Deciding each check from what the candidate's process observed, outside that process.

The child runs the call and reports an *observation*: the exception it raised (type names), the
value it returned (``values.encode``) or the text it printed. The worker, which never runs candidate
code, judges it here against the expected outcome it kept to itself: for these checks the expected
value is not even sent to the child (``for_child``). Only ``statement`` checks (arbitrary code such as
``assert f(x) > 0``) and ``value`` checks whose expected side is not a literal (``Point(1, 2)``) are
still decided inside the child, and trusted as far as that process can be (see docs/security.md).

Observations on the wire (one JSON object per check):

* ``{"setup": "setup failed: ..."}``: the check's setup statements failed;
* ``{"raised": "ValueError: x", "names": ["ValueError", "Exception", ...]}``: the call raised;
* ``{"value": <encoded>, "actual": "<repr>", "shown": "<printed text + repr>"}``: the call returned;
* ``{"passed": bool, "actual": ..., "error": ...}``: decided inside the child.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import doctest
import re
from collections.abc import Sequence
from typing import Any

from extraction.check import Check
from ncpu.sandbox.values import Opaque, decode, parse_expected, values_equal
from ncpu.sandbox.verdict import CheckResult

__all__ = ["as_judged", "float_functions", "for_child", "judge", "judge_all", "judged_outside", "output_matches"]

REPR_LIMIT = 300


def judged_outside(check: Check) -> tuple[bool, Any]:
    """Whether the worker decides ``check`` itself, and the expected value it parsed (for ``value``)."""
    if check.mode in ("raises", "output"):
        return True, check.expected
    if check.mode == "value":
        return parse_expected(check.expected)
    return False, None


def as_judged(check: Check) -> Check:
    """``check`` in the form the worker can judge: ``assert CALL == LITERAL`` becomes a ``value`` check.

    A statement check is decided in the candidate, which could forge it; its commonest form compares a
    call with a literal, and then the worker can keep the literal to itself and judge the value.
    """
    if check.mode != "statement" or len(check.call) > 100_000:
        return check
    try:
        tree = ast.parse(check.call)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return check
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        return check
    test = tree.body[0].test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return check
    for call, literal in ((test.left, test.comparators[0]), (test.comparators[0], test.left)):
        source = ast.unparse(literal)
        if parse_expected(source)[0] and not parse_expected(ast.unparse(call))[0]:
            return dataclasses.replace(check, call=ast.unparse(call), expected=source, mode="value")
    return check


def for_child(check: Check) -> Check:
    """The check as the candidate's process sees it: only what it must run, never what the user wrote.

    ``text`` (the example as written, ``>>> f(2)`` / ``4``) and ``path`` would hand the answer over as surely
    as ``expected``; the worker keeps them for messages. The expected outcome goes too when judged outside.
    """
    outside, _ = judged_outside(check)
    blind = dataclasses.replace(check, text="", path=None)
    return dataclasses.replace(blind, expected=None) if outside else blind


def normalize_output(text: str) -> str:
    """Doctest-like comparison: surrounding blank lines and trailing spaces do not count."""
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def output_matches(expected: str, shown: str, options: Sequence[str] = ()) -> bool:
    """Whether printed output matches the example's, as ``doctest.OutputChecker`` decides with its flags.

    ``<BLANKLINE>`` and ``True``/``1`` read as doctest reads them; ``ELLIPSIS``, ``NORMALIZE_WHITESPACE`` and
    the other flags apply when the example (or the project's doctest settings) turned them on. Surrounding
    blank lines and trailing spaces never count.
    """
    want, got = normalize_output(expected), normalize_output(shown)
    if want == got:
        return True
    flags = 0
    for name in options:
        flags |= doctest.OPTIONFLAGS_BY_NAME.get(name, 0)
    return doctest.OutputChecker().check_output(want + "\n", got + "\n", flags)


_MODULE_PREFIX = re.compile(r"(?:[^:]*\.)?([^:]*:)")


def exception_matches(expected: str, detail: str, options: Sequence[str] = ()) -> bool:
    """Whether a raised exception's line matches an expected traceback's, as ``doctest`` decides.

    ``expected``: the example's exception line(s) (``ValueError: negative size``), ``detail``: the raised
    one's as a traceback prints it. The flags apply (``ELLIPSIS``...); with ``IGNORE_EXCEPTION_DETAIL`` only
    the type's name counts, without its module (``doctest.DocTestRunner.__run``).
    """
    flags = 0
    for name in options:
        flags |= doctest.OPTIONFLAGS_BY_NAME.get(name, 0)
    want, got = expected.strip() + "\n", detail.strip() + "\n"
    checker = doctest.OutputChecker()
    if checker.check_output(want, got, flags):
        return True
    if flags & doctest.IGNORE_EXCEPTION_DETAIL:
        wanted, raised = _MODULE_PREFIX.match(want), _MODULE_PREFIX.match(got)
        if wanted is None and ":" not in want:  # a bare name: ``ValueError`` against ``ValueError: why``
            wanted = _MODULE_PREFIX.match(want.strip() + ":")
        if raised is None and ":" not in got:
            raised = _MODULE_PREFIX.match(got.strip() + ":")
        return (
            wanted is not None and raised is not None and checker.check_output(wanted.group(1), raised.group(1), flags)
        )
    return False


_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F) if code not in (0x09, 0x0A)}
"""Control characters a candidate could print to forge a line of a report or a prompt, shown escaped."""


def _text(observation: dict[str, Any], key: str) -> str | None:
    value = observation.get(key)
    return None if value is None else str(value)[:1000].translate(_CONTROL)


def float_functions(program: str) -> frozenset[str]:
    """Top-level functions of ``program`` annotated ``-> float``: their integer examples get a float tolerance."""
    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    return frozenset(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and isinstance(node.returns, ast.Name | ast.Constant)
        and (node.returns.id if isinstance(node.returns, ast.Name) else node.returns.value) == "float"
    )


def _called(call: str) -> str | None:
    """The name of the function a check calls (``f`` in ``f(2, 3)``), when it is that simple."""
    try:
        node = ast.parse(call, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None


_BUILTIN_EXCEPTIONS = {
    name: [cls.__name__ for cls in value.__mro__]
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
}
_MAX_NAMES = 32


def _plausible_names(names: Any) -> bool:
    """Whether ``names`` can be the class names of a real exception's MRO (a list of every name cannot).

    From the first builtin exception in it on, the list must be exactly that builtin's own MRO; the
    candidate's own classes before it must not borrow builtin names.
    """
    if not isinstance(names, list) or not 0 < len(names) <= _MAX_NAMES or not all(isinstance(n, str) for n in names):
        return False
    for index, name in enumerate(names):
        if name in _BUILTIN_EXCEPTIONS:
            return names[index:] == _BUILTIN_EXCEPTIONS[name]
    return False


def judge(
    check: Check, observation: Any, expected: tuple[bool, Any] | None = None, float_result: bool = False
) -> CheckResult:
    """One check's result from the child's observation; anything malformed fails."""
    if not isinstance(observation, dict):
        return CheckResult(passed=False, error="malformed result from the sandbox")
    if "setup" in observation:
        return CheckResult(passed=False, error=_text(observation, "setup"))
    if "timeout" in observation:
        seconds = observation["timeout"]
        clock = f" ({seconds:g} s)" if isinstance(seconds, int | float) and not isinstance(seconds, bool) else ""
        return CheckResult(passed=False, error=f"timed out on this check{clock}", timed_out=True)
    outside, value = expected if expected is not None else judged_outside(check)
    if not outside:
        if "passed" not in observation:
            return CheckResult(passed=False, error="malformed result from the sandbox")
        skipped = _text(observation, "skipped") if check.mode == "statement" else None
        return CheckResult(
            passed=observation["passed"] is True,
            actual=_text(observation, "actual"),
            error=_text(observation, "error"),
            skipped=skipped,
        )
    if "raised" in observation:
        raised = _text(observation, "raised")
        names = observation.get("names")
        if check.mode == "raises" and check.origin == "doctest":
            detail = observation.get("detail")
            passed = isinstance(detail, str) and exception_matches(check.expected or "", detail, check.options)
            return CheckResult(passed=passed, actual=raised) if passed else CheckResult(passed=False, error=raised)
        if check.mode == "raises" and isinstance(names, list) and _plausible_names(names) and check.expected in names:
            return CheckResult(passed=True, actual=raised)
        return CheckResult(passed=False, error=raised)
    if "value" not in observation:
        return CheckResult(passed=False, error="malformed result from the sandbox")
    actual = _text(observation, "actual")
    if check.mode == "raises":
        return CheckResult(passed=False, actual=actual, error=f"expected {check.expected}")
    if check.mode == "output":
        shown = observation.get("shown")
        if not isinstance(shown, str):
            return CheckResult(passed=False, error="malformed result from the sandbox")
        passed = output_matches(check.expected or "", shown, check.options)
        shown = shown[:REPR_LIMIT]
        return CheckResult(passed=passed, actual=actual if actual is not None else shown, shown=shown)
    try:
        returned = decode(observation["value"])
    except (ValueError, RecursionError, MemoryError) as exc:
        return CheckResult(passed=False, actual=actual, error=f"result not judged: {str(exc)[:200]}")
    if isinstance(returned, Opaque):
        return CheckResult(
            passed=False,
            actual=actual,
            error=f"returned {returned.type_name}, which cannot equal a literal (only plain values are compared)",
        )
    try:
        passed = values_equal(returned, value, float_result=float_result)
    except Exception as exc:
        return CheckResult(passed=False, actual=actual, error=f"comparison failed: {exc}")
    return CheckResult(passed=passed, actual=actual)


def judge_all(
    checks: Sequence[Check], observations: Any, program: str = "", pending: Sequence[str] = ()
) -> tuple[CheckResult, ...]:
    """Every check's result; raises ``ValueError`` unless there is exactly one observation per check.

    ``program``: the candidate's source, read (never run) for ``-> float`` annotations. ``pending``: the
    qualified names of the module's other stubs, still placeholders (see ``waiting_for``).
    """
    if not isinstance(observations, list) or len(observations) != len(checks):
        raise ValueError("malformed result from the sandbox")
    floats = float_functions(program) if program else frozenset()
    results = []
    for check, observation in zip(checks, observations, strict=True):
        result = judge(check, observation, float_result=_called(check.call) in floats)
        waits = None if result.passed else waiting_for(check, observation, pending)
        results.append(dataclasses.replace(result, waiting=waits) if waits else result)
    return tuple(results)


def waiting_for(check: Check, observation: Any, pending: Sequence[str]) -> str | None:
    """The other stub a failed check could not run without, if that is why it failed.

    It is when the check raised ``NotImplementedError`` from the placeholder of one of the module's other
    stubs (the child names the function the exception came from) and the check itself calls that stub by
    name: a test of two stubs (``inv.low_stock(3)`` then ``restock_list(inv, 3)``) cannot pass until both have
    bodies. The check's text is the worker's own, so a candidate cannot make an unrelated check wait.
    """
    if not pending or not isinstance(observation, dict):
        return None
    origin = observation.get("raised_in")
    names = observation.get("names")
    if not isinstance(origin, str) or origin not in pending:
        return None
    if not (isinstance(names, list) and names[:1] == ["NotImplementedError"]) and not str(
        observation.get("error", "")
    ).startswith("NotImplementedError"):
        return None
    short = origin.rsplit(".", 1)[-1]
    code = "\n".join((*check.setup, check.call))
    return origin if re.search(rf"\b{re.escape(short)}\s*\(", code) else None
