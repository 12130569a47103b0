"""``workspace/executeCommand``: ``ncpu.solve`` and ``ncpu.solveFile``, with progress, cancel and edits made meanwhile."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from server import contract
from tests.server.conftest import (
    RIGHT,
    STUB,
    apply_text_edit,
    code_actions,
    edit_of,
    fake_settings,
    open_document,
    write_script,
)


async def test_solve_reports_progress_applies_a_verified_body_and_then_hits_the_store(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "mod.py"
    uri = open_document(client, path, STUB)
    action = (await code_actions(client, uri))[0]
    assert action.command is not None and action.kind == contract.SOLVE_KIND
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=action.command.command, arguments=action.command.arguments)
    )
    assert result["status"] == "verified" and result["layer"] == "retry"
    reports = next(iter(client.progress_reports.values()))
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    messages = [r.message for r in reports if isinstance(r, types.WorkDoneProgressReport)]
    assert "greedy" in messages and "retry 1/4" in messages
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    edited = apply_text_edit(STUB, edit_of(client.applied_edits[0]))  # type: ignore[attr-defined]
    assert "return f'Hello, {name}!'" in edited and "# ncpu: verified (retry, 2/2 checks passed; " in edited
    path.write_text(edited)
    doctest = subprocess.run([sys.executable, "-m", "doctest", str(path)], capture_output=True, text=True)
    assert doctest.returncode == 0, doctest.stdout
    # The same stub elsewhere: the action now carries the edit itself.
    other = open_document(client, workspace / "other.py", STUB)
    hit = (await code_actions(client, other))[0]
    assert hit.edit is not None and hit.command is None and "from the store" in hit.title


async def _start_slow_solve(
    client: LanguageClient, workspace: Path, tmp_path: Path, completion: str, delay: float
) -> tuple[str, asyncio.Future[Any]]:
    """Reconfigure to a slow scripted model, open the stub and start solving it; return (uri, pending)."""
    slow = write_script(tmp_path / "slow.json", {"*": [completion], "__delay__": delay})
    settings = fake_settings(slow, tmp_path / "slow-store")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"ncpu": settings}))
    uri = open_document(client, workspace / "mod.py", STUB)
    params = types.ExecuteCommandParams(command="ncpu.solve", arguments=[uri, "greet", 1])
    return uri, asyncio.ensure_future(client.workspace_execute_command_async(params))


async def test_progress_cancel_stops_the_solve(client: LanguageClient, workspace: Path, tmp_path: Path) -> None:
    _, task = await _start_slow_solve(client, workspace, tmp_path, "def greet(name):\n    return 0\n", 0.3)
    for _ in range(50):
        await asyncio.sleep(0.1)
        if client.progress_reports:
            break
    token = next(iter(client.progress_reports))
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    result = await asyncio.wait_for(task, timeout=10)
    assert result["status"] == "cancelled"


async def test_edit_above_the_stub_while_solving_lands_at_the_new_place(
    client: LanguageClient, workspace: Path, tmp_path: Path
) -> None:
    uri, task = await _start_slow_solve(client, workspace, tmp_path, RIGHT, 1.0)
    await asyncio.sleep(0.3)
    header = "import math\n\n\n"
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(0, 0), types.Position(0, 0)), text=header
                )
            ],
        )
    )
    result = await asyncio.wait_for(task, timeout=30)
    assert result["status"] == "verified"
    params = client.applied_edits[0]  # type: ignore[attr-defined]
    assert params.edit.document_changes[0].text_document.version == 2
    edited = apply_text_edit(header + STUB, edit_of(params))
    assert edited.startswith(header) and "    return f'Hello, {name}!'" in edited


async def test_user_filling_the_body_while_solving_is_never_overwritten(
    client: LanguageClient, workspace: Path, tmp_path: Path
) -> None:
    uri, task = await _start_slow_solve(client, workspace, tmp_path, RIGHT, 1.0)
    await asyncio.sleep(0.3)
    mine = STUB.replace("    pass\n", "    return 'hey'  # mine\n")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=mine)],
        )
    )
    result = await asyncio.wait_for(task, timeout=30)
    assert result["status"] == "not_applied"
    assert client.applied_edits == []  # type: ignore[attr-defined]


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
