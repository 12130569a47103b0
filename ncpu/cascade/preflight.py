"""Before any model call: can a body pass at all? The module as written must import, and the examples run.

A sandbox that refuses to run candidates here (no user namespaces, no seccomp, and no opt-in to the
best-effort mode) refuses every candidate; that is said once, before any model call. A stub whose module
fails to import (a missing package, a relative import the sandbox cannot resolve, a
syntax error elsewhere in the file) fails every candidate for a reason no body can fix; without this
check the cascade spent its whole budget on each such stub (7 minutes for 3 stubs). The module is run once,
as the user wrote it, against the checks: a load failure, or an example whose own setup cannot import,
ends the solve with one clear message, and the model is never called.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING

from ncpu.cancel import CancelToken

if TYPE_CHECKING:
    from ncpu.problem import Problem
    from ncpu.sandbox import Sandbox

_UNFIXABLE = re.compile(r"\b(ModuleNotFoundError|ImportError|SyntaxError|IndentationError|TabError)\b")
"""Errors no body of the stub can cause or cure (a NotImplementedError from the placeholder can be cured)."""
_MISSING = re.compile(r"No module named '([^']+)'")


def preflight(problem: Problem, sandbox: Sandbox, cancel: CancelToken | None = None) -> str | None:
    """Why no body can pass, in one line for the user; ``None`` when the solve may go on."""
    if not problem.checks:
        return None
    isolation = sandbox.isolation_details
    if isolation.mode == "refused":  # every candidate would fail: say why once, before any model call
        return isolation.refusal
    verdict = sandbox.verify(problem.source, problem.checks, cancel=cancel)
    where = str(problem.path) if problem.path is not None else "the module"
    if verdict.error is not None and _UNFIXABLE.search(verdict.error):
        detail = verdict.error.removeprefix("module failed to load: ")
        return f"{where} does not import: {detail}{_hint(detail)}"
    for check, result in zip(problem.checks, verdict.results, strict=False):
        if result.error and result.error.startswith("setup") and _UNFIXABLE.search(result.error):
            return f"the example `{check.describe()}` cannot run: {result.error}{_hint(result.error)}"
    return None


def _hint(detail: str) -> str:
    missing = _MISSING.search(detail)
    if missing is not None:
        return f" (candidates run with {sys.executable}: is {missing.group(1)!r} installed there?)"
    if "relative import" in detail:
        return " (the module runs outside its package: imports of the project's own modules are not resolved yet)"
    return ""
