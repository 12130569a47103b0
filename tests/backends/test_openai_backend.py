"""The OpenAI-compatible backend against a scripted HTTP server on loopback: retries, errors, n, cancel."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ncpu.backends.base import BackendError, ChatMessage, GenerationRequest
from ncpu.backends.openai_compat import OpenAIBackend
from ncpu.cancel import Cancelled, CancelToken
from ncpu.config import ModelSettings

CODE = "```python\ndef add(a, b):\n    return a + b\n```"


@dataclass
class Script:
    """What the fake server answers: a queue of replies for chat completions; the last one repeats."""

    replies: list[Callable[[BaseHTTPRequestHandler, dict[str, Any]], None]] = field(default_factory=list)
    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def _json(status: int, document: Any, headers: dict[str, str] | None = None) -> Callable[..., None]:
    def reply(handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        data = json.dumps(document).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    return reply


def _choices(*texts: str) -> Callable[..., None]:
    return _json(200, {"choices": [{"index": i, "message": {"content": t}} for i, t in enumerate(texts)]})


def _stream(*pieces: str) -> Callable[..., None]:
    def reply(handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        for piece in pieces:
            event = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            handler.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            handler.wfile.flush()
        handler.wfile.write(b"data: [DONE]\n\n")

    return reply


def _hang(script: Script) -> Callable[..., None]:
    def reply(handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        script.release.wait(10)

    return reply


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            _json(200, {"data": [{"id": "/models/qwen-coder.gguf"}]})(self, {})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            script.requests.append((dict(self.headers), body))
            index = min(len(script.requests), len(script.replies)) - 1
            script.replies[index](self, body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", script
    script.release.set()
    httpd.shutdown()
    httpd.server_close()


def _backend(url: str, **changes: Any) -> OpenAIBackend:
    return OpenAIBackend(ModelSettings(backend="openai", base_url=url, **changes))


def _request(temperature: float = 0.0, prefix: str = "```python\ndef add(a, b):\n") -> GenerationRequest:
    return GenerationRequest(
        messages=(ChatMessage("user", "write add"),),
        temperature=temperature,
        max_tokens=32,
        seed=5,
        stop=("\n```", "\nprint(", "\nassert ", "\n# Test", "\nif __name__"),
        response_prefix=prefix,
    )


def test_the_served_model_is_found_and_named_without_its_path(server: tuple[str, Script]) -> None:
    url, _ = server
    backend = _backend(url)
    assert backend.model == "/models/qwen-coder.gguf" and backend.name == "qwen-coder"
    assert backend.describe() == f"openai /models/qwen-coder.gguf at {url}"


def test_a_stream_stops_at_the_closing_fence_even_after_prose(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [_stream("Sure! Here it is:\n", "```python\ndef add(a, b):\n", "    return a + b\n", "```\nMore")]
    generation = _backend(url).generate(_request())
    assert generation.text == "```python\ndef add(a, b):\n    return a + b\n"
    assert generation.tokens == 4
    sent = script.requests[0][1]
    assert sent["stream"] is True and sent["temperature"] == 0.0 and len(sent["stop"]) <= 4
    assert all("```" not in stop for stop in sent["stop"])  # a fence stop would cut the opening fence


def test_the_api_key_comes_from_the_named_environment_variable(
    server: tuple[str, Script], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, script = server
    script.replies = [_stream(CODE)]
    monkeypatch.setenv("MY_KEY", "sk-test")
    _backend(url, api_key_env="MY_KEY", model_name="m").generate(_request())
    headers, body = script.requests[0]
    assert headers["Authorization"] == "Bearer sk-test" and body["model"] == "m"


def test_busy_answers_are_retried_with_retry_after(server: tuple[str, Script]) -> None:
    url, script = server
    busy = _json(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})
    script.replies = [busy, busy, _stream(CODE)]
    generation = _backend(url, model_name="m").generate(_request())
    assert "return a + b" in generation.text and len(script.requests) == 3


def test_a_server_error_that_persists_is_reported_after_the_retries(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [_json(503, {"error": {"message": "overloaded"}}, {"Retry-After": "0"})]
    with pytest.raises(BackendError, match=r"answered 503 .*overloaded \(after 3 attempts\)"):
        _backend(url, model_name="m", request_retries=2).generate(_request())
    assert len(script.requests) == 3


def test_a_client_error_is_not_retried_and_shows_the_servers_message(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [_json(400, {"error": {"message": "max_tokens is too large"}})]
    with pytest.raises(BackendError, match=r"answered 400 .*max_tokens is too large"):
        _backend(url, model_name="m").generate(_request())
    assert len(script.requests) == 1


def test_an_unreachable_server_is_reported_clearly() -> None:
    with pytest.raises(BackendError, match=r"cannot reach http://127\.0\.0\.1:9/v1: connection refused"):
        _backend("http://127.0.0.1:9/v1", request_retries=0)


def test_n_samples_in_one_request_when_the_server_supports_n(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [_choices(CODE, CODE + "\nprint(add(1, 2))", "Sure.\n" + CODE)]
    generations = list(_backend(url, model_name="m").sample(_request(0.8), 3))
    assert len(script.requests) == 1 and script.requests[0][1]["n"] == 3
    assert [g.text for g in generations] == ["```python\ndef add(a, b):\n    return a + b\n"] * 3


def test_a_server_that_ignores_n_gets_parallel_requests(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [_choices(CODE), _stream(CODE)]
    backend = _backend(url, model_name="m")
    assert len(list(backend.sample(_request(0.8), 3))) == 3
    assert len(script.requests) == 3 and [r[1].get("n") for r in script.requests][1:] == [None, None]
    seeds = sorted(r[1]["seed"] for r in script.requests)
    assert seeds == [5, 6, 7]
    assert len(list(backend.sample(_request(0.8), 2))) == 2  # learnt: no more n
    assert len(script.requests) == 5 and "n" not in script.requests[3][1]


def test_cancel_aborts_a_request_in_flight(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [_hang(script)]
    backend = _backend(url, model_name="m")
    cancel = CancelToken()
    threading.Timer(0.3, cancel.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        backend.generate(_request(), cancel)
    assert time.monotonic() - started < 2.0


def test_a_request_that_takes_too_long_times_out(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [_hang(script)]
    started = time.monotonic()
    with pytest.raises(BackendError, match=r"did not answer within 0\.5 s"):
        _backend(url, model_name="m", request_timeout=0.5).generate(_request())
    assert time.monotonic() - started < 3.0
