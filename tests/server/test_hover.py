"""``textDocument/hover``: the checks extracted for the stub under the cursor."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.conftest import STUB, open_document


async def test_hover_shows_the_extracted_checks(client: LanguageClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "mod.py", STUB)
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri=uri), types.Position(0, 5))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "doctest" in hover.contents.value and 'greet("Ann")' in hover.contents.value
