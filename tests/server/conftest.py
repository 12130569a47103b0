from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Union

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from server.contract import STATUS_NOTIFICATION

STUB = '''def greet(name):
    """Greet someone.

    >>> greet("Ann")
    'Hello, Ann!'
    >>> greet("Bo")
    'Hello, Bo!'
    """
    pass
'''
RIGHT = "def greet(name):\n    return f'Hello, {name}!'\n"
WRONG = "def greet(name):\n    return 'Hi ' + name\n"


def write_script(path: Path, completions: dict[str, Any]) -> Path:
    path.write_text(json.dumps(completions))
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    script = write_script(tmp_path / "script.json", {"greet": [WRONG, RIGHT], "*": [RIGHT]})
    return {"backend": "fake", "modelPath": str(script), "storePath": str(tmp_path / "store"), "escalate": False}


@pytest.fixture
def client_configuration() -> dict[str, Any] | None:
    """Keys the client serves over ``workspace/configuration`` besides ``settings`` (``None``: no section)."""
    return None


def _parse_code_actions_like_editors_do(client: LanguageClient) -> None:
    """lsprotocol reads every item with a ``command`` key as a ``Command``, even a ``CodeAction`` whose
    ``command`` is an object; VS Code and Neovim tell them apart by the key's type, and so does this."""
    converter = client.protocol._converter

    def structure(item: Any, _: type) -> types.Command | types.CodeAction:
        if isinstance(item.get("command"), str):
            return converter.structure(item, types.Command)
        return converter.structure(item, types.CodeAction)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], structure)  # noqa: UP007


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "server"]),
    params=["visual-studio-code", "neovim"],
)
async def client(
    lsp_client: LanguageClient,
    request: pytest.FixtureRequest,
    workspace: Path,
    settings: dict[str, Any],
    client_configuration: dict[str, Any] | None,
):
    if client_configuration is not None:  # what the client answers to workspace/configuration for "ncpu"
        lsp_client.set_configuration({"ncpu": {**settings, **client_configuration}})
    edits: list[types.ApplyWorkspaceEditParams] = []

    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        edits.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    lsp_client.applied_edits = edits  # type: ignore[attr-defined]
    statuses: list[dict[str, Any]] = []

    @lsp_client.feature(STATUS_NOTIFICATION)
    def status(params: Any) -> None:
        statuses.append(params if isinstance(params, dict) else params._asdict())  # pygls reads it as a namedtuple

    lsp_client.statuses = statuses  # type: ignore[attr-defined]
    _parse_code_actions_like_editors_do(lsp_client)
    capabilities = client_capabilities(request.param)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
            initialization_options=settings,
        )
    )
    yield
    await lsp_client.shutdown_session()


def open_document(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
        )
    )
    return uri


def apply_text_edit(text: str, edit: types.TextEdit) -> str:
    """Apply one LSP edit (ASCII text: UTF-16 units equal code points)."""
    lines = text.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: edit.range.start.line]) + edit.range.start.character
    end = sum(len(line) for line in lines[: edit.range.end.line]) + edit.range.end.character
    return text[:start] + edit.new_text + text[end:]


def code_action_params(uri: str, line: int = 0) -> types.CodeActionParams:
    """A code-action request for the start of ``line``."""
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(line, 0), types.Position(line, 0)),
        context=types.CodeActionContext(diagnostics=[]),
    )


async def code_actions(client: LanguageClient, uri: str, line: int = 0) -> list[types.CodeAction]:
    """The code actions at the start of ``line`` (commands left out)."""
    result = await client.text_document_code_action_async(code_action_params(uri, line))
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


def edit_of(params: types.ApplyWorkspaceEditParams) -> types.TextEdit:
    """The one text edit of an applied workspace edit."""
    change = params.edit.document_changes[0]  # type: ignore[index]
    assert isinstance(change, types.TextDocumentEdit)
    edit = change.edits[0]
    assert isinstance(edit, types.TextEdit)
    return edit
