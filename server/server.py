"""The language server: holds state only; each LSP method lives in a feature module under ``features/``."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from ncpu import __version__
from ncpu.cascade.solution import Solution
from ncpu.engine import Engine
from server.config import ServerConfig, parse_config
from server.documents import DocumentIndex
from server.protocol import NcpuProtocol

logger = logging.getLogger("ncpu.server")


@dataclass(frozen=True)
class PartialResult:
    """The best unverified body of the last solve of a stub, offered only as a labelled action."""

    key: str
    solution: Solution


class NcpuServer(LanguageServer):
    """State of one editor session: settings, documents, the engine and unverified results."""

    def __init__(self) -> None:
        super().__init__("ncpu", __version__, protocol_cls=NcpuProtocol)
        self.config = ServerConfig()
        self.documents = DocumentIndex()
        self.partials: dict[tuple[str, str], PartialResult] = {}
        self.last_solve = time.monotonic()
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self.stopped = False
        """Set by ``shutdown``: no engine is created after it."""
        self.loop: asyncio.AbstractEventLoop | None = None
        """The event loop serving the client, once running (for messages sent from worker threads)."""

    @property
    def engine(self) -> Engine:
        """The engine for the current settings (created on first use; models load on first solve)."""
        with self._engine_lock:  # also created from a thread (the start-up isolation report)
            if self.stopped:
                raise RuntimeError("the server is shutting down")
            if self._engine is None:
                self._engine = Engine(self.config.to_settings())
                for warning in getattr(self._engine.store, "warnings", []):
                    self.log(warning, types.MessageType.Warning)
            return self._engine

    @property
    def engine_started(self) -> bool:
        """Whether an engine exists (without creating one)."""
        return self._engine is not None

    def open_document(self, uri: str) -> TextDocument | None:
        """The document if the client has it open; requests for others get an empty answer, not a disk read."""
        return self.workspace.text_documents.get(uri)

    def apply_settings(self, raw: object) -> None:
        """Take new settings; report each bad key and keep its default."""
        config, problems = parse_config(raw)
        for problem in problems:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Warning, f"ncpu: {problem}"))
            self.log(problem, types.MessageType.Warning)
        if config != self.config:
            self.close_engine(config)
            self.documents.clear()
        self.documents.python = self.config.to_settings().python

    def close_engine(self, new_config: ServerConfig | None = None) -> None:
        """Free the engine (models, sandbox worker, store); with ``new_config``, switch to it at the same time.

        Under the engine lock: an engine being created in a thread for the old settings is either
        finished (and closed here) or starts after the switch, so none outlives a settings change.
        """
        with self._engine_lock:
            if new_config is not None:
                self.config = new_config
            engine, self._engine = self._engine, None
        if engine is not None:
            try:
                engine.close()
            except Exception as exc:
                logger.warning("closing the engine failed: %s", exc)

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        """Send a line to the client's log (``window/logMessage``)."""
        params = types.LogMessageParams(type=kind, message=message)
        if self.loop is not None and threading.current_thread() is not threading.main_thread():
            self.loop.call_soon_threadsafe(self.window_log_message, params)  # the transport is not thread-safe
        else:
            self.window_log_message(params)

    def tell(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        """Show one line to the user and log it."""
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))
        self.log(message, kind)


def create_server() -> NcpuServer:
    """A server with every feature registered."""
    from server.features import code_actions, diagnostics, hover, lifecycle, solve

    server = NcpuServer()
    for feature in (lifecycle, diagnostics, code_actions, hover, solve):
        feature.setup(server)
    return server
