"""Both editors against the server's one definition of each setting (``server.config.SETTINGS``) and of the
protocol (``server.contract``): every key, type and default, every action kind, the status notification."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from ncpu.config import ModelSettings, check_value
from server import contract
from server.config import SETTINGS, Setting

ROOT = Path(__file__).resolve().parents[2]
VSCODE = ROOT / "editors" / "vscode"
NEOVIM = ROOT / "editors" / "neovim"
CLIENT_ONLY = {"python", "trace.server"}
"""VS Code keys the client reads itself (the server's interpreter, protocol tracing)."""

JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", Path: "string"}


def _json_types(setting: Setting) -> set[str]:
    kind = setting.type
    if kind == tuple[str, ...]:
        return {"array"}
    args = [arg for arg in getattr(kind, "__args__", (kind,)) if arg is not type(None)]
    return {JSON_TYPES[arg] for arg in args}


def _contributed() -> dict[str, dict[str, Any]]:
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    properties = manifest["contributes"]["configuration"]["properties"]
    return {key.removeprefix("ncpu."): spec for key, spec in properties.items()}


def _json_default(setting: Setting) -> Any:
    default = setting.default
    if default is None:
        return ""
    return list(default) if isinstance(default, tuple) else default


def _lua(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "{}" if not value else "{ " + ", ".join(_lua(v) for v in value) + " }"
    return str(value)


def _table_rows(path: Path, prefix: str = "") -> dict[str, str]:
    """``| `KEY` | DEFAULT | ... |`` rows of a Markdown settings table, by key."""
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(rf"\| `{re.escape(prefix)}([\w.]+)` \| ([^|]+) \|", line)
        if match:
            rows[match.group(1)] = match.group(2).strip()
    return rows


def test_every_setting_has_one_definition() -> None:
    keys = [setting.key for setting in SETTINGS]
    assert len(keys) == len(set(keys))
    for setting in SETTINGS:
        assert setting.key[0].islower() and "_" not in setting.key, setting.key
        setting.type, setting.default  # noqa: B018 - resolves the path into the engine's config


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.key)
def test_vscode_contributes_the_setting_with_its_type_and_default(setting: Setting) -> None:
    spec = _contributed().get(setting.key)
    assert spec is not None, f"package.json lacks ncpu.{setting.key}"
    assert spec.get("markdownDescription") or spec.get("description"), setting.key
    declared = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    assert _json_types(setting) <= set(declared), (setting.key, declared)
    assert spec["default"] == _json_default(setting), setting.key


def test_vscode_contributes_nothing_else() -> None:
    assert set(_contributed()) - CLIENT_ONLY == {setting.key for setting in SETTINGS}


def test_settings_ts_sends_exactly_the_server_keys() -> None:
    source = (VSCODE / "src" / "common" / "settings.ts").read_text(encoding="utf-8")
    block = re.search(r"SERVER_KEYS[^=]*=\s*\[(.*?)\];", source, re.S)
    interface = re.search(r"interface ServerSettings \{(.*?)\}", source, re.S)
    assert block is not None and interface is not None
    keys = {setting.key for setting in SETTINGS}
    assert set(re.findall(r"'(\w+)'", block.group(1))) == keys
    assert set(re.findall(r"^\s*(\w+)\?:", interface.group(1), re.M)) == keys


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.key)
def test_neovim_documents_the_setting_and_its_default(setting: Setting) -> None:
    fields = {
        match.group(1): match.group(0)
        for match in re.finditer(r"^---@field (\w+)\? .*$", (NEOVIM / "lua" / "ncpu" / "init.lua").read_text(), re.M)
    }
    line = fields.get(setting.key)
    assert line is not None, f"init.lua lacks ---@field {setting.key}"
    default = setting.default
    if default not in (None, ()):
        value = re.escape(_lua(default))
        said = rf"\(default [\"']?{value}[\"']?\)|[\"']?{value}[\"']? \(default[;)]"
        assert re.search(said, line), (line, default)


@pytest.mark.parametrize(
    ("readme", "prefix", "empty", "quote"),
    [(VSCODE / "README.md", "ncpu.", "*(empty)*", ""), (NEOVIM / "README.md", "", "unset", "'")],
    ids=["vscode", "neovim"],
)
def test_readmes_list_every_setting_with_its_default(readme: Path, prefix: str, empty: str, quote: str) -> None:
    rows = _table_rows(readme, prefix)
    for setting in SETTINGS:
        assert setting.key in rows, f"{readme.name} lacks {setting.key}"
        default = setting.default
        if default is None:
            expected = empty
        elif isinstance(default, tuple):
            expected = "`[]`" if not quote else "`{}`"
        elif isinstance(default, str):
            expected = f"`{quote}{default}{quote}`"
        else:
            expected = f"`{_lua(default)}`"
        assert rows[setting.key] == expected, (readme.name, setting.key, rows[setting.key])
    assert not set(rows) - {s.key for s in SETTINGS} - CLIENT_ONLY - {"cmd", "settings", "enable", "notify"}


