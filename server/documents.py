"""What the server knows about each open document: its stubs and their problems, per version."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from extraction import find_stubs
from extraction.stub import Stub
from ncpu.problem import Problem


@dataclass
class DocumentStubs:
    """Stubs of one document version; problems are built on first use."""

    uri: str
    version: int | None
    source: str
    stubs: list[Stub]
    workspace_root: Path | None
    python: str | None = None
    """The project's interpreter setting (``None``: found from the workspace)."""
    unreadable: str | None = None
    """Why stubs could not be looked for in this text, when they could not."""
    _problems: dict[str, Problem] = field(default_factory=dict)

    @property
    def path(self) -> Path | None:
        """The file on disk, for workspace-test discovery."""
        fs_path = to_fs_path(self.uri)
        return Path(fs_path) if fs_path else None

    def problem(self, stub: Stub) -> Problem:
        """The problem for ``stub`` (checks from the docstring, the module and workspace tests)."""
        cached = self._problems.get(stub.qualified_name)
        if cached is None:
            cached = Problem.from_source(
                self.source, stub, path=self.path, workspace_root=self.workspace_root, python=self.python
            )
            self._problems[stub.qualified_name] = cached
        return cached

    def stub_named(self, qualified_name: str) -> Stub | None:
        """The stub with this qualified name in this version."""
        return next((s for s in self.stubs if s.qualified_name == qualified_name), None)

    def stubs_in_lines(self, first: int, last: int) -> list[Stub]:
        """Stubs whose definition overlaps lines ``first``..``last`` (0-based, inclusive)."""
        return [
            s for s in self.stubs if s.function_span.start_point[0] <= last and s.function_span.end_point[0] >= first
        ]


class DocumentIndex:
    """Caches ``DocumentStubs`` by URI and version."""

    def __init__(self) -> None:
        self._cache: dict[str, DocumentStubs] = {}
        self.workspace_root: Path | None = None
        self.python: str | None = None
        """The ``python`` setting (cached problems are dropped with ``clear`` when it changes)."""

    def get(self, document: TextDocument) -> DocumentStubs:
        """Stubs of the document's current version (parsed once per version)."""
        cached = self._cache.get(document.uri)
        source = document.source
        if cached is not None and cached.version == document.version and cached.source == source:
            return cached
        try:
            stubs, problem = find_stubs(source, stub_file=document.uri.endswith(".pyi")), None
        except UnicodeEncodeError:  # lone surrogates: JSON can carry them, UTF-8 (and tree-sitter) cannot
            stubs, problem = [], "the text is not valid Unicode (lone surrogates); ncpu skips this document"
        entry = DocumentStubs(document.uri, document.version, source, stubs, self.workspace_root, self.python, problem)
        self._cache[document.uri] = entry
        return entry

    def forget(self, uri: str) -> None:
        """Drop a closed document."""
        self._cache.pop(uri, None)

    def clear(self) -> None:
        """Drop everything (configuration changed)."""
        self._cache.clear()
