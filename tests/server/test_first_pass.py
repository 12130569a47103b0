"""The first passing body, shown while agreement runs, then settled by the answer (``server.first_pass``).

The client here applies every edit to its text and reports it (``Buffers``), as VS Code and Neovim do:
the server finds the body it showed in what the client reports, never in what it sent.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from server import contract
from tests.server.conftest import (
    RIGHT,
    STUB,
    Buffers,
    _parse_code_actions_like_editors_do,
    code_actions,
    edit_of,
    fake_settings,
    write_script,
)
from tests.server.test_ambiguous import CAREFUL, HASTY, RAISING
from tests.server.test_ambiguous import STUB as RUNS_STUB

CHECKING = "# ncpu: checking (greedy, "


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "server"]),
    params=["visual-studio-code", "neovim"],
)
async def editor(lsp_client: LanguageClient, request: pytest.FixtureRequest, tmp_path: Path):
    lsp_client.buffers = Buffers(lsp_client)  # type: ignore[attr-defined]
    _parse_code_actions_like_editors_do(lsp_client)
    script = write_script(
        tmp_path / "script.json",
        {"greet": [RIGHT], "count_runs": [CAREFUL, HASTY, RAISING], "__delay__": 0.5, "*": [RIGHT]},
    )
    settings = fake_settings(script, tmp_path / "store", escalate=False, show_first_pass=True)
    assert "showFirstPass" not in settings  # on by default
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(request.param),
            root_uri=tmp_path.as_uri(),
            initialization_options=settings,
        )
    )
    yield
    await lsp_client.shutdown_session()


async def _solve(client: LanguageClient, uri: str, name: str) -> asyncio.Future[Any]:
    params = types.ExecuteCommandParams(command=contract.SOLVE_COMMAND, arguments=[uri, name, 1])
    return asyncio.ensure_future(client.workspace_execute_command_async(params))


async def _shown(buffers: Buffers, uri: str) -> str:
    """The document's text once the checking body is in it."""
    for _ in range(100):
        if CHECKING in buffers.texts[uri]:
            return buffers.texts[uri]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no checking body shown: {buffers.texts[uri]!r}")


async def test_the_first_passing_body_is_shown_at_once_then_confirmed(editor: LanguageClient, tmp_path: Path) -> None:
    buffers: Buffers = editor.buffers  # type: ignore[attr-defined]
    path = tmp_path / "greet.py"
    uri = buffers.open(path, STUB)
    pending = await _solve(editor, uri, "greet")
    shown = await _shown(buffers, uri)
    assert not pending.done()  # agreement is still sampling (0.5 s per sample) while the body is in the editor
    assert "    # ncpu: checking (greedy, 2/2 checks passed; comparing it with more candidates)\n" in shown
    assert "return f'Hello, {name}!'" in shown
    result = await asyncio.wait_for(pending, timeout=30)
    assert result["status"] == "verified", result
    assert result["evidence"] == "2/2 checks; 3 of 3 passing candidates agree on 23 generated inputs"
    final = buffers.texts[uri]
    assert CHECKING not in final and final.count("return f'Hello, {name}!'") == 1
    assert "# ncpu: verified (greedy, 2/2 checks passed; 3 of 3 passing candidates agree" in final
    assert len(buffers.applied) == 2  # shown, then settled: the second edit replaces the first's text only
    path.write_text(final)
    doctest = subprocess.run([sys.executable, "-m", "doctest", str(path)], capture_output=True, text=True)
    assert doctest.returncode == 0, doctest.stdout


async def test_an_ambiguous_answer_takes_the_shown_body_back(editor: LanguageClient, tmp_path: Path) -> None:
    buffers: Buffers = editor.buffers  # type: ignore[attr-defined]
    uri = buffers.open(tmp_path / "runs.py", RUNS_STUB)
    pending = await _solve(editor, uri, "count_runs")
    shown = await _shown(buffers, uri)
    assert "enumerate(values)" in shown
    result = await asyncio.wait_for(pending, timeout=30)
    assert result["status"] == "ambiguous", result
    assert buffers.texts[uri] == RUNS_STUB  # the stub as the user wrote it, for the question to settle
    actions = [a for a in await code_actions(editor, uri) if a.kind == contract.ADD_EXAMPLE_KIND]
    assert actions and actions[0].title == "Add example: count_runs([]) → 0 (1 candidate)"


