"""``textDocument/codeAction``: the actions, their kinds and data, and the ``only`` filter."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from server import contract
from tests.server.conftest import STUB, code_action_params, code_actions, fake_settings, open_document, write_script

BROKEN = "def broken(:\n    pass\n\n\n" + STUB + "\nclass X(\n"


async def test_code_actions_are_listed_on_a_stub(client: LanguageClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "mod.py", STUB)
    titles = [a.title for a in await code_actions(client, uri)]
    assert titles == ["Solve with cascade: greet", "Solve all stubs in file (1)"]
    assert await code_actions(client, open_document(client, workspace / "none.py", "x = 1\n")) == []


async def test_a_file_with_syntax_errors_still_offers_its_stub(client: LanguageClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "broken.py", BROKEN)
    result = await client.text_document_code_action_async(code_action_params(uri, 4))
    assert result is not None and result[0].title == "Solve with cascade: greet"


async def test_each_action_has_its_kind_and_data(client: LanguageClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "mod.py", STUB)
    solve, whole = await code_actions(client, uri)
    assert solve.kind == contract.SOLVE_KIND and whole.kind == contract.SOLVE_FILE_KIND
    assert solve.data == {"action": "solve", "uri": uri, "stub": "greet", "source": "cascade"}
    assert whole.data == {"action": "solveFile", "uri": uri}
    assert solve.command is not None and solve.command.command == contract.SOLVE_COMMAND
    assert whole.command is not None and whole.command.command == contract.SOLVE_FILE_COMMAND


def _only(uri: str, *kinds: str) -> types.CodeActionParams:
    params = code_action_params(uri)
    params.context = types.CodeActionContext(diagnostics=[], only=list(kinds))
    return params


@pytest.mark.parametrize(
    ("only", "expected"),
    [
        (["refactor"], [contract.SOLVE_KIND, contract.SOLVE_FILE_KIND]),
        (["refactor.rewrite"], [contract.SOLVE_KIND, contract.SOLVE_FILE_KIND]),
        ([contract.ACTION_KIND], [contract.SOLVE_KIND, contract.SOLVE_FILE_KIND]),
        ([contract.SOLVE_KIND], [contract.SOLVE_KIND]),
        ([contract.SOLVE_FILE_KIND], [contract.SOLVE_FILE_KIND]),
        (["quickfix", contract.SOLVE_FILE_KIND], [contract.SOLVE_FILE_KIND]),
        (["quickfix"], None),
        (["refactor.rewrite.ncpu.solv"], None),  # a kind is a path of whole segments
    ],
)
async def test_the_only_filter_is_honoured(
    client: LanguageClient, workspace: Path, only: list[str], expected: list[str] | None
) -> None:
    uri = open_document(client, workspace / "mod.py", STUB)
    result = await client.text_document_code_action_async(_only(uri, *only))
    assert (None if result is None else [getattr(a, "kind", None) for a in result]) == expected


async def test_a_store_hit_and_a_partial_body_say_where_they_come_from(
    client: LanguageClient, workspace: Path, tmp_path: Path
) -> None:
    uri = open_document(client, workspace / "mod.py", STUB)
    solve = (await code_actions(client, uri))[0]
    assert solve.command is not None
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=solve.command.command, arguments=solve.command.arguments)
    )
    hit = (await code_actions(client, open_document(client, workspace / "other.py", STUB)))[0]
    assert hit.kind == contract.SOLVE_KIND and hit.is_preferred and hit.edit is not None
    assert hit.data == {
        "action": "solve",
        "uri": (workspace / "other.py").as_uri(),
        "stub": "greet",
        "source": "store",
    }
    # A model that gets one example of two right: the partial body is offered under its own kind.
    half = write_script(tmp_path / "half.json", {"*": ["def greet(name):\n    return 'Hello, Ann!'\n"]})
    settings = fake_settings(half, tmp_path / "half-store", escalate=False)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"ncpu": settings}))
    third = open_document(client, workspace / "third.py", STUB)
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=contract.SOLVE_COMMAND, arguments=[third, "greet", 1])
    )
    assert answer["status"] == "partial"
    actions = await code_actions(client, third)
    assert [a.kind for a in actions] == [contract.SOLVE_KIND, contract.UNVERIFIED_KIND, contract.SOLVE_FILE_KIND]
    assert actions[1].data == {
        "action": "insertUnverified",
        "uri": third,
        "stub": "greet",
        "source": "partial",
        "checksPassed": 1,
        "checksTotal": 2,
    }
    assert not actions[1].is_preferred and actions[1].edit is not None
