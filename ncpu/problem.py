"""A problem: one stub in its module, with the checks extracted from what the user wrote."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from extraction.check import Check
from extraction.checks import extract
from extraction.doctest_namespace import doctest_namespace
from extraction.stub import Stub
from extraction.stubs import find_stubs
from ncpu.edit import splice
from ncpu.project import placement_for, project_interpreter
from ncpu.sandbox.placement import Placement
from ncpu.store.keys import prompt_key


@dataclass(frozen=True)
class Problem:
    """Everything the cascade may look at: the module text, the stub and its checks (nothing hidden)."""

    source: str
    stub: Stub
    checks: tuple[Check, ...]
    path: Path | None = None
    skipped_tests: tuple[str, ...] = ()
    """Workspace tests that call the stub but cannot run here (``test_x.py::test_y: needs fixture capsys``)."""
    placement: Placement | None = None
    """Where candidates run: the module's dotted name, the project's interpreter and import roots."""

    @classmethod
    def from_source(
        cls,
        source: str,
        stub: Stub,
        *,
        path: Path | None = None,
        workspace_root: Path | None = None,
        python: str | Path | None = None,
    ) -> Problem:
        """Build a problem, extracting the checks from the docstring, module and workspace tests.

        ``python``: the project's interpreter (or its virtual environment); by default the workspace's.
        """
        extracted = extract(source, stub, path=path, workspace_root=workspace_root)
        interpreter = project_interpreter(workspace_root, python)
        others = tuple(s.qualified_name for s in find_stubs(source) if s.qualified_name != stub.qualified_name)
        return cls(
            source=source,
            stub=stub,
            checks=extracted.checks,
            path=path,
            skipped_tests=extracted.skipped,
            placement=placement_for(
                path, workspace_root, interpreter, others, _helper_files(extracted.checks, workspace_root)
            ),
        )

    @cached_property
    def key(self) -> str:
        """The store key: normalized signature, docstring and checks, plus the entry point."""
        return prompt_key(self.stub.signature, self.stub.docstring, self.checks, self.stub.qualified_name)

    def program_with(self, body: str) -> str:
        """The whole module with ``body`` in place of the stub's placeholder: what the sandbox runs."""
        return splice(self.source, self.stub, body)

    @cached_property
    def module_names(self) -> frozenset[str]:
        """The functions and classes the module defines at top level (what an answer may only echo)."""
        try:
            tree = ast.parse(self.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return frozenset()
        kinds = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        return frozenset(node.name for node in tree.body if isinstance(node, kinds))

    @property
    def entry_point(self) -> str:
        """The stub's qualified name."""
        return self.stub.qualified_name


def _helper_files(checks: tuple[Check, ...], workspace_root: Path | None) -> tuple[Path, ...]:
    """The test files the checks come from, and the conftest files that bind names for doctests."""
    files = {Path(check.path) for check in checks if check.path}
    if any(check.origin == "doctest" for check in checks):
        files |= {entry.conftest for entry in doctest_namespace(workspace_root).values()}
    return tuple(sorted(files))
