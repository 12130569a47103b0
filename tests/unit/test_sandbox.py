from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from extraction.check import Check
from ncpu.cancel import Cancelled, CancelToken
from ncpu.config import SandboxLimits
from ncpu.sandbox import Sandbox

CHECKS = [Check("doctest", "f(2)", "4"), Check("doctest", "f(3)", "6")]


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox(SandboxLimits(wall_seconds=2.0, cpu_seconds=2, memory_mb=256))
    yield sandbox
    sandbox.close()


def test_passing_and_failing_candidates_report_per_check(box: Sandbox) -> None:
    assert box.verify("def f(x):\n    return 2 * x\n", CHECKS).ok
    verdict = box.verify("def f(x):\n    return x + 2\n", CHECKS)
    assert verdict.passed == 1 and verdict.results[1].actual == "5"
    raised = box.verify("def f(x):\n    return 1 / 0\n", CHECKS)
    assert raised.results[0].error == "ZeroDivisionError: division by zero"
    broken = box.verify("def f(x)\n    return x\n", CHECKS)
    assert broken.error is not None and broken.error.startswith("SyntaxError")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("while True:\n        pass", "timed out"),
        ("return sum(range(10**12))", "timed out"),
        ("return [0] * (10**10)", "MemoryError"),
        ("import os\n    os._exit(0)", "before reporting"),
        ("import os, signal\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    while True: pass", "timed out"),
        ("import subprocess\n    return subprocess.run(['true'])", "not allowed"),
        ("import os\n    return os.system('true')", "not allowed"),
        ("import os\n    return os.fork()", "not allowed"),
        ("import os\n    os.kill(os.getppid(), 9)", "not allowed"),
        ("import sys\n    while True: sys.stdout.write('x' * 10**6)", ""),
    ],
)
def test_hostile_candidates_are_contained(box: Sandbox, body: str, reason: str) -> None:
    started = time.monotonic()
    verdict = box.verify(f"def f(x):\n    {body}\n", CHECKS)
    assert not verdict.ok
    text = (verdict.error or "") + " ".join(r.error or "" for r in verdict.results)
    assert reason in text
    assert time.monotonic() - started < 10
    assert box.verify("def f(x):\n    return 2 * x\n", CHECKS).ok  # the worker carries on


def test_no_writes_outside_the_temp_dir(box: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "owned.txt"
    verdict = box.verify(f"def f(x):\n    open({str(target)!r}, 'w').write('x')\n    return 2 * x\n", CHECKS)
    assert not verdict.ok and not target.exists()
    local = box.verify("def f(x):\n    open('scratch.txt', 'w').write('ok')\n    return 2 * x\n", CHECKS)
    assert local.ok


def test_no_network_to_a_loopback_listener(box: Sandbox) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    program = f"import socket\ndef f(x):\n    socket.create_connection(('127.0.0.1', {port}), timeout=1)\n    return 2 * x\n"
    verdict = box.verify(program, CHECKS)
    assert not verdict.ok
    with pytest.raises(OSError):
        server.accept()
    server.close()


def test_secrets_in_the_environment_are_not_visible(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    os.environ["NCPU_TEST_SECRET"] = "hunter2"
    try:
        verdict = box.verify("import os\ndef f(x):\n    return os.environ.get('NCPU_TEST_SECRET')\n", CHECKS)
        assert verdict.results[0].actual == "None"
    finally:
        del os.environ["NCPU_TEST_SECRET"]


def test_faking_the_result_on_stdout_does_not_pass(box: Sandbox) -> None:
    program = (
        "import os, json\ndef f(x):\n"
        "    os.write(1, json.dumps({'index': 0, 'verdict': {'results': [{'passed': True}] * 2, 'total': 2}}).encode())\n"
        "    os._exit(0)\n"
    )
    assert not box.verify(program, CHECKS).ok


def test_cancel_from_another_thread_stops_a_running_candidate(box: Sandbox) -> None:
    token = CancelToken()
    threading.Timer(0.3, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        box.verify("import time\ndef f(x):\n    time.sleep(60)\n", CHECKS, cancel=token)
    assert time.monotonic() - started < 1.5
    assert box.verify("def f(x):\n    return 2 * x\n", CHECKS).ok


def test_a_killed_worker_is_restarted() -> None:
    with Sandbox(SandboxLimits(wall_seconds=2.0)) as sandbox:
        assert sandbox.verify("def f(x):\n    return 2 * x\n", CHECKS).ok
        assert sandbox._worker is not None
        sandbox._worker.process.kill()
        sandbox._worker.process.wait()
        assert sandbox.verify("def f(x):\n    return 2 * x\n", CHECKS).ok
