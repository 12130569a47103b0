"""A model process that crashes while the server solves: the server stays up, says so, and solves again.

The scripted fake runs in a real model host process (``modelHost: process``) and kills itself with
``SIGSEGV`` on the first generation; the host restarts in CPU-safe mode and the retry answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.conftest import RIGHT, STUB, code_action_params, fake_settings, open_document

CRASHED = "ncpu: the model process crashed (SIGSEGV) while generating; restarted in CPU-safe mode"


@pytest.fixture
def crash_file(tmp_path: Path) -> Path:
    path = tmp_path / "crashes"
    path.write_text("")
    return path


@pytest.fixture
def settings(tmp_path: Path, crash_file: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("NCPU_MODEL_LOCK", str(tmp_path / "model.lock"))
    script = tmp_path / "script.json"
    welcome = RIGHT.replace("greet", "welcome")
    script.write_text(json.dumps({"greet": RIGHT, "welcome": welcome, "__crash_file__": str(crash_file)}))
    return fake_settings(script, tmp_path / "store", escalate=False, modelHost="process")


async def _solve(client: LanguageClient, uri: str) -> dict[str, Any]:
    result = await client.text_document_code_action_async(code_action_params(uri))
    action = next(a for a in result or [] if isinstance(a, types.CodeAction) and a.command is not None)
    assert action.command is not None
    answer: dict[str, Any] = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=action.command.command, arguments=action.command.arguments)
    )
    return answer


async def test_the_server_survives_a_model_crash_and_tells_the_user(
    client: LanguageClient, workspace: Path, crash_file: Path
) -> None:
    crash_file.write_text("segv\n")
    uri = open_document(client, workspace / "mod.py", STUB)
    first = await _solve(client, uri)
    assert first["status"] == "verified"
    warnings = [m.message for m in client.messages if m.type == types.MessageType.Warning]
    assert CRASHED in warnings
    # The server is still up: a second stub in another file solves on the restarted host.
    other = open_document(client, workspace / "other.py", STUB.replace("greet", "welcome"))
    assert (await _solve(client, other))["status"] == "verified"


async def test_two_crashes_in_a_row_fail_the_solve_and_keep_the_server(
    client: LanguageClient, workspace: Path, crash_file: Path
) -> None:
    crash_file.write_text("segv\nsegv\n")
    uri = open_document(client, workspace / "mod.py", STUB)
    answer = await _solve(client, uri)
    assert answer["status"] == "failed" and "model unavailable" in answer["message"]
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 5))
    )
    assert hover is not None  # still answering
