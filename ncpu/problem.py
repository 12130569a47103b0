"""A problem: one stub in its module, with the checks extracted from what the user wrote."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from extraction.check import Check
from extraction.checks import extract
from extraction.stub import Stub
from ncpu.edit import splice
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

    @classmethod
    def from_source(
        cls, source: str, stub: Stub, *, path: Path | None = None, workspace_root: Path | None = None
    ) -> Problem:
        """Build a problem, extracting the checks from the docstring, module and workspace tests."""
        extracted = extract(source, stub, path=path, workspace_root=workspace_root)
        return cls(source=source, stub=stub, checks=extracted.checks, path=path, skipped_tests=extracted.skipped)

    @cached_property
    def key(self) -> str:
        """The store key: normalized signature, docstring and checks, plus the entry point."""
        return prompt_key(self.stub.signature, self.stub.docstring, self.checks, self.stub.qualified_name)

    def program_with(self, body: str) -> str:
        """The whole module with ``body`` in place of the stub's placeholder: what the sandbox runs."""
        return splice(self.source, self.stub, body)

    @property
    def entry_point(self) -> str:
        """The stub's qualified name."""
        return self.stub.qualified_name
