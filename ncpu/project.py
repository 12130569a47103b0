"""The user's project as candidates see it: the interpreter they run on and where their module sits.

Third-party imports resolve as in the user's own tests: candidates run under the project's interpreter,
chosen as ``--python`` / the ``python`` setting says (an interpreter, or a virtual environment's folder),
else the workspace's ``.venv`` or ``venv``, else ``$VIRTUAL_ENV``, else the interpreter ncpu runs on. The
module runs under its dotted name with the project's import roots (``extraction.layout``) on ``sys.path``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from extraction.layout import declared_roots, import_roots, locate_module
from ncpu.sandbox.placement import Placement

_VENV_NAMES = (".venv", "venv")


def _venv_python(folder: Path) -> Path | None:
    for relative in ("bin/python", "bin/python3", "Scripts/python.exe"):
        candidate = folder / relative
        if candidate.is_file():
            return candidate
    return None


def project_interpreter(workspace: Path | None, explicit: str | Path | None = None) -> str | None:
    """The interpreter for candidates, or ``None`` for ncpu's own (see the module docstring).

    ``explicit`` may name an interpreter or a virtual environment's folder; it is returned even when it
    does not exist, so that the sandbox says so instead of silently running another interpreter.
    """
    if explicit:
        path = Path(explicit).expanduser()
        if path.is_dir():
            return str(_venv_python(path) or path)
        return str(path)
    folders = [workspace / name for name in _VENV_NAMES] if workspace is not None else []
    if os.environ.get("VIRTUAL_ENV"):
        folders.append(Path(os.environ["VIRTUAL_ENV"]))
    for folder in folders:
        found = _venv_python(folder)
        if found is not None:
            return None if _same_interpreter(found) else str(found)
    return None


def _same_interpreter(path: Path) -> bool:
    """Whether ``path`` is the interpreter ncpu runs on (a venv's ``python`` links to its base: compare prefixes)."""
    here = Path(sys.prefix).resolve()
    return path.parent.parent.resolve() == here or path.resolve() == Path(sys.executable).resolve()


def placement_for(
    path: Path | None,
    workspace: Path | None,
    python: str | None = None,
    pending: tuple[str, ...] = (),
    helpers: tuple[Path, ...] = (),
) -> Placement | None:
    """Where a candidate for the module at ``path`` runs; ``None``: as an anonymous module, on our interpreter.

    ``pending``: the module's other stubs (qualified names), still placeholders. ``helpers``: test files and
    ``conftest.py`` files the checks come from; their import roots come after the module's, as pytest
    (``prepend`` import mode) puts them on ``sys.path`` (``from util import make_tree`` in a test).
    """
    if path is None:
        return None if python is None and not pending else Placement("", "<candidate>", python=python, pending=pending)
    declared = declared_roots(workspace) if workspace is not None else ()
    location = locate_module(path, declared)
    roots = import_roots(workspace, location) if location is not None else import_roots(workspace)
    if location is None:  # a file no import can name (``my-script.py``): anonymous, beside its folder
        roots = (path.resolve().parent, *roots)
    for helper in helpers:
        found = locate_module(helper)
        if found is not None:
            roots = (*roots, found.root)
    return Placement(
        module=location.name if location is not None else "",
        file=str(path.resolve()),
        is_package=location.is_package if location is not None else False,
        python=python,
        import_roots=tuple(dict.fromkeys(str(root) for root in roots)),
        pending=pending,
    )
