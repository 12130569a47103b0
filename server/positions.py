"""Spans (UTF-8 bytes, as tree-sitter and the engine use) to LSP ranges (the client's units)."""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition

from extraction.stub import Span


def _code_points(document: TextDocument, row: int, byte_column: int) -> ServerTextPosition:
    lines = document.lines
    if row >= len(lines):
        return ServerTextPosition(len(lines), 0)
    text = lines[row].encode()[:byte_column].decode(errors="ignore")
    return ServerTextPosition(row, len(text))


def span_to_range(document: TextDocument, span: Span) -> types.Range:
    """The LSP range of ``span`` in ``document``."""
    start = _code_points(document, *span.start_point)
    end = _code_points(document, *span.end_point)
    return types.Range(document.position_to_client_units(start), document.position_to_client_units(end))


def line_range(document: TextDocument, selection: types.Range) -> tuple[int, int]:
    """The first and last line of a client range."""
    return selection.start.line, selection.end.line
