"""A small HTTP client for JSON APIs and server-sent events, on the standard library only.

It retries what a busy server refuses (429, 5xx) and failed connections with exponential backoff and
jitter (honouring ``Retry-After``), bounds every request by a timeout, and aborts an exchange in flight
when the caller cancels: a watcher thread shuts the socket down, which wakes a blocked read at once.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Generator
from typing import Any

from ncpu.backends.base import BackendError
from ncpu.cancel import Cancelled

IsCancelled = Callable[[], bool]
"""Whether the caller gave up; polled by the watcher and between retries."""

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
_POLL = 0.05
_MAX_DELAY = 10.0


class _Exchange:
    """One request on its own connection; closing the socket early is how it is cancelled or timed out."""

    def __init__(self, connection: http.client.HTTPConnection, cancelled: IsCancelled, timeout: float) -> None:
        self.connection = connection
        self.aborted: str | None = None
        """``cancelled`` or ``timeout`` once the watcher cut the exchange short."""
        self._cancelled = cancelled
        self._deadline = time.monotonic() + timeout
        self._done = threading.Event()
        threading.Thread(target=self._watch, name="ncpu-http-watch", daemon=True).start()

    def _watch(self) -> None:
        while not self._done.wait(_POLL):
            reason = "cancelled" if self._cancelled() else "timeout" if time.monotonic() > self._deadline else None
            if reason is not None:
                self.aborted = reason
                sock = self.connection.sock
                if sock is not None:
                    with contextlib.suppress(OSError):  # already closed by the other side
                        sock.shutdown(socket.SHUT_RDWR)
                return

    def close(self) -> None:
        self._done.set()
        self.connection.close()


class HttpClient:
    """Requests to one base URL (``http://host:port/v1``); each request opens its own connection."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        timeout: float = 120.0,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        parts = urllib.parse.urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BackendError(f"base URL must look like http://host:port/v1, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    def _connection(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return kind(self._host, self._port, timeout=self.timeout)

    def get_json(self, path: str, cancelled: IsCancelled) -> Any:
        """``GET`` a JSON document."""
        exchange, response = self._open("GET", path, None, cancelled)
        return self._read_json(exchange, response)

    def post_json(self, path: str, body: dict[str, Any], cancelled: IsCancelled) -> Any:
        """``POST`` a JSON body, return the JSON answer."""
        exchange, response = self._open("POST", path, body, cancelled)
        return self._read_json(exchange, response)

    def post_events(self, path: str, body: dict[str, Any], cancelled: IsCancelled) -> Generator[Any, None, None]:
        """``POST`` and yield each server-sent event's JSON data; closing the iterator drops the connection.

        A server that answers with plain JSON instead of a stream yields that document once.
        """
        exchange, response = self._open("POST", path, body, cancelled)
        try:
            if not (response.getheader("Content-Type") or "").startswith("text/event-stream"):
                yield self._parse(response.read())
                return
            while True:
                line = response.readline()
                if not line:
                    return
                if not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    return
                event = self._parse(data)
                if isinstance(event, dict) and event.get("error"):
                    raise BackendError(f"{self.base_url} failed mid-answer: {_error_text(event)}")
                yield event
        except OSError as exc:
            raise self._interrupted(exchange, exc) from None
        finally:
            exchange.close()

    # -- internals ---------------------------------------------------------------------------

    def _open(
        self, method: str, path: str, body: dict[str, Any] | None, cancelled: IsCancelled
    ) -> tuple[_Exchange, http.client.HTTPResponse]:
        """Send the request, retrying refusals; return the open exchange and a successful response."""
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(self.retries + 1):
            if cancelled():
                raise Cancelled()
            exchange = _Exchange(self._connection(), cancelled, self.timeout)
            retry_after: float | None = None
            try:
                exchange.connection.request(method, self._prefix + path, body=data, headers=self._headers)
                response = exchange.connection.getresponse()
            except OSError as exc:
                exchange.close()
                if exchange.aborted or isinstance(exc, TimeoutError):
                    raise self._interrupted(exchange, exc) from None
                failure = f"cannot reach {self.base_url}: {_reason(exc)}"
            else:
                if response.status < 400:
                    return exchange, response
                try:
                    payload = response.read()
                except OSError:
                    payload = b""
                exchange.close()
                failure = f"{self.base_url} answered {response.status} {response.reason}: {_error_text(payload)}"
                if response.status not in RETRYABLE_STATUS:
                    raise BackendError(failure)
                retry_after = _seconds(response.getheader("Retry-After"))
            if attempt == self.retries:
                tries = f" (after {attempt + 1} attempts)" if attempt else ""
                raise BackendError(failure + tries)
            self._sleep(self._delay(attempt, retry_after), cancelled)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, _MAX_DELAY)
        delay = min(self.backoff * 2**attempt, _MAX_DELAY)
        return delay + random.uniform(0, delay / 2)  # jitter: clients that failed together retry apart

    @staticmethod
    def _sleep(seconds: float, cancelled: IsCancelled) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if cancelled():
                raise Cancelled()
            time.sleep(min(_POLL, left))

    def _read_json(self, exchange: _Exchange, response: http.client.HTTPResponse) -> Any:
        try:
            return self._parse(response.read())
        except OSError as exc:
            raise self._interrupted(exchange, exc) from None
        finally:
            exchange.close()

    def _interrupted(self, exchange: _Exchange, exc: OSError) -> Exception:
        if exchange.aborted == "cancelled":
            return Cancelled()
        if exchange.aborted == "timeout" or isinstance(exc, TimeoutError):
            return BackendError(f"{self.base_url} did not answer within {self.timeout:g} s")
        return BackendError(f"lost the connection to {self.base_url}: {_reason(exc)}")

    def _parse(self, raw: bytes) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise BackendError(f"{self.base_url} sent something that is not JSON: {raw[:200]!r}") from None


def _reason(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror})"
    return exc.strerror or str(exc) or type(exc).__name__


def _error_text(payload: bytes | dict[str, Any]) -> str:
    """The server's own error message when it sent one in the usual shapes."""
    document: Any = payload
    if isinstance(payload, bytes):
        try:
            document = json.loads(payload)
        except ValueError:
            return payload.decode("utf-8", errors="replace").strip()[:300] or "no details"
    error = document.get("error", document) if isinstance(document, dict) else document
    if isinstance(error, dict):
        return str(error.get("message") or error.get("detail") or error)[:300]
    return str(error)[:300]


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: rare from model servers, use our own backoff
