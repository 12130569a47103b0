"""All the checks for one stub, from everything the user already wrote."""

from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from extraction.check import Check
from extraction.doctest_namespace import doctest_namespace
from extraction.doctests import doctest_checks
from extraction.module_tests import module_assert_checks, workspace_test_checks
from extraction.notation import notation_checks
from extraction.pytest_config import doctest_optionflags
from extraction.stub import Stub


@dataclass(frozen=True, slots=True)
class Extracted:
    """The checks of one stub, and the workspace tests that could not become checks (with why)."""

    checks: tuple[Check, ...]
    skipped: tuple[str, ...] = ()


def extract(source: str, stub: Stub, *, path: Path | None = None, workspace_root: Path | None = None) -> Extracted:
    """Doctests, docstring notation and prose, module asserts, and workspace tests; duplicates dropped."""
    checks: list[Check] = []
    skipped: list[str] = []
    first_line = stub.docstring_line
    if stub.docstring:
        doctests = doctest_checks(stub.docstring, first_line, doctest_optionflags(workspace_root))
        checks += _with_doctest_namespace(doctests, source, workspace_root)
        if not stub.is_method:
            checks += notation_checks(stub.docstring, stub.name, stub.params, first_line)
    if not stub.is_method:
        checks += module_assert_checks(source, stub.name)
    if path is not None and workspace_root is not None:
        tests = workspace_test_checks(path, stub.name, workspace_root, stub.class_name)
        checks += tests.checks
        skipped += tests.skipped
    unique: dict[str, Check] = {}
    for check in checks:
        unique.setdefault(check.fingerprint(), check)
    return Extracted(tuple(unique.values()), tuple(skipped))


def extract_checks(
    source: str, stub: Stub, *, path: Path | None = None, workspace_root: Path | None = None
) -> list[Check]:
    """The checks of ``extract``."""
    return list(extract(source, stub, path=path, workspace_root=workspace_root).checks)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _with_doctest_namespace(checks: list[Check], source: str, workspace_root: Path | None) -> list[Check]:
    """Doctest checks with the names the project's conftest binds for doctests (``doctest_namespace``) set up."""
    namespace = doctest_namespace(workspace_root)
    if not namespace:
        return checks
    defined = _top_level_names(source)
    result = []
    for check in checks:
        used = set(_IDENTIFIER.findall(" ".join((check.call, *check.setup))))
        wanted = [namespace[name] for name in sorted(used - defined) if name in namespace]
        statements = tuple(dict.fromkeys(s for entry in wanted for s in entry.statements))
        result.append(dataclasses.replace(check, setup=(*statements, *check.setup)) if statements else check)
    return result


def _top_level_names(source: str) -> set[str]:
    """Names the module binds at top level (imports, definitions, assignments): a conftest name must not hide them."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names
