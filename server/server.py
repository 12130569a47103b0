"""The language server: holds state only; each LSP method lives in a feature module under ``features/``.

Features import this module for its type only (``TYPE_CHECKING``) and share names through
``server.contract``; nothing here imports a feature except ``create_server``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from ncpu import __version__
from ncpu.engine import Engine
from ncpu.ladder import ModelLadder
from server.config import ServerConfig, parse_config, section_of
from server.documents import DocumentIndex
from server.partials import Partials
from server.protocol import NcpuProtocol
from server.status import StatusReporter

logger = logging.getLogger("ncpu.server")


class NcpuServer(LanguageServer):
    """State of one editor session: settings, documents, the engine, unverified results and the status."""

    protocol: NcpuProtocol

    def __init__(self) -> None:
        super().__init__("ncpu", __version__, protocol_cls=NcpuProtocol)
        self.config = ServerConfig()
        self.documents = DocumentIndex()
        self.partials = Partials()
        self.status = StatusReporter(self._notify, self.on_loop, self._model_labels)
        self.last_solve = time.monotonic()
        self._applied: object = ()
        """The settings section last applied, as the client sent it."""
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

    def _model_labels(self) -> list[str]:
        """The ladder's models: the engine's (named by the loaded backends), else the configured ones."""
        engine = self._engine
        if engine is not None:
            return engine.tier_labels
        return ModelLadder.from_settings(self.config.settings.model).labels

    @property
    def engine_started(self) -> bool:
        """Whether an engine exists (without creating one)."""
        return self._engine is not None

    def open_document(self, uri: str) -> TextDocument | None:
        """The document if the client has it open; requests for others get an empty answer, not a disk read."""
        return self.workspace.text_documents.get(uri)

    def apply_settings(self, raw: object) -> None:
        """Take new settings; report each bad key and keep its default.

        The same section sent again (pushed, then pulled) changes nothing and is not reported twice.
        """
        section = section_of(raw)
        if section == self._applied:
            return
        self._applied = section
        config, problems = parse_config(section)
        for problem in problems:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Warning, f"ncpu: {problem}"))
            self.log(problem, types.MessageType.Warning)
        if config != self.config:
            self.close_engine(config)
            self.documents.clear()
            self.partials.clear()
            self.status.reset()
        self.documents.python = self.config.to_settings().python

    def on_loop(self, function: Callable[..., object], *args: object) -> None:
        """Call ``function(*args)`` on the event loop: at once from it, else handed to it (thread-safe)."""
        if self.loop is not None and threading.current_thread() is not threading.main_thread():
            if not self.loop.is_closed():  # a worker finishing after shutdown has no one left to tell
                self.loop.call_soon_threadsafe(function, *args)
        else:
            function(*args)

    def _notify(self, method: str, params: dict[str, Any]) -> None:
        """Send a notification of ncpu's own (on the loop); one that cannot go is only logged."""
        try:
            self.protocol.notify(method, params)
        except Exception as exc:  # no transport yet, or the client went away
            logger.debug("%s not sent: %s", method, exc)

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
        self.on_loop(self.window_log_message, types.LogMessageParams(type=kind, message=message))

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
