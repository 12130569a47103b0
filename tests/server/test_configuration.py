"""Settings: ``initializationOptions``, ``workspace/didChangeConfiguration`` and ``workspace/configuration``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.conftest import STUB, code_action_params, open_document


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


async def _messages_with(client: LanguageClient, text: str, count: int = 1) -> list[str]:
    for _ in range(100):
        found = [m.message for m in client.messages if text in m.message]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no message with {text!r}: {[m.message for m in client.messages]}")


def _count_pulls(client: LanguageClient) -> list[str | None]:
    """The sections the server asks the client for from now on (``workspace/configuration``)."""
    asked: list[str | None] = []
    answer = client.get_configuration

    def counting(*, section: str | None = None, scope_uri: str | None = None) -> Any:
        asked.append(section)
        return answer(section=section, scope_uri=scope_uri)

    client.get_configuration = counting  # type: ignore[method-assign]
    return asked


async def test_a_change_notification_without_settings_pulls_the_section(
    client: LanguageClient, settings: dict[str, Any]
) -> None:
    """Neovim's way: the notification carries nothing; the server asks for ``ncpu``."""
    client.set_configuration({"ncpu": {**settings, "pulledOnly": 1}})
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await _messages_with(client, "unknown setting ncpu.pulledOnly ignored")


async def test_a_pushed_section_applies_at_once_and_the_same_pulled_section_is_not_reported_again(
    client: LanguageClient, settings: dict[str, Any]
) -> None:
    """VS Code's way: the notification carries the section, and the client serves the same on request."""
    section = {**settings, "maxSamples": 0}
    client.set_configuration({"ncpu": section})
    asked = _count_pulls(client)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"ncpu": section}))
    await _messages_with(client, "setting ncpu.maxSamples must be positive, got 0; using the default")
    for _ in range(100):
        if asked:
            break
        await asyncio.sleep(0.05)
    assert asked and set(asked) == {"ncpu"}  # (the pull at ``initialized`` may be among them)
    # One more round trip: the server has read the client's answer before it answers this.
    await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier("file:///never-opened.py"), types.Position(0, 0))
    )
    shown = [m.message for m in client.messages if "ncpu.maxSamples" in m.message]
    assert shown == ["ncpu: setting ncpu.maxSamples must be positive, got 0; using the default"]


@pytest.mark.parametrize("client_configuration", [{"fromTheClient": 1}])
async def test_the_section_is_pulled_at_start(client: LanguageClient, client_configuration: dict[str, Any]) -> None:
    await _messages_with(client, "unknown setting ncpu.fromTheClient ignored")


async def test_a_client_without_a_section_keeps_the_initialization_options(
    client: LanguageClient, workspace: Path
) -> None:
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    await asyncio.sleep(0.3)
    uri = open_document(client, workspace / "mod.py", STUB)
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="ncpu.solve", arguments=[uri, "greet", 1])
    )
    assert result["status"] == "verified"  # still the fake backend of the initialization options
