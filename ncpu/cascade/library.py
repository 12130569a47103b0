"""Reuse by behaviour: verified bodies of other stubs with the same arity, tried against new checks."""

from __future__ import annotations

from collections.abc import Sequence

from ncpu.cascade.rename import rename_parameters
from ncpu.store import StoredProgram


def adapt_body(program: StoredProgram, params: Sequence[str]) -> str | None:
    """Rewrite a stored body for new parameter names (by position); ``None`` if it cannot be done safely."""
    return rename_parameters(program.body, program.params, params)


def library_bodies(programs: Sequence[StoredProgram], params: Sequence[str], exclude_key: str) -> list[str]:
    """Distinct adapted bodies from the library, newest first, skipping the problem's own entry."""
    seen: set[str] = set()
    bodies = []
    for program in programs:
        if program.key == exclude_key:
            continue
        body = adapt_body(program, params)
        if body is not None and body not in seen:
            seen.add(body)
            bodies.append(body)
    return bodies
