"""Validation of repo-benchmark targets: the chosen tests pass on the original and fail on the blanked variant.

The chosen tests of a target are the library's test modules that mention its bare name (a word match);
when none does, the whole test suite. A target is kept only when ``ncpu solve`` would see exactly it as
the file's one stub, the original library passes those tests, and the blanked variant fails them. Each
test run is ``python -m pytest -x -q -p no:cacheprovider`` with a timeout, bytecode writing off (a
blanked file must never be shadowed by a cached one) and no third-party plugin loaded (plain pytest). The blanked variant must fail by failing tests
(pytest exit 1), not by failing to collect them: a target whose module breaks at import is left out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extraction import find_stubs
from ncpu.bench.repo_sources import Library, copy_tree, library_test_files, source_files
from ncpu.bench.repo_targets import Candidate, blank, find_candidates, ordered

PYTEST_FLAGS = ("-x", "-q", "-p", "no:cacheprovider")
TAIL_CHARS = 1500
PYTEST_TESTS_FAILED = 1
"""pytest's exit status when tests ran and some failed (2 and up: collection errors, interruptions)."""


@dataclass(frozen=True)
class SuiteRun:
    """One pytest run's outcome."""

    passed: bool
    returncode: int
    seconds: float
    tail: str
    """The end of pytest's output (the failure, when there is one)."""


def pytest_command(library: Library, tests: list[str]) -> list[str]:
    """The library's own test command for the chosen test files."""
    return [sys.executable, "-m", "pytest", *PYTEST_FLAGS, *library.pytest_args, *tests]


def suite_environment(library: Library, root: Path) -> dict[str, str]:
    """The environment of a test run in ``root``: the library's import root first on ``PYTHONPATH``."""
    env = dict(os.environ)
    paths = [str((root / library.import_root).resolve())]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # plain pytest: no plugin of this environment (and 10x faster)
    return env


def run_tests(library: Library, root: Path, tests: list[str], timeout: float) -> SuiteRun:
    """Run the chosen tests in ``root``; passing means pytest's exit status 0 (no test collected is a failure)."""
    started = time.monotonic()
    try:
        answer = subprocess.run(
            pytest_command(library, tests),
            cwd=root,
            env=suite_environment(library, root),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return SuiteRun(False, -1, round(time.monotonic() - started, 2), f"timed out after {timeout:.0f} s")
    output = (answer.stdout + answer.stderr).strip()
    return SuiteRun(
        answer.returncode == 0, answer.returncode, round(time.monotonic() - started, 2), output[-TAIL_CHARS:]
    )


def mentions(name: str, text: str) -> bool:
    """Whether ``text`` has ``name`` as a whole word."""
    return re.search(rf"\b{re.escape(name)}\b", text) is not None


def calls(name: str, text: str) -> bool:
    """Whether ``text`` calls ``name`` directly: ``name(`` or ``.name(``."""
    return re.search(rf"(?<![\w]){re.escape(name)}\s*\(", text) is not None


def choose_tests(name: str, test_sources: dict[str, str]) -> tuple[list[str], bool]:
    """The test files that mention ``name`` (else all of them), and whether any of them calls it by name."""
    chosen = [path for path, text in sorted(test_sources.items()) if mentions(name, text)]
    if not chosen:
        return sorted(test_sources), False
    return chosen, any(calls(name, test_sources[path]) for path in chosen)


def is_sole_stub(original: str, blanked: str, qualified_name: str) -> bool:
    """Whether ``ncpu solve`` sees no stub in the original and exactly this one in the blanked file."""
    if find_stubs(original):
        return False
    return [stub.qualified_name for stub in find_stubs(blanked)] == [qualified_name]


def library_candidates(library: Library, root: Path) -> list[Candidate]:
    """Every candidate in the library's source files."""
    found: list[Candidate] = []
    for file in source_files(library, root):
        found.extend(find_candidates((root / file).read_text(encoding="utf-8"), file))
    return found


def validate_library(
    library: Library,
    pristine: Path,
    scratch: Path,
    *,
    per_kind: int,
    seed: int,
    timeout: float,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Validate candidates in the seeded order, keeping up to ``per_kind`` functions and ``per_kind`` methods.

    One record is yielded per candidate tried; a candidate of a kind already full is not tried.

    ``scratch`` is a working copy of ``pristine``: each candidate's file is blanked there, tested and restored.
    It should lie outside any project, or pytest may take that project's configuration for the library's.
    """
    root = copy_tree(pristine, scratch)
    tests = library_test_files(library, root)
    test_sources = {path: (root / path).read_text(encoding="utf-8") for path in tests}
    baseline: dict[tuple[str, ...], SuiteRun] = {}
    kept: dict[str, int] = {}
    for candidate in ordered(library_candidates(library, root), seed):
        if kept.get(candidate.kind, 0) >= per_kind:
            continue
        chosen, called = choose_tests(candidate.name, test_sources)
        record: dict[str, Any] = {
            "library": library.name,
            "version": library.version,
            "target_id": f"{library.name}:{candidate.target_id}",
            "file": candidate.file,
            "qualified_name": candidate.qualified_name,
            "kind": candidate.kind,
            "line": candidate.line,
            "body_lines": candidate.body_end - candidate.body_start + 1,
            "tests": chosen,
            "called_by_name": called,
        }
        path = root / candidate.file
        original = path.read_text(encoding="utf-8")
        blanked = blank(original, candidate)
        if not is_sole_stub(original, blanked, candidate.qualified_name):
            record.update(valid=False, reason="not the file's only stub")
        else:
            key = tuple(chosen)
            if key not in baseline:
                baseline[key] = run_tests(library, root, chosen, timeout)
            before = baseline[key]
            path.write_text(blanked, encoding="utf-8")
            try:
                after = run_tests(library, root, chosen, timeout)
            finally:
                path.write_text(original, encoding="utf-8")
            record.update(original_passed=before.passed, blanked_passed=after.passed, seconds=after.seconds)
            if not before.passed:
                record.update(valid=False, reason="original fails its tests", detail=before.tail)
            elif after.passed:
                record.update(valid=False, reason="blanked variant passes its tests")
            elif after.returncode != PYTEST_TESTS_FAILED:
                record.update(valid=False, reason=f"blanked variant does not run (pytest exit {after.returncode})")
            else:
                record.update(valid=True, reason="ok")
                kept[candidate.kind] = kept.get(candidate.kind, 0) + 1
        if progress is not None:
            progress(record)
        yield record
