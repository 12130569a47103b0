"""Input that is broken, huge or hostile: every request gets an answer (or a protocol error) and the server stays up."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.lsp.conftest import STUB, code_action_params, open_document

FILLER = "".join(f"def helper_{i}(x):\n    return x + {i}\n" for i in range(25_000))


async def _still_serves(client: LanguageClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "healthy.py", STUB)
    actions = await asyncio.wait_for(client.text_document_code_action_async(code_action_params(uri)), 10)
    assert actions and any("greet" in action.title for action in actions)


@pytest.mark.parametrize(
    "text",
    [
        STUB.replace("Greet", "Gr\x00eet\x01\x7f"),  # control bytes, as in a binary file opened by mistake
        "x = " + "1 + " * 100_000 + "1\n\n" + STUB,  # overflows Python's parser
        "x = " + "(" * 1_000 + "\n" + STUB,  # deeply nested and unbalanced
        "def greet(name:\n" + STUB.split("\n", 1)[1],  # a syntax error in the stub itself
        STUB.replace("'Hello, Ann!'", "Traceback (most recent call last):\n    ZeroDivisionError: boom"),
    ],
    ids=["control-bytes", "deep-expression", "deep-parentheses", "syntax-error", "doctest-raises"],
)
async def test_broken_documents_get_answers(client: LanguageClient, workspace: Path, text: str) -> None:
    uri = open_document(client, workspace / "broken.py", text)
    await asyncio.wait_for(client.text_document_code_action_async(code_action_params(uri)), 10)
    await asyncio.wait_for(
        client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 4))),
        10,
    )
    await _still_serves(client, workspace)


async def test_a_50000_line_file(client: LanguageClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "big.py", STUB + "\n\n" + FILLER)
    started = time.monotonic()
    actions = await asyncio.wait_for(client.text_document_code_action_async(code_action_params(uri)), 30)
    assert actions and any("greet" in action.title for action in actions)
    assert time.monotonic() - started < 30


async def test_closed_documents_and_unknown_commands(client: LanguageClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "mod.py", STUB)
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    assert await client.text_document_code_action_async(code_action_params(uri)) is None
    never = (workspace / "never-opened.py").as_uri()
    assert await client.text_document_code_action_async(code_action_params(never)) is None
    hover = types.HoverParams(types.TextDocumentIdentifier(never), types.Position(0, 0))
    assert await client.text_document_hover_async(hover) is None
    solve = types.ExecuteCommandParams(command="ncpu.solve", arguments=[uri, "greet", 1])
    assert (await client.workspace_execute_command_async(solve))["status"] == "not_open"
    for command, arguments in (("ncpu.noSuchCommand", []), ("ncpu.solve", [42]), ("ncpu.solveFile", [None])):
        try:
            answer = await client.workspace_execute_command_async(
                types.ExecuteCommandParams(command=command, arguments=arguments)
            )
        except JsonRpcException:
            continue  # an error response is an answer too
        assert answer is None or answer.get("status") in ("bad_arguments", "not_open")
    await _still_serves(client, workspace)


async def test_a_flood_of_code_actions_and_cancels_while_a_solve_runs(client: LanguageClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "mod.py", STUB)
    solve = client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="ncpu.solve", arguments=[uri, "greet", 1])
    )
    solving = asyncio.ensure_future(solve)
    started = time.monotonic()
    answers = await asyncio.wait_for(
        asyncio.gather(*(client.text_document_code_action_async(code_action_params(uri)) for _ in range(200))), 30
    )
    assert all(answer for answer in answers)
    for msg_id in range(10_000, 10_200):  # cancels for requests that do not exist
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
    assert (await asyncio.wait_for(solving, 30))["status"] == "verified"
    assert time.monotonic() - started < 30
    await _still_serves(client, workspace)
