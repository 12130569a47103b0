"""Where a module sits in its project: its import root, its dotted name, the project's import roots.

Found the way the project's own tests would find them. A module's import root is the first directory up
from it without an ``__init__.py`` (pytest's ``prepend`` import mode), which makes ``src/`` layouts work
by themselves; its dotted name is its path below that root. The workspace's import roots add the
workspace itself (``python -m pytest`` puts it on ``sys.path``), a ``src/`` folder, the package folders
``pyproject.toml`` declares (setuptools ``package-dir`` / ``packages.find.where``, Hatch, Poetry, Flit
and PDM conventions) and pytest's ``pythonpath`` setting.
"""

from __future__ import annotations

import ast
import functools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ModuleLocation:
    """A module's dotted name, whether it is a package's ``__init__``, and the directory it imports from."""

    name: str
    is_package: bool
    root: Path


def _is_identifier_path(parts: Iterable[str]) -> bool:
    return all(part.isidentifier() for part in parts)


def locate_module(path: Path, declared_roots: Iterable[Path] = ()) -> ModuleLocation | None:
    """``path``'s dotted name and import root; ``None`` for a file no import can name (``my-script.py``).

    A module outside any regular package that uses relative imports lives in a namespace package: it is
    named from the nearest declared root above it instead (``src/pkg/mod.py`` -> ``pkg.mod``).
    """
    path = path.resolve()
    is_package = path.name == "__init__.py"
    directory = path.parent
    parts = [] if is_package else [path.stem]
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        parts.insert(0, directory.name)
        directory = directory.parent
    if is_package and not parts:
        parts = [path.parent.name]
        directory = path.parent.parent
    if len(parts) == (0 if is_package else 1) and _uses_relative_imports(path):
        for root in sorted((r.resolve() for r in declared_roots), key=lambda r: -len(r.parts)):
            if root in path.parents:
                relative = path.relative_to(root).with_suffix("").parts
                relative = relative[:-1] if is_package else relative
                if len(relative) > 1 and _is_identifier_path(relative):
                    return ModuleLocation(".".join(relative), is_package, root)
    if not parts or not _is_identifier_path(parts):
        return None
    return ModuleLocation(".".join(parts), is_package, directory)


def _uses_relative_imports(path: Path) -> bool:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(isinstance(node, ast.ImportFrom) and node.level > 0 for node in ast.walk(tree))


def import_roots(workspace: Path | None, module: ModuleLocation | None = None) -> tuple[Path, ...]:
    """The directories to put first on ``sys.path``, most specific first, each existing and distinct."""
    found: list[Path] = []
    if module is not None:
        found.append(module.root)
    if workspace is not None:
        found += declared_roots(workspace)
    unique: dict[Path, None] = {}
    for root in found:
        resolved = root.resolve()
        if resolved.is_dir():
            unique.setdefault(resolved, None)
    return tuple(unique)


def declared_roots(workspace: Path) -> tuple[Path, ...]:
    """What the workspace declares: ``pythonpath``, package folders, ``src/``, then the workspace itself."""
    workspace = workspace.resolve()
    return _declared_roots(workspace, mtime_ns(workspace / "pyproject.toml"))


def mtime_ns(path: Path) -> int:
    """The file's modification time (0 when it is missing): a cache key that changes with the file."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


@functools.lru_cache(maxsize=64)
def _declared_roots(workspace: Path, _pyproject_mtime: int) -> tuple[Path, ...]:
    config = read_pyproject(workspace)
    tool = config.get("tool", {}) if isinstance(config.get("tool"), dict) else {}
    names: list[str] = []
    names += _strings(_dig(tool, "pytest", "ini_options", "pythonpath"))
    setuptools = tool.get("setuptools", {})
    names += _strings(_dig(setuptools, "package-dir", ""))
    names += _strings(_dig(setuptools, "packages", "find", "where"))
    for package in _strings(_dig(tool, "hatch", "build", "targets", "wheel", "packages")):
        names.append(str(Path(package).parent))
    for entry in _dig(tool, "poetry", "packages") or []:
        if isinstance(entry, dict) and isinstance(entry.get("from"), str):
            names.append(entry["from"])
    names += _strings(_dig(tool, "pdm", "build", "package-dir"))
    names.append("src")
    roots = [workspace / name for name in names if name and not Path(name).is_absolute()]
    return (*[r for r in roots if r.is_dir()], workspace)


def read_pyproject(workspace: Path) -> dict[str, Any]:
    """The workspace's ``pyproject.toml`` as a dict (empty when missing or unreadable)."""
    try:
        with open(workspace / "pyproject.toml", "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []
