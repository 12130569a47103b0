from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.conftest import STUB, code_action_params, open_document

BROKEN = "def broken(:\n    pass\n\n\n" + STUB + "\nclass X(\n"


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


async def test_hover_shows_the_extracted_checks(client: LanguageClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "mod.py", STUB)
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri=uri), types.Position(0, 5))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "doctest" in hover.contents.value and 'greet("Ann")' in hover.contents.value


async def test_a_file_with_syntax_errors_still_offers_its_stub(client: LanguageClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "broken.py", BROKEN)
    result = await client.text_document_code_action_async(code_action_params(uri, 4))
    assert result is not None and result[0].title == "Solve with cascade: greet"


async def test_bad_configuration_is_reported_and_the_server_keeps_working(
    client: LanguageClient, workspace: Path
) -> None:
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"ncpu": {"maxSamples": "many", "colour": "blue"}})
    )
    for _ in range(50):
        if len(client.messages) >= 2:
            break
        await asyncio.sleep(0.1)
    texts = " ".join(m.message for m in client.messages)
    assert "ncpu.maxSamples" in texts and "ncpu.colour" in texts
    uri = open_document(client, workspace / "mod.py", STUB)
    result = await client.text_document_code_action_async(code_action_params(uri, 0))
    assert result


async def test_unknown_stub_and_bad_arguments_get_a_message_not_a_crash(
    client: LanguageClient, workspace: Path
) -> None:
    uri = open_document(client, workspace / "mod.py", STUB)
    missing = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="ncpu.solve", arguments=[uri, "nope", 1])
    )
    assert missing["status"] == "no_stub"
    bad = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="ncpu.solve", arguments=[]))
    assert bad["status"] == "bad_arguments"
