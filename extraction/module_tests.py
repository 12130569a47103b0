"""Checks from outside the docstring: ``assert`` lines in the module, and tests in the workspace."""

from __future__ import annotations

import ast
import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path

from extraction.asserts import assert_check
from extraction.check import Check
from extraction.errors import SourceError
from extraction.layout import declared_roots, locate_module
from extraction.source import read_source
from extraction.workspace_tests import Fixture, WorkspaceTests, fixtures_in, is_fixture, is_testcase, tests_calling

MAX_TEST_FILES = 2_000
_SKIP_DIRS = {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages", ".tox", "build"}


_TOP_LEVEL_ASSERT = re.compile(r"^assert\b", re.MULTILINE)


def module_assert_checks(source: str, name: str) -> list[Check]:
    """Top-level ``assert`` statements that call ``name``."""
    if name not in source or not _TOP_LEVEL_ASSERT.search(source):
        return []  # parsing a large module costs a second; most have no top-level assert
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # deeply nested code overflows the parser
        return []
    checks = []
    for node in tree.body:
        if isinstance(node, ast.Assert):
            text = ast.get_source_segment(source, node) or ast.unparse(node)
            check = assert_check(node, name, "assert", node.lineno, text)
            if check is not None:
                checks.append(check)
    return checks


def _test_files(root: Path) -> Iterator[Path]:
    count = 0
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for file_name in sorted(files):
            if file_name.endswith(".py") and (file_name.startswith("test_") or file_name.endswith("_test.py")):
                count += 1
                if count > MAX_TEST_FILES:
                    return
                yield Path(directory) / file_name


def _module_name(path: Path, root: Path) -> str:
    """The stub module's dotted name, as the sandbox imports it (``extraction.layout``)."""
    location = locate_module(path, declared_roots(root))
    if location is not None:
        return location.name
    relative = path.resolve().relative_to(root.resolve()).with_suffix("")
    parts = list(relative.parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    return ".".join(parts)


def _imports_stub(tree: ast.Module, module: str, name: str) -> tuple[bool, list[str], list[str]]:
    """(imports the stub?, import lines to keep, aliases bound to the stub's module).

    The candidate runs as ``module`` itself, so an import of it or of a package above it (``from
    inventory import Inventory`` where ``inventory/__init__.py`` re-exports it) is kept as written: it
    imports the candidate. An import under another name for the same file (the tests' own layout) binds
    the candidate instead: its names come from the module's namespace, or the alias from ``sys.modules``.
    """
    short = module.rsplit(".", 1)[-1]
    packages = {module.rsplit(".", depth)[0] for depth in range(module.count(".") + 1)}
    keep: list[str] = []
    aliases: list[str] = []
    found = False
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and any(a.name == name for a in node.names):
            if node.module in packages:
                found = True
                keep.append(ast.unparse(node))
                continue
            if node.module and node.module.endswith(short):
                found = True
                continue
        if isinstance(node, ast.Import):
            bound = False
            for alias in node.names:
                if alias.name == module:
                    found = True
                elif alias.name.endswith("." + short) or alias.name == short:
                    aliases.append(alias.asname or alias.name)
                    found = bound = True
            if bound:
                continue
        if isinstance(node, ast.Import | ast.ImportFrom) or _imports_only(node):
            keep.append(ast.unparse(node))
    return found, keep, aliases


def _imports_only(node: ast.stmt) -> bool:
    """``try: import cPickle as pickle`` / ``except ImportError: import pickle``: imports, chosen at run time."""
    if not isinstance(node, ast.Try | ast.If) or (isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)):
        return False
    blocks = [node.body, node.orelse, *([h.body for h in node.handlers] if isinstance(node, ast.Try) else [])]
    allowed = ast.Import | ast.ImportFrom | ast.Pass | ast.Assign
    return all(isinstance(statement, allowed) or _imports_only(statement) for block in blocks for statement in block)


def _absolute_imports(code: str, test_file: Path, root: Path) -> str:
    """A test module's relative imports (``from .util import x``) made absolute: they run in the stub's module."""
    if "from ." not in code:
        return code
    location = locate_module(test_file, declared_roots(root))
    if location is None:
        return code
    package = location.name if location.is_package else location.name.rpartition(".")[0]
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            parts = package.split(".") if package else []
            base = parts[: len(parts) - (node.level - 1)] if node.level - 1 <= len(parts) else []
            if not base:
                return code  # beyond the top package: leave it to fail as it would
            node.module = ".".join([*base, *([node.module] if node.module else [])])
            node.level = 0
    return ast.unparse(tree)


def _parse_test_file(path: Path) -> tuple[str, ast.Module] | None:
    """Parse a test file once per content version (the server asks again on every edit of the stub's file)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _parse_cached(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4096)
def _parse_cached(path: Path, mtime_ns: int, size: int) -> tuple[str, ast.Module] | None:
    try:
        source = read_source(path)
        return source, ast.parse(source)
    except (SourceError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _conftest_fixtures(test_file: Path, root: Path) -> dict[str, Fixture]:
    """Fixtures of every ``conftest.py`` from the workspace root down to the test's directory (nearest wins)."""
    found: dict[str, Fixture] = {}
    directory = test_file.parent.resolve()
    chain = [directory, *directory.parents]
    root = root.resolve()
    for folder in reversed([d for d in chain if d == root or root in d.parents]):
        parsed = _parse_test_file(folder / "conftest.py")
        if parsed is not None:
            found.update(fixtures_in(parsed[1], with_imports=True))
    return found


def _helpers(tree: ast.Module, source: str) -> tuple[str, ...]:
    """The test module's own constants, helper functions and classes, which its tests may use."""
    keep: list[str] = []
    for node in tree.body:
        is_test = isinstance(node, ast.FunctionDef) and node.name.startswith("test")
        is_test_class = isinstance(node, ast.ClassDef) and (node.name.startswith("Test") or is_testcase(node))
        fixture = isinstance(node, ast.FunctionDef) and is_fixture(node)
        if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Assign | ast.AnnAssign) and not (
            is_test or is_test_class or fixture
        ):
            keep.append(ast.get_source_segment(source, node) or ast.unparse(node))
    return tuple(keep)


def workspace_test_checks(stub_path: Path, name: str, root: Path, class_name: str | None = None) -> WorkspaceTests:
    """Tests in ``test_*.py`` / ``*_test.py`` that import the stub (or its class) and call it."""
    found = WorkspaceTests()
    try:
        module = _module_name(stub_path, root)
    except ValueError:
        return found
    imported = class_name or name
    for test_file in _test_files(root):
        if test_file.resolve() == stub_path.resolve():
            continue
        parsed = _parse_test_file(test_file)
        if parsed is None:
            continue
        source, tree = parsed
        imports_it, imports, aliases = _imports_stub(tree, module, imported)
        if not imports_it:
            continue
        setup = [_absolute_imports(line, test_file, root) for line in imports]
        setup += [f"import sys as _ncpu_sys\n{alias} = _ncpu_sys.modules['__ncpu_candidate__']" for alias in aliases]
        fixtures = {**_conftest_fixtures(test_file, root), **fixtures_in(tree)}
        tests = tests_calling(tree, test_file, name, tuple(setup), fixtures, _helpers(tree, source))
        found.checks += tests.checks
        found.skipped += tests.skipped
    return found
