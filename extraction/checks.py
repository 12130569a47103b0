"""All the checks for one stub, from everything the user already wrote."""

from __future__ import annotations

from pathlib import Path

from extraction.check import Check
from extraction.doctests import doctest_checks
from extraction.module_tests import module_assert_checks, workspace_test_checks
from extraction.notation import notation_checks
from extraction.stub import Stub


def extract_checks(
    source: str, stub: Stub, *, path: Path | None = None, workspace_root: Path | None = None
) -> list[Check]:
    """Doctests, docstring notation and prose, module asserts, and workspace tests; duplicates dropped."""
    checks: list[Check] = []
    first_line = stub.docstring_line
    if stub.docstring:
        checks += doctest_checks(stub.docstring, first_line)
        if not stub.is_method:
            checks += notation_checks(stub.docstring, stub.name, stub.params, first_line)
    if not stub.is_method:
        checks += module_assert_checks(source, stub.name)
        if path is not None and workspace_root is not None:
            checks += workspace_test_checks(path, stub.name, workspace_root)
    unique: dict[str, Check] = {}
    for check in checks:
        unique.setdefault(check.fingerprint(), check)
    return list(unique.values())
