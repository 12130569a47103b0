"""The model host process: crashes survived and reported, cancellation, clean exits, the machine-wide lock.

A scripted fake backend runs inside a real host process and kills itself on demand (``__crash_file__``:
``segv``, ``exit``, ``oom``), so every path is exercised without a model. The real model in its host is
covered by the contract suite (``llama_cpp-hosted``) and the end-to-end tests.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from extraction import find_stubs
from ncpu.backends import notices
from ncpu.backends.base import BackendError, ChatMessage, GenerationRequest
from ncpu.backends.host import HostedBackend, open_backend
from ncpu.cancel import Cancelled, CancelToken
from ncpu.cascade.solution import LayerEvent
from ncpu.config import ModelSettings, Settings
from ncpu.engine import Engine
from ncpu.problem import Problem

ADD = "def add(a, b):\n    return a + b\n"
STUB = '''def add(a, b):
    """Return the sum.

    >>> add(1, 2)
    3
    >>> add(-4, 10)
    6
    """
'''
REQUEST = GenerationRequest(messages=(ChatMessage("user", "add"),), entry_point="add", max_tokens=32)


@pytest.fixture(autouse=True)
def private_model_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own machine-wide lock, so parallel runs and a user's editor do not interfere."""
    path = tmp_path / "model.lock"
    monkeypatch.setenv("NCPU_MODEL_LOCK", str(path))
    return path


@pytest.fixture
def crash_file(tmp_path: Path) -> Path:
    path = tmp_path / "crashes"
    path.write_text("")
    return path


def _script(tmp_path: Path, crash_file: Path, delay: float = 0.0) -> Path:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"add": ADD, "*": ADD, "__crash_file__": str(crash_file), "__delay__": delay}))
    return script


def _hosted(tmp_path: Path, crash_file: Path, delay: float = 0.0) -> HostedBackend:
    backend = open_backend("fake", _script(tmp_path, crash_file, delay), ModelSettings(backend="fake", host="process"))
    assert isinstance(backend, HostedBackend)
    return backend


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_native_backends_are_hosted_by_default_and_others_inline(tmp_path: Path, crash_file: Path) -> None:
    from ncpu.backends.fake import ScriptedBackend

    assert isinstance(
        open_backend("fake", _script(tmp_path, crash_file), ModelSettings(backend="fake")), ScriptedBackend
    )
    backend = _hosted(tmp_path, crash_file)
    try:
        assert backend.generate(REQUEST).text == ADD
        assert [g.text for g in backend.sample(REQUEST, 3)] == [ADD] * 3
        assert f"model host pid {backend.pid}" in backend.describe()
        assert backend.pid != os.getpid()
    finally:
        backend.close()


@pytest.mark.parametrize(
    ("directive", "said"),
    [
        ("segv", "the model process crashed (SIGSEGV) while generating; restarted in CPU-safe mode"),
        ("exit", "the model process exited with status 1 while generating; restarted in CPU-safe mode"),
        ("oom", "the model process ran out of memory while generating; restarted in CPU-safe mode"),
    ],
)
def test_a_crash_is_reported_restarted_in_safe_mode_and_retried(
    tmp_path: Path, crash_file: Path, directive: str, said: str
) -> None:
    backend = _hosted(tmp_path, crash_file)
    heard: list[tuple[str, bool]] = []
    try:
        first = backend.pid
        assert not backend.cpu_safe
        crash_file.write_text(f"{directive}\n")
        with notices.listening(lambda message, warning: heard.append((message, warning))):
            assert backend.generate(REQUEST).text == ADD  # the retry answered
        assert heard == [(said, True)]
        assert backend.cpu_safe and backend.pid not in (None, first)
        assert first is not None and not _alive(first)
        assert backend.generate(REQUEST).text == ADD  # and it carries on
    finally:
        backend.close()


def test_a_crash_while_loading_is_retried_too(tmp_path: Path, crash_file: Path) -> None:
    crash_file.write_text("load:segv\n")
    heard: list[str] = []
    with notices.listening(lambda message, warning: heard.append(message)):
        backend = _hosted(tmp_path, crash_file)
    try:
        assert heard == ["the model process crashed (SIGSEGV) while loading; restarted in CPU-safe mode"]
        assert backend.generate(REQUEST).text == ADD
    finally:
        backend.close()


def test_a_second_crash_in_a_row_makes_the_model_unavailable(tmp_path: Path, crash_file: Path) -> None:
    backend = _hosted(tmp_path, crash_file)
    try:
        crash_file.write_text("segv\nsegv\n")
        with pytest.raises(BackendError, match=r"crashed \(SIGSEGV\) while generating, again .*: model unavailable"):
            backend.generate(REQUEST)
        started = time.monotonic()
        with pytest.raises(BackendError, match="model unavailable"):  # said at once, no third start
            list(backend.sample(REQUEST, 2))
        assert time.monotonic() - started < 0.5
        assert backend.pid is None
    finally:
        backend.close()


