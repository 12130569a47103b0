"""Bytes that are not valid LSP, written straight to the server's stdin: it answers per JSON-RPC and stays up."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

HEADER_END = b"\r\n\r\n"


def _frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def _read_message(stdout: asyncio.StreamReader) -> dict[str, Any]:
    header = await stdout.readuntil(HEADER_END)
    length = next(
        int(line.split(b":")[1]) for line in header.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    return json.loads(await stdout.readexactly(length))


async def _answer(stdout: asyncio.StreamReader, msg_id: object, timeout: float = 10) -> dict[str, Any]:
    """The response to ``msg_id`` (notifications the server sends meanwhile are skipped)."""

    async def wait() -> dict[str, Any]:
        while True:
            message = await _read_message(stdout)
            if message.get("id") == msg_id and ("result" in message or "error" in message):
                return message

    return await asyncio.wait_for(wait(), timeout)


def _request(msg_id: object, method: str, params: object) -> bytes:
    return _frame(json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode())


async def test_malformed_messages_get_errors_and_the_server_stays_up() -> None:
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert server.stdin is not None and server.stdout is not None
    try:
        write = server.stdin.write
        write(_request(1, "initialize", {"capabilities": {}, "initializationOptions": {"backend": "fake"}}))
        assert "result" in await _answer(server.stdout, 1)
        write(_frame(json.dumps({"jsonrpc": "2.0", "method": "initialized", "params": {}}).encode()))
        write(_frame(b"{this is not json"))
        write(_frame(b"[1, 2, 3]"))
        write(_frame(b'"just a string"'))
        write(_frame('{"jsonrpc": "2.0", "id": 2, "method": "\u00e9\\ud800"}'.encode()))
        write(_frame(json.dumps({"jsonrpc": "2.0", "method": "no/suchNotification", "params": {}}).encode()))
        write(_request(3, "no/suchMethod", {}))
        unknown = await _answer(server.stdout, 3)
        assert unknown["error"]["code"] == -32601  # MethodNotFound
        write(_request(4, "textDocument/codeAction", {"textDocument": 42}))
        assert "error" in await _answer(server.stdout, 4)  # invalid params: an error, not a crash
        write(_request(5, "textDocument/hover", None))
        assert "error" in await _answer(server.stdout, 5)
        write(_frame(json.dumps({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": "nope"}}).encode()))
        for msg_id in range(100, 300):  # a cancellation storm for requests that never existed
            write(
                _frame(json.dumps({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": msg_id}}).encode())
            )
        params = {
            "textDocument": {"uri": "file:///nowhere/never-opened.py"},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": []},
        }
        write(_request(6, "textDocument/codeAction", params))
        assert (await _answer(server.stdout, 6)).get("result") is None
        write(_request(7, "shutdown", None))
        assert "result" in await _answer(server.stdout, 7)
        write(_frame(json.dumps({"jsonrpc": "2.0", "method": "exit"}).encode()))
        await server.stdin.drain()
        assert await asyncio.wait_for(server.wait(), 10) == 0
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
