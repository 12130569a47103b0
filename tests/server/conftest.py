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
    return fake_settings(script, tmp_path / "store", escalate=False)


def fake_settings(
    script: Path, store: Path, *, escalate: bool | None = None, show_first_pass: bool = False, **more: Any
) -> dict[str, Any]:
    """The ``ncpu`` section for the scripted model and a store of its own (``escalate``: sent unless ``None``).

    The first passing body is shown while agreement runs only to a client that applies edits and reports
    them (``Buffers``, ``tests/server/test_first_pass.py``); the clients that record edits without applying
    them get ``showFirstPass: false``. ``more``: other keys, as on the wire.
    """
    settings: dict[str, Any] = {"backend": "fake", "modelPath": str(script), "storePath": str(store), **more}
    if escalate is not None:
        settings["escalate"] = escalate
    if not show_first_pass:
        settings["showFirstPass"] = False
    return settings


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


class Buffers:
    """What an editor does with ``workspace/applyEdit``: apply it to the open text and report the change.

    Documents opened through ``open`` are tracked; an edit for another version than the current one is
    refused, as VS Code and Neovim refuse it. Every applied edit is kept in ``applied`` too.
    """

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.applied: list[types.ApplyWorkspaceEditParams] = []

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            return self.apply(params)

    def open(self, path: Path, text: str) -> str:
        """Write and open ``path`` with ``text``; its URI."""
        uri = open_document(self.client, path, text)
        self.texts[uri], self.versions[uri] = text, 1
        return uri

    def apply(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        for change in params.edit.document_changes or []:
            assert isinstance(change, types.TextDocumentEdit)
            uri, version = change.text_document.uri, change.text_document.version
            if uri not in self.texts or (version is not None and version != self.versions[uri]):
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason="the document changed")
            text = self.texts[uri]
            for edit in sorted(change.edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
                assert isinstance(edit, types.TextEdit)
                if "\r\n" in text:  # an editor writes the document's own line ends into what it inserts
                    edit = types.TextEdit(edit.range, edit.new_text.replace("\r\n", "\n").replace("\n", "\r\n"))
                text = apply_text_edit(text, edit)
            self.change(uri, text)
        self.applied.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    def change(self, uri: str, text: str) -> None:
        """Replace the whole text, as the user typing would, and report it."""
        self.texts[uri] = text
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
