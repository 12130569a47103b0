"""The VS Code extension's settings match what the server parses (server/config.py), key by key."""

from __future__ import annotations

import json
import re
from dataclasses import MISSING, fields
from pathlib import Path

from server.config import ServerConfig

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"
CLIENT_ONLY = {"python", "trace.server"}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _server_fields() -> dict[str, object]:
    return {_camel(f.name): f.default for f in fields(ServerConfig) if f.default is not MISSING}


def _contributed() -> dict[str, dict[str, object]]:
    manifest = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    properties = manifest["contributes"]["configuration"]["properties"]
    return {key.removeprefix("ncpu."): spec for key, spec in properties.items()}


def test_every_server_setting_is_contributed_with_its_default() -> None:
    contributed = _contributed()
    server = _server_fields()
    assert set(contributed) - CLIENT_ONLY == set(server)
    for key, default in server.items():
        spec = contributed[key]
        assert spec.get("markdownDescription") or spec.get("description"), key
        assert spec["default"] == ("" if default is None else default), key


def test_settings_ts_sends_exactly_the_server_keys() -> None:
    source = (EXTENSION / "src" / "common" / "settings.ts").read_text(encoding="utf-8")
    block = re.search(r"SERVER_KEYS[^=]*=\s*\[(.*?)\];", source, re.S)
    assert block is not None
    assert set(re.findall(r"'(\w+)'", block.group(1))) == set(_server_fields())


def test_commands_and_activation() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    titles = {f"{c.get('category', '')}: {c['title']}" for c in manifest["contributes"]["commands"]}
    assert {"NCPU: Solve function at cursor", "NCPU: Solve all stubs in file"} <= titles
    assert "onLanguage:python" in manifest["activationEvents"]
    assert "vscode-languageclient" in manifest["dependencies"]
