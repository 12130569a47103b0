"""Where a candidate runs: as its module, under its dotted name, on the project's interpreter.

A stub in ``inventory/core.py`` that does ``from .money import to_cents`` can only pass when the candidate
module is ``inventory.core`` inside the real ``inventory`` package, with the project's import roots on
``sys.path`` and its third-party packages importable. ``Placement`` carries that to the sandbox: the worker
runs under ``python`` with ``import_roots`` mounted read-only, and each candidate is imported as ``module``
with its program served in place of the file on disk (``harness.load_module``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Placement:
    """The candidate module's name and file, and the interpreter and import roots it runs with."""

    module: str
    """Dotted name (``inventory.core``); ``__init__.py`` files are their package (``inventory``)."""
    file: str
    """The module's real path, its ``__file__`` (its directory is readable under an import root)."""
    is_package: bool = False
    python: str | None = None
    """The project's interpreter; ``None``: the one ncpu runs on."""
    import_roots: tuple[str, ...] = ()
    """Directories put first on ``sys.path``, readable (never writable) by candidates."""
    pending: tuple[str, ...] = ()
    """The module's other stubs, still placeholders: a check that fails only for want of one of them waits."""

    @property
    def interpreter(self) -> str:
        """The interpreter the worker starts under."""
        return self.python or sys.executable

    def to_wire(self) -> dict[str, Any]:
        """What the candidate is told (the interpreter is the worker's own business)."""
        return {
            "name": self.module,
            "file": self.file,
            "package": self.is_package,
            "roots": list(self.import_roots),
            "pending": list(self.pending),
        }
