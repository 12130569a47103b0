"""Runs checks against a candidate program. Executed only inside the sandboxed child process.

The child *observes* (runs each call, records what it raised, returned or printed) and the worker
*judges* (``ncpu.sandbox.judge``), so a candidate that patches ``__eq__`` or the builtins cannot make
a wrong value pass. ``run_checks`` does both in one process, for trusted code and tests.

This module must stay importable with the standard library alone, and must never be called in
the editor's or the batch runner's own process on model output.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import os
import signal
import sys
import types
from collections.abc import Sequence
from typing import Any

from extraction.check import Check
from ncpu.sandbox.judge import judge, judged_outside
from ncpu.sandbox.values import encode, values_equal
from ncpu.sandbox.verdict import CheckResult, Verdict

__all__ = ["load_module", "observe_program", "run_checks"]

MODULE_NAME = "__ncpu_candidate__"
REPR_LIMIT = 300
_SKIPS = frozenset({"SkipTest", "Skipped"})
"""``unittest.SkipTest`` and pytest's ``Skipped`` (``pytest.skip``, ``importorskip``), by their class names."""
DETAIL_LIMIT = 4000
SHOWN_LIMIT = 1024 * 1024


def _repr(value: Any, limit: int = REPR_LIMIT) -> str:
    try:
        text = repr(value)
    except BaseException as exc:  # a hostile __repr__ must not break the verdict
        text = f"<unrepresentable: {type(exc).__name__}>"
    if not isinstance(text, str):
        text = "<unrepresentable>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe_exception(exc: BaseException) -> str:
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable>"
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= REPR_LIMIT else text[: REPR_LIMIT - 3] + "..."


def _raised_in(exc: BaseException) -> dict[str, str]:
    """For a ``NotImplementedError``: the function it was raised in (``{"raised_in": "Inventory.low_stock"}``)."""
    if not isinstance(exc, NotImplementedError):
        return {}
    try:
        trace = exc.__traceback__
        while trace is not None and trace.tb_next is not None:
            trace = trace.tb_next
        if trace is None:
            return {}
        code = trace.tb_frame.f_code
        return {"raised_in": str(getattr(code, "co_qualname", code.co_name))[:300]}
    except BaseException:
        return {}


def _through_candidate(exc: BaseException, namespace: dict[str, Any]) -> bool:
    """Whether the exception passed through code of the candidate's module (a body raising ``SkipTest``)."""
    own = namespace.get("__file__")
    trace = exc.__traceback__
    try:
        while trace is not None:
            if trace.tb_frame.f_code.co_filename == own:
                return True
            trace = trace.tb_next
    except BaseException:
        return True
    return False


def _exception_line(exc: BaseException) -> str:
    """The exception as a traceback's last line prints it (``mod.Error: message``), which doctest compares.

    Built here as ``traceback.format_exception_only`` builds it, not by calling it: a candidate may have
    replaced that module's functions (the worker judges the line; this process must not forge it).
    """
    kind = type(exc)
    try:
        name = str(type.__getattribute__(kind, "__qualname__"))
        module = type.__getattribute__(kind, "__module__")
        if module not in ("__main__", "builtins") and isinstance(module, str):
            name = f"{module}.{name}"
        message = str(exc.msg) if isinstance(exc, SyntaxError) and exc.msg else str(exc)
        text = f"{name}: {message}" if message else name
    except BaseException:
        text = f"{kind.__name__}: <unprintable>"
    return text if len(text) <= DETAIL_LIMIT else text[: DETAIL_LIMIT - 3] + "..."


def load_module(
    program: str, filename: str = "<candidate>", placement: dict[str, Any] | None = None
) -> types.ModuleType:
    """Execute ``program`` as a fresh module and return it (its name is not ``__main__``).

    With a ``placement`` (``Placement.to_wire``) it is imported under its real dotted name, from its real
    file, with the import roots first on ``sys.path``: its package's ``__init__`` runs first, relative
    imports resolve, and a project module that imports it back gets this program, not the file on disk.
    """
    roots = [str(r) for r in placement.get("roots", ())] if placement is not None else []
    sys.path[:0] = [r for r in roots if r not in sys.path]
    if placement is None or not placement.get("name"):  # no importable name: an anonymous module
        module = types.ModuleType(MODULE_NAME)
        module.__file__ = str(placement["file"]) if placement is not None else filename
        sys.modules[MODULE_NAME] = module
        exec(compile(program, module.__file__, "exec"), module.__dict__)
        return module
    name, path = str(placement["name"]), str(placement["file"])
    for known in [n for n in sys.modules if n == name or name.startswith(n + ".")]:
        if not _from_roots(sys.modules[known], roots):  # a warm stdlib module of the same name
            del sys.modules[known]
    sys.meta_path.insert(0, _ServedSource(name, path, program, bool(placement.get("package"))))
    importlib.invalidate_caches()
    module = importlib.import_module(name)
    sys.modules[MODULE_NAME] = module
    return module


def _from_roots(module: types.ModuleType, roots: Sequence[str]) -> bool:
    where = getattr(module, "__file__", None) or ""
    return bool(where) and any(os.path.abspath(where).startswith(os.path.join(root, "")) for root in roots)


