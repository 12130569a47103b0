"""The JSON-RPC layer: error responses for unreadable requests, and the request bookkeeping features need.

pygls reports a request whose params do not fit its method with a ``window/showMessage`` and drops it, so
the client waits for an answer forever. Here the error goes back as the request's response (JSON-RPC:
``-32602``), as the protocol asks, and the message is then ignored.

Features never touch pygls's private request table: ``on_cancel`` and ``cancel_pending`` do it here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol


class _Dropped:
    """What the reader gets for an answered bad request: ``handle_message`` ignores any other version."""

    jsonrpc = "dropped"


class NcpuProtocol(LanguageServerProtocol):
    """``LanguageServerProtocol`` that answers requests it cannot read."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Deserialize as pygls does; a request that fails gets an error response instead of silence."""
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            msg_id = data.get("id")
            if "method" not in data or not isinstance(msg_id, int | str) or isinstance(msg_id, bool):
                raise
            self._send_response(msg_id, error=exc.to_response_error())
            return _Dropped()

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when the client cancels the request being served now (``$/cancelRequest``).

        pygls runs a handler behind the request's own future; ``$/cancelRequest`` cancels that future (and
        answers the client) but not the handler's task, so a handler that must stop its work links it here.
        """
        msg_id = self.msg_id
        request = self._request_futures.get(msg_id) if msg_id is not None else None
        if request is not None:
            request.add_done_callback(lambda future: callback() if future.cancelled() else None)

    def cancel_pending(self) -> None:
        """Cancel every pending request except the one being served (``shutdown``).

        pygls cancels pending requests at exit while iterating the dict their callbacks shrink; settling
        them first avoids that.
        """
        current = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current and not future.done():
                future.cancel()