def test_a_crash_in_a_sample_stream_resumes_where_it_stopped(tmp_path: Path, crash_file: Path) -> None:
    backend = _hosted(tmp_path, crash_file)
    try:
        samples = backend.sample(REQUEST, 3)
        assert next(samples).text == ADD
        crash_file.write_text("exit\n")
        assert [g.text for g in samples] == [ADD, ADD]
    finally:
        backend.close()


def test_cancel_stops_a_generation_in_the_host_within_half_a_second(tmp_path: Path, crash_file: Path) -> None:
    backend = _hosted(tmp_path, crash_file, delay=30.0)
    try:
        pid = backend.pid
        cancel = CancelToken()
        threading.Timer(0.3, cancel.cancel).start()
        started = time.monotonic()
        with pytest.raises(Cancelled):
            backend.generate(REQUEST, cancel)
        assert time.monotonic() - started - 0.3 < 0.5
        assert backend.pid == pid  # cancelled, not killed: the model stays loaded
    finally:
        backend.close()


def test_cancel_stops_a_sample_stream_in_the_host(tmp_path: Path, crash_file: Path) -> None:
    backend = _hosted(tmp_path, crash_file, delay=30.0)
    try:
        pid = backend.pid
        cancel = CancelToken()
        threading.Timer(0.3, cancel.cancel).start()
        started = time.monotonic()
        with pytest.raises(Cancelled):
            next(backend.sample(REQUEST, 2, cancel))
        assert time.monotonic() - started - 0.3 < 0.5
        assert backend.pid == pid
    finally:
        backend.close()


def test_close_ends_the_host_process(tmp_path: Path, crash_file: Path) -> None:
    backend = _hosted(tmp_path, crash_file)
    pid = backend.pid
    assert pid is not None and _alive(pid)
    backend.close()
    assert not _alive(pid)


