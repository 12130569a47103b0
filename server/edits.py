"""Turning a solution into a workspace edit on the document's current text."""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace import TextDocument

from extraction.stub import Stub
from ncpu.cascade.solution import Solution
from ncpu.edit import note_for, replacement
from server.positions import span_to_range


def body_edit(document: TextDocument, stub: Stub, solution: Solution) -> types.WorkspaceEdit:
    """A versioned edit that replaces the stub's placeholder with the solution's body and its note."""
    assert solution.body is not None
    note = note_for(solution)
    span, text = replacement(document.source, stub, solution.body, note)
    edit = types.TextEdit(range=span_to_range(document, span), new_text=text)
    identifier = types.OptionalVersionedTextDocumentIdentifier(uri=document.uri, version=document.version)
    return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=identifier, edits=[edit])])
