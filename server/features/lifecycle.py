"""Initialization, configuration (pulled with ``workspace/configuration``), idle model unloading and shutdown.

Settings come from ``initializationOptions`` first. A section pushed with ``workspace/didChangeConfiguration``
applies at once (before the next message is read). Where the client answers ``workspace/configuration``
(VS Code and Neovim do), the server also asks it for the ``ncpu`` section at ``initialized`` and on every
``didChangeConfiguration``, so a changed setting applies without a restart even when the notification
carries nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from server.config import SECTION

if TYPE_CHECKING:
    from server.server import NcpuServer

CONFIGURATION_TIMEOUT = 10.0
"""Seconds to wait for the client's ``workspace/configuration`` answer."""

IDLE_CHECK_SECONDS = 5.0
_BACKGROUND: set[asyncio.Task[None]] = set()


def _workspace_root(params: types.InitializeParams) -> Path | None:
    folders = params.workspace_folders or []
    uri = folders[0].uri if folders else params.root_uri
    path = to_fs_path(uri) if uri else None
    return Path(path) if path else None


async def _unload_when_idle(server: NcpuServer) -> None:
    while True:
        await asyncio.sleep(IDLE_CHECK_SECONDS)
        idle = server.config.idle_unload_seconds
        if not idle or not server.engine_started or server.engine.model_state != "ready":
            continue
        if time.monotonic() - server.last_solve > idle:
            await asyncio.to_thread(server.engine.unload_model)
            server.log(f"model unloaded after {idle:g} s idle")


def _pulls_configuration(server: NcpuServer) -> bool:
    workspace = server.client_capabilities.workspace
    return bool(workspace is not None and workspace.configuration)


async def _pull_settings(server: NcpuServer) -> Any:
    """The client's ``ncpu`` section, or ``None`` when it has none or does not answer."""
    root = server.documents.workspace_root
    item = types.ConfigurationItem(section=SECTION, scope_uri=root.as_uri() if root is not None else None)
    try:
        answer = await asyncio.wait_for(
            server.workspace_configuration_async(types.ConfigurationParams(items=[item])), CONFIGURATION_TIMEOUT
        )
    except Exception as exc:
        server.log(f"workspace/configuration failed ({exc}); keeping the settings sent before")
        return None
    return answer[0] if answer else None


async def _refresh_settings(server: NcpuServer) -> None:
    """Apply the section the client serves, if it serves one (the settings already applied stay otherwise)."""
    pulled = await _pull_settings(server)
    if pulled is not None:
        server.apply_settings(pulled)


def _in_background(job: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(job)
    _BACKGROUND.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_BACKGROUND.discard)


async def _report_isolation(server: NcpuServer) -> None:
    """Start the sandbox worker (not the model) and say at once when it cannot isolate candidates."""
    try:
        isolation = await asyncio.to_thread(lambda: server.engine.sandbox.isolation)
    except Exception as exc:
        if not server.stopped:
            server.log(f"the sandbox could not start: {exc}", types.MessageType.Error)
        return
    server.status.publish()  # the engine exists now: the status names its model
    if isolation.startswith("none:"):
        server.log(
            f"sandbox isolation is reduced: {isolation[5:].strip()} (see docs/security.md)", types.MessageType.Warning
        )
    else:
        server.log(f"sandbox isolation: {isolation}")


def setup(server: NcpuServer) -> None:
    """Register the lifecycle handlers."""

    @server.feature(types.INITIALIZE)
    def initialize(ls: NcpuServer, params: types.InitializeParams) -> None:
        ls.documents.workspace_root = _workspace_root(params)
        ls.apply_settings(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: NcpuServer, params: types.InitializedParams) -> None:
        ls.loop = asyncio.get_running_loop()
        if _pulls_configuration(ls):
            await _refresh_settings(ls)
        ls.log(f"ncpu server ready (backend {ls.config.settings.model.backend}); the model loads on the first solve")
        ls.status.start()
        for job in (_unload_when_idle(ls), _report_isolation(ls)):
            _in_background(job)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: NcpuServer, params: types.DidChangeConfigurationParams) -> None:
        if params.settings not in (None, {}):
            ls.apply_settings(params.settings)
        if _pulls_configuration(ls):
            _in_background(_refresh_settings(ls))

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: NcpuServer, *args: object) -> None:
        ls.protocol.cancel_pending()
        ls.stopped = True
        ls.close_engine()
