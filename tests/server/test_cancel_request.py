"""``$/cancelRequest`` on a running solve, from a plain pygls client over stdio.

(pytest-lsp's client cancels its own future for the request, then trips over the server's
"cancelled" answer; a plain pygls client sees the protocol as an editor does.)
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pygls.lsp.client import LanguageClient

from tests.server.conftest import RIGHT, STUB, code_action_params, fake_settings, write_script


@pytest.mark.parametrize("command", ["ncpu.solve", "ncpu.solveFile"])
async def test_cancel_request_answers_at_once_and_stops_the_work(tmp_path: Path, command: str) -> None:
    # Without the cancel, greedy would return a correct body after 1.5 s and the edit would be applied.
    script = write_script(tmp_path / "slow.json", {"*": [RIGHT], "__delay__": 1.5})
    client = LanguageClient("cancel-test", "1")
    edits: list[types.ApplyWorkspaceEditParams] = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        edits.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    await client.start_io(sys.executable, "-m", "server")
    try:
        settings = fake_settings(script, tmp_path / "store")
        await client.initialize_async(
            types.InitializeParams(capabilities=types.ClientCapabilities(), initialization_options=settings)
        )
        client.initialized(types.InitializedParams())
        path = tmp_path / "mod.py"
        path.write_text(STUB)
        uri = path.as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=STUB))
        )
        arguments: list[object] = [uri, "greet", 1] if command == "ncpu.solve" else [uri]
        params = types.ExecuteCommandParams(command=command, arguments=arguments)
        pending = client.protocol.send_request_async(types.WORKSPACE_EXECUTE_COMMAND, params, msg_id="to-cancel")
        await asyncio.sleep(0.5)
        loop = asyncio.get_running_loop()
        started = loop.time()
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="to-cancel"))
        with pytest.raises(JsonRpcRequestCancelled):
            await asyncio.wait_for(pending, timeout=5)
        assert loop.time() - started < 1.0
        actions = await client.text_document_code_action_async(code_action_params(uri, 0))
        assert actions
        await asyncio.sleep(2.5)
        assert edits == []
        await client.shutdown_async(None)
        client.exit(None)
    finally:
        await client.stop()
