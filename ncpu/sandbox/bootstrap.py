"""Starts the sandbox worker under any Python >= 3.10: the project's interpreter, or ncpu's own.

Run as ``python -c <this file's text>`` (``connection.py``), so that nothing else comes first on
``sys.path``. ncpu's own packages are found by name only (``NCPU_OWN_PACKAGES``: top-level name ->
directory holding it), never through ``sys.path``: a project's ``extraction/`` or ``server/`` package
cannot stand in for ours, and the project's interpreter does not see the rest of ncpu's environment
(its site-packages). Everything the worker imports from there is standard library only. A start-up
failure is reported as one frame (``{"ready": false, "error": ...}``) so the caller can say why.

Standard library only; must not import ncpu before the finder is installed.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import struct
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

MINIMUM = (3, 10)


class OwnPackages:
    """A meta path finder for ncpu's top-level packages, each looked up in its own directory only."""

    def __init__(self, homes: dict[str, str]) -> None:
        self.homes = homes

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        """Our own top-level packages, from their own directory; anything else is not ours to find."""
        home = self.homes.get(name)
        return None if home is None else importlib.machinery.PathFinder.find_spec(name, [home])


def _fail(message: str) -> None:
    body = json.dumps({"ready": False, "error": message}).encode()
    os.write(1, struct.pack(">I", len(body)) + body)
    sys.exit(3)


def main() -> None:
    """Install the finder and run ``ncpu.sandbox.worker`` as ``__main__``."""
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    if sys.version_info < MINIMUM:
        found = ".".join(map(str, sys.version_info[:3]))
        _fail(f"{sys.executable} is Python {found}; the sandbox needs Python {'.'.join(map(str, MINIMUM))} or later")
    try:
        homes = json.loads(os.environ.pop("NCPU_OWN_PACKAGES", "{}"))
        sys.meta_path.insert(0, OwnPackages(homes))
        sys.dont_write_bytecode = True
        worker = importlib.import_module("ncpu.sandbox.worker")
    except Exception as exc:  # a broken interpreter or installation: said once, by the caller
        _fail(f"{sys.executable} cannot start the sandbox worker ({type(exc).__name__}: {exc})")
    worker.main()


if __name__ == "__main__":
    main()
