"""The JSON-RPC layer: a request whose params do not fit its method still gets an error response.

pygls reports such a request with a ``window/showMessage`` and drops it, so the client waits for an
answer forever. Here the error goes back as the request's response (JSON-RPC: ``-32602``), as the
protocol asks, and the message is then ignored.
"""

from __future__ import annotations

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
