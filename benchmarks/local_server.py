"""llama-cpp-python's own OpenAI-compatible server on a loopback port, for the ``openai`` backend.

Used by the backend contract tests (``tests/backends/conftest.py``, through ``tests.scripts``) and
``benchmarks/backends.py`` to serve a local GGUF file the way a team would serve a shared model, without
leaving this machine. Test and benchmark infrastructure, so it lives here, not in the ``ncpu`` package.
Needs the ``[server]`` dependencies of llama-cpp-python (``uvicorn``, ``sse-starlette``; in the ``[test]``
extra).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


class LocalServerError(RuntimeError):
    """The server could not be started, or did not answer in time."""


def server_available() -> bool:
    """Whether llama-cpp-python's server and its dependencies are installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("llama_cpp", "uvicorn", "sse_starlette"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ready(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "/models", timeout=2) as answer:
            return bool(json.load(answer).get("data"))
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def local_llama_server(gguf: Path, *, threads: int, n_ctx: int = 2048, start_timeout: float = 180.0) -> Iterator[str]:
    """Serve ``gguf`` on a free loopback port; yield its base URL (``http://127.0.0.1:PORT/v1``); stop it after.

    Requests are queued rather than interrupting each other (the server's default aborts a stream whenever
    another request arrives).
    """
    port = _free_port()
    # llama.cpp's AMX kernels crash on Q4_K_M (docs/backends.md): the server process refuses them first, as
    # the model host does, then runs llama_cpp.server as ``python -m`` would.
    launch = (
        "from ncpu.backends import amx_guard, cpu_features\n"
        "if cpu_features.cpu_features().amx: amx_guard.refuse_amx()\n"
        "import runpy, sys\n"
        "sys.argv[0] = 'llama_cpp.server'\n"
        "runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)"
    )
    command = [sys.executable, "-c", launch, "--model", str(gguf), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", str(threads), "--verbose", "False"]
    command += ["--interrupt_requests", "False"]
    base_url = f"http://127.0.0.1:{port}/v1"
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, text=True)
        try:
            deadline = time.monotonic() + start_timeout
            while not _ready(base_url):
                if process.poll() is not None:
                    log.seek(0)
                    raise LocalServerError(f"llama_cpp.server exited ({process.returncode}): {log.read()[-2000:]}")
                if time.monotonic() > deadline:
                    raise LocalServerError(f"llama_cpp.server did not answer within {start_timeout:.0f} s")
                time.sleep(0.25)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
