"""Names a project gives its doctests through pytest's ``doctest_namespace`` fixture, from ``conftest.py``.

A project may write ``>>> semver.match("2.0.0", ">=1.0.0")`` in a module that never imports ``semver``,
because an autouse fixture in a ``conftest.py`` puts it there::

    @pytest.fixture(autouse=True)
    def add_semver(doctest_namespace):
        doctest_namespace["semver"] = semver

Such an example means, to that project, what it means with that name bound. Each
``doctest_namespace["name"] = expression`` of an autouse fixture becomes setup for the doctest checks that
use the name, after the conftest's own top-level absolute imports; the conftest's folder is an import root
of the candidate then, as pytest puts it on ``sys.path``.
"""

from __future__ import annotations

import ast
import functools
import os
import time
from dataclasses import dataclass
from pathlib import Path

MAX_CONFTESTS = 200
_SKIP_DIRS = {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages", ".tox", "build"}


@dataclass(frozen=True)
class NamespaceEntry:
    """One name a conftest binds for doctests, and the statements that bind it."""

    name: str
    statements: tuple[str, ...]
    conftest: Path


def _conftests(workspace: Path) -> list[Path]:
    found: list[Path] = []
    for directory, dirs, files in os.walk(workspace):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        if "conftest.py" in files:
            found.append(Path(directory) / "conftest.py")
            if len(found) >= MAX_CONFTESTS:
                break
    return found


def _is_autouse_fixture(node: ast.FunctionDef) -> bool:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith("fixture"):
            for keyword in decorator.keywords:
                if keyword.arg == "autouse" and isinstance(keyword.value, ast.Constant) and keyword.value.value:
                    return True
    return False


def _entries(path: Path) -> list[NamespaceEntry]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    imports = tuple(
        ast.unparse(node)
        for node in tree.body
        if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and node.level == 0)
    )
    entries = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not _is_autouse_fixture(node):
            continue
        if "doctest_namespace" not in [arg.arg for arg in node.args.args]:
            continue
        for statement in node.body:
            if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
                continue
            target = statement.targets[0]
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == "doctest_namespace"
                and isinstance(target.slice, ast.Constant)
                and isinstance(target.slice.value, str)
                and target.slice.value.isidentifier()
            ):
                name = target.slice.value
                entries.append(NamespaceEntry(name, (*imports, f"{name} = {ast.unparse(statement.value)}"), path))
    return entries


def doctest_namespace(workspace: Path | None) -> dict[str, NamespaceEntry]:
    """Every name the workspace's conftest files bind for doctests (the first conftest found wins a name)."""
    if workspace is None:
        return {}
    workspace = workspace.resolve()
    conftests = _conftests_now(workspace)
    try:
        stamp = tuple((path, path.stat().st_mtime_ns) for path in conftests)
    except OSError:
        stamp = tuple((path, 0) for path in conftests)
    return _namespace(stamp)


_LISTED: dict[Path, tuple[float, tuple[Path, ...]]] = {}
_LIST_SECONDS = 5.0
"""How long a workspace's list of conftest files is reused (the server asks on every edit)."""


def _conftests_now(workspace: Path) -> tuple[Path, ...]:
    now = time.monotonic()
    listed = _LISTED.get(workspace)
    if listed is None or now - listed[0] > _LIST_SECONDS:
        listed = (now, tuple(_conftests(workspace)))
        _LISTED[workspace] = listed
    return listed[1]


@functools.lru_cache(maxsize=32)
def _namespace(stamp: tuple[tuple[Path, int], ...]) -> dict[str, NamespaceEntry]:
    found: dict[str, NamespaceEntry] = {}
    for conftest, _ in stamp:
        for entry in _entries(conftest):
            found.setdefault(entry.name, entry)
    return found
