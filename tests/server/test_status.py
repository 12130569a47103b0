"""``ncpu/status``: the server's state as data, sent whenever it changes (after ``initialized``)."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from server import contract
from tests.server.conftest import RIGHT, STUB, WRONG, fake_settings, open_document, write_script

FIELDS = set(contract.Status(state="idle", model="").to_wire())


async def _until(client: LanguageClient, done: Any, seconds: float = 20) -> list[dict[str, Any]]:
    statuses: list[dict[str, Any]] = client.statuses  # type: ignore[attr-defined]
    for _ in range(int(seconds * 20)):
        if statuses and done(statuses):
            return statuses
        await asyncio.sleep(0.05)
    raise AssertionError(f"ncpu/status never got there: {statuses}")


async def _solve(client: LanguageClient, uri: str) -> dict[str, Any]:
    params = types.ExecuteCommandParams(command=contract.SOLVE_COMMAND, arguments=[uri, "greet", 1])
    return await client.workspace_execute_command_async(params)  # type: ignore[no-any-return]


async def test_a_solve_goes_layer_by_layer_then_idle(client: LanguageClient, workspace: Path, tmp_path: Path) -> None:
    """Each generation lasts 0.2 s, so its step is seen (reports that come faster than the loop sends them are
    merged: the editor sees the state as it is, not every moment)."""
    slow = write_script(tmp_path / "slow.json", {"greet": [WRONG, RIGHT], "__delay__": 0.2})
    settings = fake_settings(slow, tmp_path / "slow-store")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"ncpu": settings}))
    await _until(client, lambda s: s[-1]["state"] == "idle")
    uri = open_document(client, workspace / "mod.py", STUB)
    assert (await _solve(client, uri))["status"] == "verified"
    statuses = await _until(client, lambda s: s[-1]["state"] == "idle" and any(x["state"] == "solving" for x in s))
    assert all(set(status) == FIELDS for status in statuses)
    during = statuses[statuses.index(next(s for s in statuses if s["state"] != "idle")) :]
    states = [s["state"] for s in during]
    assert states[0] == "solving" and states[-1] == "idle"
    assert during[0]["layer"] is None and during[0]["stub"] == "greet" and during[0]["solving"] == 1
    layers = [(s["layer"], s["step"], s["steps"]) for s in during if s["state"] == "solving"]
    # The fake script answers wrong, then right: greedy fails, the first retry passes.
    assert ("greedy", 1, 1) in layers and ("retry", 1, 4) in layers
    assert layers.index(("greedy", 1, 1)) < layers.index(("retry", 1, 4))
    generating = [x for x in during if x["layer"] == "retry"]
    assert generating and all(x["model"] == "fake" and x["tier"] == 0 for x in generating)  # named once loaded
    assert during[-1] == {**dict.fromkeys(FIELDS), "state": "idle", "model": "fake", "tier": 0, "solving": 0}
    # Nothing is sent twice in a row: each notification is a change.
    assert all(a != b for a, b in itertools.pairwise(statuses))


async def test_a_model_that_cannot_load_is_an_error_until_the_settings_change(
    client: LanguageClient, workspace: Path, tmp_path: Path, settings: dict[str, Any]
) -> None:
    missing = {**settings, "modelPath": str(tmp_path / "no-such-script.json")}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"ncpu": missing}))
    uri = open_document(client, workspace / "mod.py", STUB)
    assert (await _solve(client, uri))["status"] == "failed"
    statuses = await _until(client, lambda s: s[-1]["state"] == "error")
    assert "no-such-script.json" in statuses[-1]["error"]
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"ncpu": settings}))
    statuses = await _until(client, lambda s: s[-1]["state"] == "idle")
    assert statuses[-1]["error"] is None


async def test_solves_at_once_are_counted_and_the_last_status_is_the_state_as_it_is(
    client: LanguageClient, workspace: Path, tmp_path: Path
) -> None:
    hail = RIGHT.replace("greet", "hail").replace("Hello", "Hail")
    slow = write_script(tmp_path / "slow.json", {"greet": [RIGHT], "hail": [hail], "__delay__": 0.3})
    settings = fake_settings(slow, tmp_path / "slow-store")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"ncpu": settings}))
    first = open_document(client, workspace / "a.py", STUB)
    second = open_document(client, workspace / "b.py", STUB.replace("greet", "hail").replace("Hello", "Hail"))
    answers = await asyncio.gather(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=contract.SOLVE_COMMAND, arguments=[first, "greet", 1])
        ),
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=contract.SOLVE_COMMAND, arguments=[second, "hail", 1])
        ),
    )
    assert [answer["status"] for answer in answers] == ["verified", "verified"]
    statuses = await _until(client, lambda s: any(x["solving"] == 2 for x in s) and s[-1]["state"] == "idle")
    assert statuses[-1]["solving"] == 0
    assert {x["stub"] for x in statuses if x["solving"] == 2} <= {"greet", "hail"}
