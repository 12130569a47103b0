"""``ncpu/status``: the server's state as data, sent whenever it changes (after ``initialized``)."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from server import contract
from tests.server.conftest import STUB, open_document

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


async def test_a_solve_goes_loading_then_solving_layer_by_layer_then_idle(
    client: LanguageClient, workspace: Path
) -> None:
    await _until(client, lambda s: s[-1]["state"] == "idle")
    uri = open_document(client, workspace / "mod.py", STUB)
    assert (await _solve(client, uri))["status"] == "verified"
    statuses = await _until(client, lambda s: s[-1]["state"] == "idle" and any(x["state"] == "solving" for x in s))
    assert all(set(status) == FIELDS for status in statuses)
    during = statuses[statuses.index(next(s for s in statuses if s["state"] != "idle")) :]
    states = [s["state"] for s in during]
    assert states[0] == "solving" and states[-1] == "idle"
    # The first generation loads the model, then goes on: greedy, loading, greedy again.
    loading_at = states.index("loading")
    assert during[loading_at - 1]["layer"] == "greedy" and during[loading_at + 1]["layer"] == "greedy"
    assert during[0]["layer"] is None and during[1]["layer"] == "store"  # begun, then the first layer
    loading = next(s for s in during if s["state"] == "loading")
    assert loading["layer"] == "load" and loading["stub"] == "greet" and loading["solving"] == 1
    layers = [(s["layer"], s["step"], s["steps"]) for s in during if s["state"] == "solving"]
    # The fake script answers wrong, then right: greedy fails, the first retry passes.
    assert ("greedy", 1, 1) in layers and ("retry", 1, 4) in layers
    assert layers.index(("greedy", 1, 1)) < layers.index(("retry", 1, 4))
    # Before it loads, the model is named by its file (the script); once loaded, by the backend's own name.
    assert loading["model"] == "script" and loading["tier"] == 0
    generating = during[loading_at + 1]
    assert generating["model"] == "fake" and generating["tier"] == 0
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
