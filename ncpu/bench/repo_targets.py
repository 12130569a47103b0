"""Targets of the repo benchmark: functions and methods found with ``ast``, picked, and blanked.

A target is a module-level function or a method of a module-level class that has a docstring and a body
of modest size. Blanking keeps the signature, decorators and docstring and replaces the rest of the body
with ``raise NotImplementedError`` at the body's indentation, so the file stays valid Python and the
stub is exactly what a user would leave for ``ncpu solve``.
"""

from __future__ import annotations

import ast
import random
from collections.abc import Iterable
from dataclasses import dataclass

from extraction.stub import is_placeholder_body

MIN_BODY_LINES = 2
MAX_BODY_LINES = 25
_SKIPPED_DECORATORS = frozenset(
    {
        "abstractmethod",
        "abstractproperty",
        "overload",
        "setter",
        "deleter",
        "cached_property",
        "singledispatch",
        "register",
    }
)
"""Decorators whose functions are empty by design or not plain code to write (the last name of the decorator)."""


@dataclass(frozen=True)
class Candidate:
    """A function or method that could be blanked."""

    file: str
    """Path relative to the library root."""
    qualified_name: str
    """``name`` or ``Class.name``."""
    kind: str
    """``function`` or ``method``."""
    line: int
    """The ``def`` line (1-based)."""
    body_start: int
    """First line (1-based) of the body after the docstring."""
    body_end: int
    """Last line (1-based) of the body."""
    indent: str
    """The body's indentation."""

    @property
    def name(self) -> str:
        """The bare name (what a test calls)."""
        return self.qualified_name.rpartition(".")[2]

    @property
    def target_id(self) -> str:
        """``file::qualified_name``: unique within a library."""
        return f"{self.file}::{self.qualified_name}"


def _decorator_names(node: ast.FunctionDef) -> set[str]:
    names = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute):
            names.add(target.attr)
        elif isinstance(target, ast.Name):
            names.add(target.id)
    return names


def _candidate(node: ast.FunctionDef, file: str, prefix: str, lines: list[str]) -> Candidate | None:
    name = node.name
    if name.startswith("__") and name.endswith("__"):
        return None
    if _decorator_names(node) & _SKIPPED_DECORATORS:
        return None
    if ast.get_docstring(node) is None or len(node.body) < 2:
        return None
    docstring, first = node.body[0], node.body[1]
    rest = node.body[1:]
    if is_placeholder_body(rest) or docstring.end_lineno is None or first.lineno <= docstring.end_lineno:
        return None
    end = node.end_lineno or first.lineno
    if not MIN_BODY_LINES <= end - first.lineno + 1 <= MAX_BODY_LINES:
        return None
    line = lines[first.lineno - 1]
    indent = line[: len(line) - len(line.lstrip())]
    if len(indent) != first.col_offset:  # a tab mixed in, or a statement that does not start its line
        return None
    kind = "method" if prefix else "function"
    return Candidate(file, prefix + name, kind, node.lineno, first.lineno, end, indent)


def find_candidates(source: str, file: str) -> list[Candidate]:
    """Module-level functions and methods of module-level classes that may be blanked, in file order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    lines = source.splitlines()
    found: list[Candidate] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            candidate = _candidate(node, file, "", lines)
            if candidate is not None:
                found.append(candidate)
        elif isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, ast.FunctionDef):
                    candidate = _candidate(member, file, node.name + ".", lines)
                    if candidate is not None:
                        found.append(candidate)
    return found


def blank(source: str, candidate: Candidate) -> str:
    """``source`` with the candidate's body after its docstring replaced by ``raise NotImplementedError``."""
    lines = source.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    stub_line = f"{candidate.indent}raise NotImplementedError{newline}"
    blanked = [*lines[: candidate.body_start - 1], stub_line, *lines[candidate.body_end :]]
    return "".join(blanked)


def ordered(candidates: Iterable[Candidate], seed: int) -> list[Candidate]:
    """A deterministic order to validate in: sorted, shuffled with ``seed``, then kinds taken in turn.

    Alternating kinds keeps methods from being crowded out in libraries made mostly of functions.
    """
    by_kind: dict[str, list[Candidate]] = {}
    for candidate in sorted(candidates, key=lambda c: (c.file, c.line, c.qualified_name)):
        by_kind.setdefault(candidate.kind, []).append(candidate)
    rng = random.Random(seed)
    queues = []
    for kind in sorted(by_kind):
        queue = by_kind[kind]
        rng.shuffle(queue)
        queues.append(queue)
    result: list[Candidate] = []
    while any(queues):
        for queue in queues:
            if queue:
                result.append(queue.pop(0))
    return result
