"""All the checks for one stub, from everything the user already wrote."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from extraction.check import Check
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
        checks += doctest_checks(stub.docstring, first_line, doctest_optionflags(workspace_root))
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
