"""Initialization, configuration changes, idle model unloading and shutdown."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from server.server import NcpuServer

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


async def _report_isolation(server: NcpuServer) -> None:
    """Start the sandbox worker (not the model) and say at once when it cannot isolate candidates."""
    try:
        isolation = await asyncio.to_thread(lambda: server.engine.sandbox.isolation)
    except Exception as exc:
        if not server.stopped:
            server.log(f"the sandbox could not start: {exc}", types.MessageType.Error)
        return
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
        ls.log(f"ncpu server ready (backend {ls.config.backend}); the model loads on the first solve")
        loop = ls.loop = asyncio.get_running_loop()
        for job in (_unload_when_idle(ls), _report_isolation(ls)):
            task = loop.create_task(job)
            _BACKGROUND.add(task)  # the loop keeps only weak references to tasks
            task.add_done_callback(_BACKGROUND.discard)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: NcpuServer, params: types.DidChangeConfigurationParams) -> None:
        ls.apply_settings(params.settings)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: NcpuServer, *args: object) -> None:
        # pygls cancels pending requests while iterating the dict their callbacks shrink; settle them first.
        current = ls.protocol.msg_id
        for msg_id, future in list(ls.protocol._request_futures.items()):
            if msg_id != current and not future.done():
                future.cancel()
        ls.stopped = True
        ls.close_engine()
