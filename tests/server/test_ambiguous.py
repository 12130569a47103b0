"""An ambiguous solve over LSP: nothing inserted, the question said, "Add example" per answer, then verified."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from server import contract
from tests.server.conftest import apply_text_edit, code_actions, edit_of, fake_settings, open_document, write_script

STUB = '''def count_runs(values: list[int]) -> int:
    """Count the runs of equal neighbours.

    >>> count_runs([1, 1, 2, 3, 3])
    3
    """
'''
CAREFUL = "def count_runs(values):\n    return sum(1 for i, v in enumerate(values) if i == 0 or v != values[i - 1])\n"
HASTY = "def count_runs(values):\n    return 1 + sum(a != b for a, b in zip(values, values[1:]))\n"
RAISING = "def count_runs(values):\n    values[0]\n    return 1 + sum(a != b for a, b in zip(values, values[1:]))\n"


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    # The first solve: greedy CAREFUL, then agreement's two samples, HASTY and RAISING: three passing bodies,
    # three answers on count_runs([]), a tie. The second solve (with the added example) gets CAREFUL again.
    script = write_script(tmp_path / "script.json", {"count_runs": [CAREFUL, HASTY, RAISING, CAREFUL]})
    return fake_settings(script, tmp_path / "store", escalate=False)


async def _diagnostic(client: LanguageClient, uri: str, code: str) -> types.Diagnostic | None:
    for _ in range(50):
        found = [d for d in client.diagnostics.get(uri, []) if d.code == code]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    return None


async def test_disagreement_then_add_example_then_verified(client: LanguageClient, workspace: Path) -> None:
    path = workspace / "runs.py"
    uri = open_document(client, path, STUB)
    solve = (await code_actions(client, uri))[0]
    assert solve.command is not None
    params = types.ExecuteCommandParams(command=solve.command.command, arguments=solve.command.arguments)
    result = await client.workspace_execute_command_async(params)
    assert result["status"] == "ambiguous"
    assert result["ambiguity"]["call"] == "count_runs([])"
    assert result["ambiguity"]["question"] == ("`count_runs([])`: 0 (1 candidate) or 1 (1) or raises IndexError (1)")
    assert client.applied_edits == []  # type: ignore[attr-defined]  # nothing inserted for a question
    said = [m.message for m in client.messages if "disagree" in m.message]
    assert said and "count_runs([])" in said[0] and "Add example" in said[0]
    diagnostic = await _diagnostic(client, uri, "ambiguous")
    assert diagnostic is not None and "count_runs([])" in diagnostic.message

    actions = [a for a in await code_actions(client, uri) if a.kind == contract.ADD_EXAMPLE_KIND]
    assert [a.title for a in actions] == [
        "Add example: count_runs([]) → 0 (1 candidate)",
        "Add example: count_runs([]) → 1 (1 candidate)",
        "Add example: count_runs([]) → raises IndexError (1 candidate)",
    ]
    chosen = actions[0]
    assert chosen.data == {
        "action": "addExample",
        "uri": uri,
        "stub": "count_runs",
        "example": ">>> count_runs([])\n0",
        "candidates": 1,
    }
    # What an editor does with the action: apply its edit, then run its command.
    assert chosen.edit is not None and chosen.edit.document_changes is not None
    change = chosen.edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit) and isinstance(change.edits[0], types.TextEdit)
    settled = apply_text_edit(STUB, change.edits[0])
    assert settled == STUB.replace('    3\n    """', '    3\n    >>> count_runs([])\n    0\n    """')
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=settled)],
        )
    )
    assert chosen.command is not None and chosen.command.command == contract.SOLVE_COMMAND
    again = types.ExecuteCommandParams(command=chosen.command.command, arguments=chosen.command.arguments)
    result = await client.workspace_execute_command_async(again)
    assert result["status"] == "verified", result
    assert result["evidence"].startswith("2/2 checks; ")
    inserted = apply_text_edit(settled, edit_of(client.applied_edits[0]))  # type: ignore[attr-defined]
    assert "enumerate(values)" in inserted and "# ncpu: verified (greedy, 2/2 checks passed; " in inserted
    assert all(d.code != "ambiguous" for d in client.diagnostics.get(uri, []))  # the edit changed the stub
