"""What the stub's module imports from its own project: the definitions behind ``from .money import to_cents``.

A person writing the body would open ``money.py`` to see what ``to_cents`` takes and returns. The module
of an import is resolved with the candidate's placement (its dotted name and the project's import roots,
``ncpu.sandbox.placement``), only to files under those roots: third-party and standard-library imports are
the model's own knowledge. Each imported function or class is shown as the module's own are (signature,
docstring, short bodies), under a comment naming the file it comes from.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ncpu.sandbox.placement import Placement

MAX_IMPORTED = 8
"""Imported definitions shown at most (the ones the stub's text names first)."""
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class ImportedDefinition:
    """One project-local definition an import statement of the module brings in."""

    name: str
    """The name it is bound to in the stub's module."""
    path: Path
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    source: str


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str | None:
    """The dotted module an ``ImportFrom`` names, relative imports resolved against ``module``."""
    if node.level == 0:
        return node.module
    package = module if is_package else module.rpartition(".")[0]
    parts = package.split(".") if package else []
    if node.level - 1 > len(parts) or (node.level - 1 == len(parts) and not parts):
        return None
    base = parts[: len(parts) - (node.level - 1)]
    if not base:
        return None
    return ".".join([*base, node.module] if node.module else base)


def _module_file(dotted: str, roots: tuple[str, ...]) -> Path | None:
    relative = Path(*dotted.split("."))
    for root in roots:
        for candidate in (Path(root) / relative.with_suffix(".py"), Path(root) / relative / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


@functools.lru_cache(maxsize=256)
def _parsed(path: Path, _mtime: int) -> tuple[str, ast.Module] | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        text = path.read_text(encoding="utf-8")
        return text, ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _definitions(path: Path) -> tuple[str, dict[str, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]] | None:
    try:
        parsed = _parsed(path, path.stat().st_mtime_ns)
    except OSError:
        return None
    if parsed is None:
        return None
    text, tree = parsed
    found = {
        node.name: node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    return text, found


def imported_definitions(tree: ast.Module, placement: Placement | None) -> list[ImportedDefinition]:
    """The project-local functions and classes the module's top-level ``from ... import`` lines bring in."""
    if placement is None or not placement.module or not placement.import_roots:
        return []
    own = Path(placement.file).resolve()
    found: list[ImportedDefinition] = []
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        dotted = _absolute(placement.module, placement.is_package, node)
        path = _module_file(dotted, placement.import_roots) if dotted else None
        if path is None or path.resolve() == own:
            continue
        definitions = _definitions(path)
        if definitions is None:
            continue
        text, by_name = definitions
        for alias in node.names:
            definition = by_name.get(alias.name)
            if definition is not None:
                found.append(ImportedDefinition(alias.asname or alias.name, path, definition, text))
    return found
