"""Before any model call: can a body pass at all? The module as written must import, and the examples run.

A sandbox that refuses to run candidates here (no user namespaces, no seccomp, and no opt-in to the
best-effort mode) refuses every candidate; that is said once, before any model call. A stub whose module
fails to import (a missing package, a relative import outside a package, a
syntax error elsewhere in the file) fails every candidate for a reason no body can fix; without this
check the cascade spent its whole budget on each such stub (7 minutes for 3 stubs). The module is run once,
as the user wrote it, against the checks: a load failure, or an example whose own setup cannot import,
ends the solve with one clear message, and the model is never called.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from typing import TYPE_CHECKING

from ncpu.cancel import CancelToken
from ncpu.sandbox.connection import WorkerError

if TYPE_CHECKING:
    from ncpu.problem import Problem
    from ncpu.sandbox import Sandbox
    from ncpu.sandbox.placement import Placement

_UNFIXABLE = re.compile(r"\b(ModuleNotFoundError|ImportError|SyntaxError|IndentationError|TabError)\b")
"""Errors no body of the stub can cause or cure (a NotImplementedError from the placeholder can be cured)."""
_MISSING = re.compile(r"No module named '([^']+)'")


def preflight(problem: Problem, sandbox: Sandbox, cancel: CancelToken | None = None) -> str | None:
    """Why no body can pass, in one line for the user; ``None`` when the solve may go on."""
    if not problem.checks:
        return None
    placement = problem.placement
    try:
        isolation = sandbox.isolation_for(placement)
    except WorkerError as exc:  # the project's interpreter is missing, too old or broken
        return f"candidates cannot run: {exc} (choose the project's interpreter with --python or the python setting)"
    if isolation.mode == "refused":  # every candidate would fail: say why once, before any model call
        return isolation.refusal
    verdict = sandbox.verify(problem.source, problem.checks, cancel=cancel, placement=placement)
    where = str(problem.path) if problem.path is not None else "the module"
    if verdict.error is not None and _UNFIXABLE.search(verdict.error):
        detail = verdict.error.removeprefix("module failed to load: ")
        return f"{where} does not import: {detail}{_hint(detail, placement)}"
    for check, result in zip(problem.checks, verdict.results, strict=False):
        if result.error and result.error.startswith("setup") and _UNFIXABLE.search(result.error):
            return f"the example `{check.describe()}` cannot run: {result.error}{_hint(result.error, placement)}"
    return None


def _hint(detail: str, placement: Placement | None) -> str:
    python = placement.interpreter if placement is not None else sys.executable
    missing = _MISSING.search(detail)
    hidden = _unreadable_roots(placement)
    if missing is not None and hidden:
        return (
            f" (ncpu runs as root, so candidates run as nobody and cannot read {', '.join(hidden)}: "
            "make the project world-readable, or run ncpu as a regular user)"
        )
    if missing is not None:
        name = missing.group(1).partition(".")[0]
        roots = ", ".join(placement.import_roots) if placement is not None and placement.import_roots else "none"
        return (
            f" (candidates run with {python}, import roots: {roots}; is {name!r} installed there? "
            "run with --python path/to/venv/bin/python)"
        )
    if "relative import" in detail:
        return " (the file is not inside a package: no __init__.py beside it)"
    return ""


def _unreadable_roots(placement: Placement | None) -> list[str]:
    """Import roots a candidate cannot list: as root, the sandbox maps candidates to ``nobody``."""
    if placement is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    hidden = []
    for root in placement.import_roots:
        try:
            mode = os.stat(root).st_mode
        except OSError:
            continue
        if mode & 0o005 != 0o005:
            hidden.append(f"{root} (mode {stat.S_IMODE(mode):04o})")
    return hidden