def test_the_host_exits_when_its_owner_dies(tmp_path: Path, crash_file: Path) -> None:
    """A server killed with SIGKILL leaves no model process behind: the host sees its pipe close."""
    script = _script(tmp_path, crash_file, delay=30.0)
    owner = textwrap.dedent(
        f"""
        import os, sys, threading
        from pathlib import Path
        from ncpu.backends.host import open_backend
        from ncpu.config import ModelSettings
        from ncpu.backends.base import ChatMessage, GenerationRequest
        backend = open_backend("fake", Path({str(script)!r}), ModelSettings(backend="fake", host="process"))
        print(backend.pid, flush=True)
        request = GenerationRequest(messages=(ChatMessage("user", "x"),), entry_point="add")
        threading.Thread(target=backend.generate, args=(request,), daemon=True).start()  # mid-generation
        threading.Timer(0.5, lambda: os._exit(9)).start()
        threading.Event().wait()
        """
    )
    answer = subprocess.run([sys.executable, "-c", owner], capture_output=True, text=True, timeout=60)
    pid = int(answer.stdout.split()[0])
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_a_busy_model_lock_says_waiting_and_honours_cancel(
    tmp_path: Path, crash_file: Path, private_model_lock: Path
) -> None:
    backend = _hosted(tmp_path, crash_file)
    heard: list[str] = []
    handle = os.open(private_model_lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # another ncpu process is generating
        cancel = CancelToken()
        threading.Timer(0.3, cancel.cancel).start()
        with notices.listening(lambda message, warning: heard.append(message)), pytest.raises(Cancelled):
            backend.generate(REQUEST, cancel)
        assert heard == ["waiting for the model: another ncpu process is generating"]
        threading.Timer(0.3, lambda: fcntl.flock(handle, fcntl.LOCK_UN)).start()
        assert backend.generate(REQUEST).text == ADD  # runs once the other process is done
    finally:
        os.close(handle)
        backend.close()


def test_the_time_budget_also_ends_a_wait_for_the_model(
    tmp_path: Path, crash_file: Path, private_model_lock: Path
) -> None:
    import dataclasses

    backend = _hosted(tmp_path, crash_file)
    handle = os.open(private_model_lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        started = time.monotonic()
        generation = backend.generate(dataclasses.replace(REQUEST, deadline=started + 0.3))
        assert generation.text == "" and time.monotonic() - started < 1.0
        assert list(backend.sample(dataclasses.replace(REQUEST, deadline=time.monotonic() + 0.2), 3)) == []
    finally:
        os.close(handle)
        backend.close()


def _engine(tmp_path: Path, crash_file: Path) -> Engine:
    settings = Settings(
        model=ModelSettings(backend="fake", model_path=_script(tmp_path, crash_file), host="process", escalate=False),
        store_path=tmp_path / "store",
        layers=("greedy", "retry"),
    )
    return Engine(settings)


def test_the_engine_reports_the_crash_as_a_warning_event_and_solves(tmp_path: Path, crash_file: Path) -> None:
    problem = Problem.from_source(STUB, find_stubs(STUB)[0])
    events: list[LayerEvent] = []
    with _engine(tmp_path, crash_file) as engine:
        engine.load_model()
        crash_file.write_text("segv\n")
        solution = engine.solve(problem, on_event=events.append)
    assert solution.verified, solution.message
    warnings = [event.message for event in events if event.warning]
    assert warnings == ["the model process crashed (SIGSEGV) while generating; restarted in CPU-safe mode"]


def test_an_unavailable_model_fails_the_solve_with_the_reason(tmp_path: Path, crash_file: Path) -> None:
    problem = Problem.from_source(STUB, find_stubs(STUB)[0])
    with _engine(tmp_path, crash_file) as engine:
        engine.load_model()
        crash_file.write_text("segv\nsegv\n")
        solution = engine.solve(problem)
    assert solution.status == "failed"
    assert "again after a restart in CPU-safe mode: model unavailable" in solution.message


TWO_STUBS = '''def mul(a, b):
    """Multiply.

    >>> mul(2, 3)
    6
    """


def twice(x):
    """Double it.

    >>> twice(1)
    2
    >>> twice(5)
    10
    >>> twice(-3)
    -6
    >>> twice(0)
    0
    """
'''


def test_ncpu_solve_reports_the_crashed_stub_and_goes_on(
    tmp_path: Path, crash_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ncpu.cli.main import main

    target = tmp_path / "mod.py"
    target.write_text(TWO_STUBS)
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"mul": "def mul(a, b):\n    return a * b\n", "__crash_file__": str(crash_file)}))
    crash_file.write_text("segv\nsegv\n")
    report = tmp_path / "report.json"
    options = ["--backend", "fake", "--model", str(script), "--model-host", "process", "--no-escalate"]
    code = main(["solve", str(target), *options, "--store", str(tmp_path / "store"), "--json", str(report)])
    err = capsys.readouterr().err
    assert code == 1
    assert "warning: mul: the model process crashed (SIGSEGV) while generating; restarted in CPU-safe mode" in err
    stubs = {s["function"]: s for s in json.loads(report.read_text())["stubs"]}
    assert stubs["mul"]["status"] == "failed" and "model unavailable" in stubs["mul"]["message"]
    assert stubs["twice"]["status"] == "verified" and stubs["twice"]["layer"] == "template"


@pytest.mark.real_model
def test_the_real_model_host_survives_a_segfault_mid_generation(embedded_gguf: Path) -> None:
    """llama.cpp killed by SIGSEGV while it decodes: the caller gets its answer from a CPU-safe restart."""
    import signal

    backend = open_backend("llama_cpp", embedded_gguf, ModelSettings(n_ctx=2048))
    assert isinstance(backend, HostedBackend) and not backend.cpu_safe
    heard: list[tuple[str, bool]] = []
    request = GenerationRequest(
        messages=(ChatMessage("user", "Write the numbers from 1 to 200, one per line."),), max_tokens=160
    )
    try:
        first = backend.pid
        assert first is not None
        threading.Timer(1.0, lambda: os.kill(first, signal.SIGSEGV)).start()
        with notices.listening(lambda message, warning: heard.append((message, warning))):
            generation = backend.generate(request)
        assert heard == [("the model process crashed (SIGSEGV) while generating; restarted in CPU-safe mode", True)]
        assert generation.tokens > 0 and backend.cpu_safe and backend.pid not in (None, first)
        assert "CPU-safe" in backend.describe()
    finally:
        backend.close()


def test_a_prompt_too_long_for_the_context_window_is_one_clear_error_and_a_long_one_gets_fewer_tokens() -> None:
    from ncpu.backends.base import BackendError
    from ncpu.backends.llama_cpp import LlamaCppBackend

    class _Llama:
        def n_ctx(self) -> int:
            return 1000

        def tokenize(self, data: bytes, add_bos: bool = False, special: bool = True) -> list[int]:
            return [0] * len(data.split())

    backend = object.__new__(LlamaCppBackend)
    backend._llama = _Llama()  # type: ignore[attr-defined]
    assert backend._fitting_max_tokens("word " * 100, 512) == 512
    assert backend._fitting_max_tokens("word " * 700, 512) == 292
    with pytest.raises(BackendError, match="too long for the model's context window of 1000"):
        backend._fitting_max_tokens("word " * 950, 512)