def test_docs_name_every_setting() -> None:
    text = (ROOT / "docs" / "server.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`{setting.key}`" in text, setting.key


def test_editors_pick_actions_by_the_servers_kinds() -> None:
    actions_ts = (VSCODE / "src" / "common" / "actions.ts").read_text(encoding="utf-8")
    assert f"ACTION_KIND = '{contract.ACTION_KIND}'" in actions_ts
    suffixes = {kind.removeprefix(contract.ACTION_KIND) for kind in contract.ACTION_KINDS}
    assert set(re.findall(r"`\$\{ACTION_KIND\}(\.\w+)`", actions_ts)) == suffixes
    init_lua = (NEOVIM / "lua" / "ncpu" / "init.lua").read_text(encoding="utf-8")
    block = re.search(r"M\.kinds = \{(.*?)\n\}", init_lua, re.S)
    assert block is not None
    assert set(re.findall(r"'([\w.]+)'", block.group(1))) == set(contract.ACTION_KINDS)
    extension_ts = (VSCODE / "src" / "extension.ts").read_text(encoding="utf-8")
    for source in (actions_ts, init_lua, extension_ts):  # titles are for people: no editor reads them
        assert not re.search(r"startswith\(\s*\w+\.title|\.title\.startsWith", source)


def test_editors_listen_to_the_status_notification() -> None:
    status_ts = (VSCODE / "src" / "common" / "status.ts").read_text(encoding="utf-8")
    assert f"STATUS_NOTIFICATION = '{contract.STATUS_NOTIFICATION}'" in status_ts
    fields = set(contract.Status(state="idle", model="m").to_wire())
    interface = re.search(r"interface ServerStatus \{(.*?)\n\}", status_ts, re.S)
    assert interface is not None
    assert set(re.findall(r"^\s*(\w+):", interface.group(1), re.M)) == fields
    lua = (NEOVIM / "lsp" / "ncpu.lua").read_text(encoding="utf-8")
    assert f"['{contract.STATUS_NOTIFICATION}']" in lua
    status_lua = (NEOVIM / "lua" / "ncpu" / "status.lua").read_text(encoding="utf-8")
    assert set(re.findall(r"^---@field (\w+)\?? ", status_lua.split("---@class ncpu.Work")[0], re.M)) == fields


def test_commands_and_activation() -> None:
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    titles = {f"{c.get('category', '')}: {c['title']}" for c in manifest["contributes"]["commands"]}
    assert {"NCPU: Solve function at cursor", "NCPU: Solve all stubs in file"} <= titles
    assert "onLanguage:python" in manifest["activationEvents"]
    assert "vscode-languageclient" in manifest["dependencies"]


def test_neovim_config_sets_only_known_settings_at_their_defaults() -> None:
    lua = (NEOVIM / "lsp" / "ncpu.lua").read_text(encoding="utf-8")
    block = re.search(r"settings = \{\s*ncpu = \{(.*?)\}", lua, re.S)
    assert block is not None
    values = dict(re.findall(r"(\w+) = ([^,\n]+),", block.group(1)))
    by_key = {setting.key: setting for setting in SETTINGS}
    assert values, "lsp/ncpu.lua sends an empty section (an empty Lua table is ambiguous on the wire)"
    for key, value in values.items():
        assert key in by_key, key
        assert value.strip("'\"") == _lua(by_key[key].default), (key, value)


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.key != "gpuLayers"], ids=lambda s: s.key)
def test_vscode_bounds_are_the_settings_bounds(setting: Setting) -> None:
    """``minimum``, ``exclusiveMinimum`` and ``enum`` in package.json admit exactly what the engine's check does."""
    spec = _contributed()[setting.key]
    owner, name = setting.owner, setting.name
    if "minimum" in spec:
        bound = spec["minimum"]
        assert check_value(owner, name, bound) is None and check_value(owner, name, bound - 1) is not None
    elif "exclusiveMinimum" in spec:
        bound = spec["exclusiveMinimum"]
        assert check_value(owner, name, bound) is not None and check_value(owner, name, bound + 0.001) is None
    elif "enum" in spec:
        assert all(check_value(owner, name, value) is None for value in spec["enum"])
        assert check_value(owner, name, "something else") is not None
    else:
        bounded = next(f for f in dataclasses.fields(owner) if f.name == name).metadata.get("check")
        assert bounded is None, f"ncpu.{setting.key} is bounded in the engine but not in package.json"


def test_vscode_bounds_gpu_layers_like_the_engine() -> None:
    spec = _contributed()["gpuLayers"]
    assert spec["minimum"] == -1
    assert check_value(ModelSettings, "gpu_layers", -1) is None
    assert check_value(ModelSettings, "gpu_layers", -2) is not None