async def test_a_shown_body_the_user_edits_is_theirs(editor: LanguageClient, tmp_path: Path) -> None:
    buffers: Buffers = editor.buffers  # type: ignore[attr-defined]
    uri = buffers.open(tmp_path / "greet.py", STUB)
    pending = await _solve(editor, uri, "greet")
    shown = await _shown(buffers, uri)
    mine = shown.replace("return f'Hello, {name}!'", "return f'Hello, {name}!'  # mine")
    buffers.change(uri, mine)
    result = await asyncio.wait_for(pending, timeout=30)
    assert result["status"] == "not_applied", result
    assert "edited while checking" in result["message"]
    assert buffers.texts[uri] == mine and len(buffers.applied) == 1
    assert any("edited while checking" in m.message for m in editor.messages)


async def test_off_the_answer_alone_is_inserted(editor: LanguageClient, tmp_path: Path) -> None:
    buffers: Buffers = editor.buffers  # type: ignore[attr-defined]
    section = fake_settings(tmp_path / "script.json", tmp_path / "store-off", escalate=False)  # showFirstPass off
    editor.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"ncpu": section}))
    uri = buffers.open(tmp_path / "greet.py", STUB)
    result = await asyncio.wait_for(await _solve(editor, uri, "greet"), timeout=30)
    assert result["status"] == "verified", result
    assert len(buffers.applied) == 1 and CHECKING not in edit_of(buffers.applied[0]).new_text
    assert "# ncpu: verified (greedy" in buffers.texts[uri]


async def test_a_cancelled_solve_takes_the_shown_body_back(editor: LanguageClient, tmp_path: Path) -> None:
    buffers: Buffers = editor.buffers  # type: ignore[attr-defined]
    uri = buffers.open(tmp_path / "greet.py", STUB)
    params = types.ExecuteCommandParams(command=contract.SOLVE_COMMAND, arguments=[uri, "greet", 1])
    pending = asyncio.ensure_future(
        editor.protocol.send_request_async(types.WORKSPACE_EXECUTE_COMMAND, params, msg_id="to-cancel")
    )
    await _shown(buffers, uri)
    editor.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="to-cancel"))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(pending, timeout=10)
    for _ in range(60):  # the server takes it back after answering the cancel
        if buffers.texts[uri] == STUB:
            break
        await asyncio.sleep(0.05)
    assert buffers.texts[uri] == STUB


async def test_a_crlf_document_is_settled_with_its_own_line_ends(editor: LanguageClient, tmp_path: Path) -> None:
    buffers: Buffers = editor.buffers  # type: ignore[attr-defined]
    uri = buffers.open(tmp_path / "greet.py", STUB.replace("\n", "\r\n"))
    pending = await _solve(editor, uri, "greet")
    await _shown(buffers, uri)
    result = await asyncio.wait_for(pending, timeout=30)
    assert result["status"] == "verified", result
    final = buffers.texts[uri]
    assert CHECKING not in final and "# ncpu: verified (greedy" in final
    assert "\n" not in final.replace("\r\n", ""), final  # no bare line end came in


async def test_a_docstring_changed_while_checking_gets_no_body(editor: LanguageClient, tmp_path: Path) -> None:
    buffers: Buffers = editor.buffers  # type: ignore[attr-defined]
    uri = buffers.open(tmp_path / "greet.py", STUB)
    pending = await _solve(editor, uri, "greet")
    shown = await _shown(buffers, uri)
    buffers.change(uri, shown.replace("'Hello, Bo!'", "'Hi, Bo!'"))
    result = await asyncio.wait_for(pending, timeout=30)
    assert result["status"] == "not_applied" and "solve it again" in result["message"], result
    assert buffers.texts[uri] == STUB.replace("'Hello, Bo!'", "'Hi, Bo!'")  # the stub, as the user now has it
