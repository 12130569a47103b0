"""Input that is broken, huge or hostile: every request gets its one right answer and the server stays up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import LanguageClient

from tests.server.conftest import STUB, code_action_params, open_document

FILLER = "".join(f"def helper_{i}(x):\n    return x + {i}\n" for i in range(25_000))
SOLVE_GREET = "Solve with cascade: greet"
SOLVE_ALL = "Solve all stubs in file (1)"
STORED_GREET = "Solve with cascade: greet (verified, from the store)"


def _titles(actions: Sequence[types.Command | types.CodeAction] | None) -> list[str] | None:
    return None if actions is None else [action.title for action in actions]


async def _still_serves(client: LanguageClient, workspace: Path, first: str = SOLVE_GREET) -> None:
    """A healthy document still gets its code actions (``first``: the stub's, from the store once solved)."""
    uri = open_document(client, workspace / "healthy.py", STUB)
    actions = await asyncio.wait_for(client.text_document_code_action_async(code_action_params(uri)), 10)
    assert _titles(actions) == [first, SOLVE_ALL]


def _hover_text(ann: str) -> str:
    return "\n".join(
        [
            "**ncpu**: `greet` has 2 checks:",
            "",
            f'- *doctest*: `>>> greet("Ann") ⏎ {ann}`',
            "- *doctest*: `>>> greet(\"Bo\") ⏎ 'Hello, Bo!'`",
        ]
    )


@pytest.mark.parametrize(
    ("text", "stub_line", "hover"),
    [
        # Python refuses source with a NUL byte (and extraction reads it as a binary file); tree-sitter marks
        # the function as an error, and a function with a parse error is never offered as a stub.
        (STUB.replace("Greet", "Gr\x00eet\x01\x7f"), None, None),
        # Overflows Python's parser, not tree-sitter's: the stub two lines below is found and its checks shown.
        ("x = " + "1 + " * 100_000 + "1\n\n" + STUB, 2, _hover_text("'Hello, Ann!'")),
        # Unbalanced: the function lies inside the open parenthesis, so it is part of a parse error.
        ("x = " + "(" * 1_000 + "\n" + STUB, None, None),
        # A syntax error in the stub's own signature: not a stub.
        ("def greet(name:\n" + STUB.split("\n", 1)[1], None, None),
        # An example that expects an exception is a check like any other.
        (
            STUB.replace("'Hello, Ann!'", "Traceback (most recent call last):\n    ZeroDivisionError: boom"),
            0,
            _hover_text("Traceback (most recent call last): ⏎ ZeroDivisionError: boom"),
        ),
    ],
    ids=["control-bytes", "deep-expression", "deep-parentheses", "syntax-error", "doctest-raises"],
)
async def test_broken_documents_get_answers(
    client: LanguageClient, workspace: Path, text: str, stub_line: int | None, hover: str | None
) -> None:
    uri = open_document(client, workspace / "broken.py", text)
    line = 0 if stub_line is None else stub_line
    actions = await asyncio.wait_for(client.text_document_code_action_async(code_action_params(uri, line)), 10)
    answer = await asyncio.wait_for(
        client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, 4))),
        10,
    )
    if stub_line is None:  # no stub in the file: nothing to offer, nothing to show
        assert actions is None
        assert answer is None
    else:
        assert _titles(actions) == [SOLVE_GREET, SOLVE_ALL]
        first = actions[0] if actions else None
        assert isinstance(first, types.CodeAction) and first.command is not None
        assert list(first.command.arguments or []) == [uri, "greet", 1]
        assert answer is not None and isinstance(answer.contents, types.MarkupContent)
        assert answer.contents.value == hover
    if stub_line:  # lines above the stub: only the file-wide action, and no hover
        above = await client.text_document_code_action_async(code_action_params(uri, 0))
        assert _titles(above) == [SOLVE_ALL]
        hover_above = types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 4))
        assert await client.text_document_hover_async(hover_above) is None
    await _still_serves(client, workspace)


async def test_a_50000_line_file(client: LanguageClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "big.py", STUB + "\n\n" + FILLER)
    started = time.monotonic()
    actions = await asyncio.wait_for(client.text_document_code_action_async(code_action_params(uri)), 30)
    assert _titles(actions) == [SOLVE_GREET, SOLVE_ALL]  # the 25,000 helpers have bodies: not stubs
    assert time.monotonic() - started < 30


async def _error_shown(client: LanguageClient, message: str) -> None:
    for _ in range(50):
        if any(m.message == message and m.type == types.MessageType.Error for m in client.messages):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not shown: {message!r} in {[m.message for m in client.messages]}")


async def test_closed_documents_and_unknown_commands(client: LanguageClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "mod.py", STUB)
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    assert await client.text_document_code_action_async(code_action_params(uri)) is None
    never = (workspace / "never-opened.py").as_uri()
    assert await client.text_document_code_action_async(code_action_params(never)) is None
    hover = types.HoverParams(types.TextDocumentIdentifier(never), types.Position(0, 0))
    assert await client.text_document_hover_async(hover) is None
    solve = types.ExecuteCommandParams(command="ncpu.solve", arguments=[uri, "greet", 1])
    assert await client.workspace_execute_command_async(solve) == {
        "status": "not_open",
        "message": "the document is not open",
    }
    # A command nobody registered: pygls answers with an Invalid Params error (-32602), not a result.
    unknown = types.ExecuteCommandParams(command="ncpu.noSuchCommand", arguments=[])
    with pytest.raises(JsonRpcInvalidParams, match=r"'ncpu\.noSuchCommand' is not defined"):
        await client.workspace_execute_command_async(unknown)
    # Our commands check their arguments: a result saying so, and an error message for the user.
    bad_solve = types.ExecuteCommandParams(command="ncpu.solve", arguments=[42])
    assert await client.workspace_execute_command_async(bad_solve) == {"status": "bad_arguments"}
    await _error_shown(client, "ncpu.solve expects [uri, function name, version?]")
    bad_file = types.ExecuteCommandParams(command="ncpu.solveFile", arguments=[None])
    assert await client.workspace_execute_command_async(bad_file) == {"status": "bad_arguments"}
    await _error_shown(client, "ncpu.solveFile expects [uri]")
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
    # Each listing is the stub's action, until the solve stores its verified body: from then on (requests are
    # answered in order) the store's instant edit.
    titles = [_titles(answer) for answer in answers]
    stored = sum(title == [STORED_GREET, SOLVE_ALL] for title in titles)
    assert titles == [[SOLVE_GREET, SOLVE_ALL]] * (len(titles) - stored) + [[STORED_GREET, SOLVE_ALL]] * stored
    for msg_id in range(10_000, 10_200):  # cancels for requests that do not exist
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
    solved = await asyncio.wait_for(solving, 30)
    assert solved is not None and solved["status"] == "verified"
    assert time.monotonic() - started < 30
    await _still_serves(client, workspace, first=STORED_GREET)  # the same stub elsewhere: a store hit
