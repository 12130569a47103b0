"""The stub: a function whose body the user has not written yet, and the placeholder rule that says so."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

PLACEHOLDER_EXCEPTION = "NotImplementedError"
"""What a placeholder raises: ``raise NotImplementedError``, with or without a call (or a cause)."""


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file: byte offsets into the UTF-8 bytes and 0-based (line, column) points.

    Columns are byte columns as tree-sitter reports them; ``end`` is exclusive.
    """

    start_byte: int
    end_byte: int
    start_point: tuple[int, int]
    end_point: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Stub:
    """A function or method whose body is only a docstring and/or a placeholder."""

    name: str
    """The function's own name (``push``)."""
    qualified_name: str
    """Dotted path from the module (``Stack.push``, ``outer.<locals>.inner`` is written ``outer.inner``)."""
    signature: str
    """The ``def`` line(s) up to and including the colon, as written (``async``, annotations included)."""
    docstring: str | None
    """The docstring's value (quotes removed, not dedented), or ``None``."""
    decorators: tuple[str, ...]
    """Each decorator line as written, without the leading ``@``."""
    params: tuple[str, ...]
    """Parameter names in order (``self`` included; ``*args``/``**kw`` as ``args``/``kw``)."""
    indent: str
    """The whitespace that prefixes each line of the body."""
    function_span: Span
    """The whole definition, decorators included."""
    body_span: Span
    """The whole body block (docstring included)."""
    replace_span: Span
    """The placeholder part of the body that a solution replaces: everything after the docstring.

    When the body is only a docstring, this is an empty span at the docstring's end.
    """
    docstring_line: int | None = None
    """1-based line where the docstring starts (its opening quotes), or ``None``."""
    docstring_span: Span | None = None
    """The docstring's literal, from its prefix and opening quotes to its closing quotes, or ``None``."""
    class_name: str | None = None
    """The enclosing class's name for methods, else ``None``."""
    is_async: bool = False
    empty_by_design: str | None = None
    """Why the empty body is meant to stay empty (``"abstract method"``, ``"overload"``, ``"Protocol member"``,
    ``"stub file"``, ``"dunder with an empty body"``), or ``None`` for a stub to solve."""

    @property
    def is_method(self) -> bool:
        """Whether the stub is defined directly in a class body."""
        return self.class_name is not None

    @property
    def line(self) -> int:
        """1-based line of the ``def``."""
        return self.function_span.start_point[0] + 1


def is_placeholder(statement: ast.stmt) -> bool:
    """Whether one statement is a placeholder: ``pass``, ``...`` or ``raise NotImplementedError``.

    The one placeholder rule; ``extraction.stubs`` reads the same rule off tree-sitter's nodes (where
    comments, which ``ast`` drops, count as placeholders too).
    """
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return statement.value.value is Ellipsis
    if isinstance(statement, ast.Raise) and statement.exc is not None:
        raised = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
        return isinstance(raised, ast.Name) and raised.id == PLACEHOLDER_EXCEPTION
    return False


def body_after_docstring(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    """The function's statements without its docstring."""
    body = list(function.body)
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return body[1:]
    return body


def is_placeholder_body(statements: Sequence[ast.stmt]) -> bool:
    """Whether a body after its docstring holds nothing written: no statement, or only placeholders."""
    return all(is_placeholder(statement) for statement in statements)
