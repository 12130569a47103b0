"""An unconfirmed solve over LSP: nothing inserted, the reason said, the body offered as its own action."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from server import contract
from tests.server.conftest import apply_text_edit, code_actions, edit_of, fake_settings, open_document, write_script

STUB = '''def shout(text: str) -> str:
    """Shout it.

    >>> shout("hi")
    'HI!'
    """
'''
RIGHT = "def shout(text):\n    return text.upper() + '!'\n"
WRONG = [f"def shout(text):\n    return text.upper() + {'!' * n!r}\n" for n in (0, 2, 3, 4, 5, 6)]


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    # Greedy and its four retries fail; best-of-N's first sample passes; agreement's samples (the last body,
    # again) fail: a sample that passed alone.
    script = write_script(tmp_path / "script.json", {"shout": [*WRONG[:5], RIGHT, WRONG[5]]})
    return fake_settings(script, tmp_path / "store", escalate=False)


async def test_a_lone_sample_is_offered_as_unconfirmed_not_inserted(client: LanguageClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "loud.py", STUB)
    solve = (await code_actions(client, uri))[0]
    assert solve.command is not None
    params = types.ExecuteCommandParams(command=solve.command.command, arguments=solve.command.arguments)
    result = await client.workspace_execute_command_async(params)
    assert result["status"] == "unconfirmed", result
    assert result["layer"] == "best_of_n" and result["evidence"].startswith("1/1 checks; the only passing candidate")
    assert client.applied_edits == []  # type: ignore[attr-defined]
    said = [m.message for m in client.messages if "unconfirmed" in m.message]
    assert said and "offered as a separate action" in said[0]

    offered = [a for a in await code_actions(client, uri) if a.kind == contract.UNVERIFIED_KIND]
    assert [a.title for a in offered] == [
        "Insert UNCONFIRMED body for shout (1 of 1 checks passed; no other candidate passed them)"
    ]
    assert offered[0].data == {
        "action": "insertUnverified",
        "uri": uri,
        "stub": "shout",
        "source": "unconfirmed",
        "checksPassed": 1,
        "checksTotal": 1,
    }
    edit = offered[0].edit
    assert edit is not None
    inserted = apply_text_edit(STUB, edit_of(types.ApplyWorkspaceEditParams(edit=edit)))
    assert "# ncpu: UNCONFIRMED (best_of_n, 1/1 checks passed; no other candidate passed them)" in inserted
    assert "return text.upper() + '!'" in inserted
    # Not stored as verified: the solve action is the cascade's again, not the store's edit.
    assert (await code_actions(client, uri))[0].data["source"] == "cascade"  # type: ignore[index]