class _ServedSource(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds one module by name and loads it from the candidate program instead of its file."""

    def __init__(self, name: str, path: str, program: str, package: bool) -> None:
        self.name, self.path, self.program, self.package = name, path, program, package

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        locations = [os.path.dirname(self.path)] if self.package else None
        return importlib.util.spec_from_file_location(
            fullname, self.path, loader=self, submodule_search_locations=locations
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        exec(compile(self.program, self.path, "exec"), module.__dict__)


def _compare_here(scope: dict[str, Any], check: Check, actual: Any) -> dict[str, Any]:
    """A ``value`` check whose expected side is code, not a literal: only this process can evaluate it."""
    try:
        expected = eval(compile(check.expected or "None", "<expected>", "eval"), scope)
        passed = values_equal(actual, expected)
    except BaseException as exc:
        return {"passed": False, "actual": _repr(actual), "error": f"comparison failed: {exc}"}
    return {"passed": passed, "actual": _repr(actual)}


def observe(namespace: dict[str, Any], check: Check) -> dict[str, Any]:
    """Run one check in a copy of the module namespace; report what happened (see ``judge``)."""
    scope = dict(namespace)
    try:
        for statement in check.setup:
            exec(compile(statement, "<setup>", "exec"), scope)
    except BaseException as exc:
        verb = "exited" if isinstance(exc, KeyboardInterrupt | SystemExit) else "failed"
        return {"setup": f"setup {verb}: {_describe_exception(exc)}"}
    if check.mode == "statement":
        try:
            exec(compile(check.call, "<check>", "exec"), scope)
        except AssertionError as exc:
            return {"passed": False, "error": _describe_exception(exc) if str(exc) else "assertion failed"}
        except BaseException as exc:
            if type(exc).__name__ in _SKIPS and not _through_candidate(exc, namespace):
                # the test skipped itself (a missing optional dependency...), not the code under test
                return {"passed": False, "error": _describe_exception(exc), "skipped": _describe_exception(exc)}
            return {"passed": False, "error": _describe_exception(exc), **_raised_in(exc)}
        return {"passed": True}
    stdout = io.StringIO()
    try:
        try:
            code = compile(check.call, "<check>", "eval")
        except SyntaxError:
            if check.mode != "output":
                raise
            code = compile(check.call, "<check>", "exec")  # ``>>> for x in xs: print(x)``: only its output counts
        with contextlib.redirect_stdout(stdout):
            actual = eval(code, scope)
    except BaseException as exc:
        names = [cls.__name__ for cls in type(exc).__mro__]
        return {"raised": _describe_exception(exc), "names": names, "detail": _exception_line(exc), **_raised_in(exc)}
    if check.mode == "value" and check.expected is not None and not judged_outside(check)[0]:
        return _compare_here(scope, check, actual)
    observation: dict[str, Any] = {"value": encode(actual), "actual": _repr(actual)}
    if check.mode == "output":
        printed = stdout.getvalue()
        shown = printed + (_repr(actual, SHOWN_LIMIT) if actual is not None else "")
        observation["shown"] = shown[:SHOWN_LIMIT]
        if actual is None:
            observation["actual"] = None
    return observation


class _CheckClock(BaseException):
    """Raised by ``SIGALRM`` in a check that ran past its own clock (``observe_program(check_seconds=...)``)."""


def _observe_timed(
    namespace: dict[str, Any], check: Check, seconds: float, setitimer: Any, install: Any
) -> dict[str, Any]:
    """``observe`` under a clock of its own: ``{"timeout": seconds}`` when the check ran past it.

    The alarm raises between two bytecodes, so a call stuck inside one C function runs on until the
    candidate's wall clock kills it; a candidate that catches the alarm or stops the timer only loses its
    own clock. A timer that fired counts as a timeout whatever the check did with the exception.
    """
    fired: list[bool] = []

    def expire(signum: int, frame: Any) -> None:
        fired.append(True)
        raise _CheckClock

    try:
        try:
            install(signal.SIGALRM, expire)
            setitimer(signal.ITIMER_REAL, seconds)
            observation = observe(namespace, check)
        finally:
            setitimer(signal.ITIMER_REAL, 0)
    except _CheckClock:
        fired.append(True)
    return {"timeout": seconds} if fired else observation


def observe_program(
    program: str,
    checks: Sequence[Check],
    filename: str = "<candidate>",
    placement: dict[str, Any] | None = None,
    check_seconds: float | None = None,
) -> dict[str, Any]:
    """Load ``program`` and observe every check: ``{"observations": [...]}``, or ``{"error": ...}``.

    With ``check_seconds``, each check has that clock of its own (generated inputs: one slow input is that
    input's timeout, not the whole candidate's).
    """
    setitimer, install = signal.setitimer, signal.signal  # bound before the candidate can replace them
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            module = load_module(program, filename, placement)
    except SyntaxError as exc:
        return {"error": f"SyntaxError: {exc.msg} (line {exc.lineno})"}
    except BaseException as exc:
        return {"error": f"module failed to load: {_describe_exception(exc)}"}
    if check_seconds is None or check_seconds <= 0:
        return {"observations": [observe(module.__dict__, check) for check in checks]}
    return {"observations": [_observe_timed(module.__dict__, c, check_seconds, setitimer, install) for c in checks]}


def _verdict(checks: Sequence[Check], report: dict[str, Any]) -> Verdict:
    if "error" in report:
        return Verdict.failed(len(checks), str(report["error"]))
    results: tuple[CheckResult, ...] = tuple(
        judge(check, observation) for check, observation in zip(checks, report["observations"], strict=True)
    )
    return Verdict(results=results, total=len(checks))


def run_checks(program: str, checks: Sequence[Check], filename: str = "<candidate>") -> Verdict:
    """Observe and judge in this process (trusted code and tests only); a load failure fails everything."""
    return _verdict(checks, observe_program(program, checks, filename))
