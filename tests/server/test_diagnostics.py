"""``textDocument/publishDiagnostics``: a hint on each stub."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.conftest import STUB, open_document


async def _wait_for_diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    for _ in range(50):
        if uri in client.diagnostics:
            return client.diagnostics[uri]
        await asyncio.sleep(0.1)
    raise AssertionError("no diagnostics published")


async def test_stubs_get_hint_diagnostics(client: LanguageClient, workspace: Path) -> None:
    text = STUB + '\n\ndef later(x):\n    """Not written yet."""\n'
    uri = open_document(client, workspace / "mod.py", text)
    diagnostics = await _wait_for_diagnostics(client, uri)
    messages = sorted(d.message for d in diagnostics)
    assert messages == [
        "stub with 2 examples: solvable (Solve with cascade)",
        "stub without examples: add a doctest such as >>> later(2)",
    ]
    assert {d.severity for d in diagnostics} == {types.DiagnosticSeverity.Hint}
