"""Candidates that misbehave, on purpose or by accident: each is contained and the worker carries on.

Every hostile program here is bounded on its own (no unbounded fork loops), so a sandbox bug cannot take
the test machine down with it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from extraction.check import Check
from ncpu.config import SandboxLimits
from ncpu.sandbox import Sandbox, Verdict
from tests.sandbox_attacks import CHECKS, GOOD, attack_sandbox, contained_failure

WALL = 1.0


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with attack_sandbox(WALL) as sandbox:
        yield sandbox


def _run(box: Sandbox, body: str, checks: list[Check] = CHECKS) -> tuple[Verdict, str]:
    """Run ``def f(x): <body>``; return the verdict and all its error text; check the worker survived."""
    return contained_failure(box, f"def f(x):\n    {body}\n", checks, WALL)


@pytest.mark.parametrize(
    "body",
    [
        "while True:\n        pass",
        "return sum(range(10**12))",  # stuck inside one C call
        "import signal\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    while True: pass",
        "import time\n    time.sleep(30)",
    ],
)
def test_runaway_candidates_time_out(box: Sandbox, body: str) -> None:
    verdict, _ = _run(box, body)
    assert verdict.error == f"timed out after {WALL!r} s"


def test_cpu_limit_applies_per_candidate() -> None:
    with Sandbox(SandboxLimits(wall_seconds=10.0, cpu_seconds=1, memory_mb=256)) as sandbox:
        for _ in range(2):  # a second candidate gets a full second again
            verdict = sandbox.verify("def f(x):\n    while True: pass\n", CHECKS)
            assert verdict.error == "timed out: CPU time limit exceeded (1 s)"
            assert verdict.seconds < 4


def test_memory_bomb(box: Sandbox) -> None:
    _, text = _run(box, "return [0] * (10**10)")
    assert "MemoryError" in text
    _, text = _run(box, "x = []\n    while True: x.append(' ' * 10**7)")
    assert "MemoryError" in text or "memory limit exceeded" in text


def test_output_flood_is_cut_off(box: Sandbox) -> None:
    verdict, _ = _run(box, "import os\n    while True: os.write(1, b'x' * 10**6)")
    assert verdict.error == "output limit exceeded (4096 bytes)"
    flood = [Check("assert", "for _ in range(10**5): print('y' * 10**5, flush=True)", None, mode="statement")]
    verdict, _ = _run(box, "return 2 * x", flood)
    assert verdict.error == "output limit exceeded (4096 bytes)"
    verdict, _ = _run(box, "import sys\n    while True: sys.stderr.write('z' * 10**6)")
    assert verdict.error is not None and "output limit exceeded" in verdict.error


def test_exiting_before_reporting(box: Sandbox) -> None:
    verdict, _ = _run(box, "import os\n    os._exit(0)")
    assert verdict.error == "exited with status 0 before reporting a result"
    verdict, _ = _run(box, "import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)")
    assert verdict.error == "killed by signal 9 (SIGKILL)"


FAKE = '{"index": 0, "verdict": {"results": [{"passed": true}, {"passed": true}], "total": 2}}'


@pytest.mark.parametrize(
    "body",
    [
        f"print({FAKE!r})\n    import os\n    os._exit(0)",
        f"import os\n    os.write(1, {FAKE!r}.encode())\n    os.write(2, {FAKE!r}.encode())\n    os._exit(0)",
        f"import os\n    for fd in range(64):\n        try: os.write(fd, {FAKE!r}.encode())\n        except OSError: pass\n    os._exit(0)",
        f"import os\n    for fd in range(64):\n        try: os.write(fd, {FAKE!r}.encode())\n        except OSError: pass\n    return 0",
        "import os\n    for fd in range(3, 64):\n        try: os.close(fd)\n        except OSError: pass\n    return 2 * x",
    ],
)
def test_faking_or_breaking_the_result_channel_never_passes(box: Sandbox, body: str) -> None:
    _run(box, body)


def test_fork_bomb_is_contained(box: Sandbox) -> None:
    # Bounded: only the parent loops, children sleep, so at most 20 extra processes even if fork worked.
    body = (
        "import os, time\n    for _ in range(20):\n        if os.fork() == 0:\n            time.sleep(30)\n"
        "            os._exit(0)\n    return 2 * x"
    )
    _, text = _run(box, body)
    assert "fork is not allowed" in text


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("import subprocess\n    return subprocess.run(['true']).returncode", "starting processes is not allowed"),
        ("import os\n    return os.system('true')", "os.system is not allowed"),
        ("import os\n    return os.popen('echo hi').read()", "starting processes is not allowed"),
        ("import os\n    os.execv('/bin/true', ['true'])", "exec is not allowed"),
        ("import os\n    return os.posix_spawn('/bin/true', ['true'], {})", "starting processes is not allowed"),
        ("import _posixsubprocess\n    return _posixsubprocess.fork_exec(*[None] * 23)", "not allowed"),
        (
            "import sys\n    del sys.modules['_posixsubprocess']\n    import _posixsubprocess",
            "importing _posixsubprocess",
        ),
        ("import ctypes\n    return ctypes.CDLL(None).fork()", "ctypes is not allowed"),
        ("import os, signal\n    os.kill(os.getppid() or 1, signal.SIGKILL)", "signalling other processes"),
        ("import os, signal\n    os.kill(1, signal.SIGKILL)", "signalling other processes"),
    ],
)
def test_process_escapes_are_refused(box: Sandbox, body: str, reason: str) -> None:
    _, text = _run(box, body)
    assert reason in text


def test_no_network_to_a_loopback_listener(box: Sandbox) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.3)
        port = server.getsockname()[1]
        body = f"import socket\n    socket.create_connection(('127.0.0.1', {port}), timeout=1)\n    return 2 * x"
        _, text = _run(box, body)
        assert "network access is not allowed" in text
        with pytest.raises(OSError):
            server.accept()


def test_no_network_even_past_the_audit_hook(box: Sandbox) -> None:
    if box.isolation.startswith("none"):
        pytest.skip(f"no network isolation here: {box.isolation}")
    body = (
        "import socket\n    try:\n        return socket.if_nameindex()\n    except PermissionError:\n        return []"
    )
    verdict = box.verify(f"def f(x):\n    {body}\n", [Check("doctest", "f(0)", "[]")])
    assert verdict.ok, verdict  # netlink is refused by seccomp (and the namespace has only a loopback)


def test_no_writes_outside_the_temp_dir(box: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "owned.txt"
    existing = tmp_path / "existing.txt"
    existing.write_text("keep")
    attempts = [
        f"open({str(target)!r}, 'w').write('x')",
        f"import os\n    os.close(os.open({str(target)!r}, os.O_WRONLY | os.O_CREAT))",
        f"import os\n    d = os.open({str(tmp_path)!r}, os.O_RDONLY)\n    os.open('owned.txt', os.O_WRONLY | os.O_CREAT, dir_fd=d)",
        f"import os\n    os.remove({str(existing)!r})",
        f"import os\n    open('local', 'w').close()\n    os.rename('local', {str(target)!r})",
        f"import os\n    os.link({str(existing)!r}, 'hard')\n    open('hard', 'w').write('gone')",
        f"import os\n    os.symlink({str(existing)!r}, 'soft')\n    open('soft', 'w').write('gone')",
        f"import shutil\n    shutil.rmtree({str(tmp_path)!r})",
        f"import pathlib\n    pathlib.Path({str(tmp_path)!r}, 'dir').mkdir()",
    ]
    for attempt in attempts:
        _, text = _run(box, f"{attempt}\n    return 2 * x")
        # The audit hook's message or, for this path under /tmp (the candidate's own tmpfs), not there.
        assert "outside the temp dir" in text or "No such file" in text, attempt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.txt"]
    assert existing.read_text() == "keep"


def test_without_namespaces_the_limits_still_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    """The degraded mode (what a user without user namespaces gets): refused unless opted in, then best effort."""
    monkeypatch.setenv("NCPU_SANDBOX_NAMESPACES", "0")
    with attack_sandbox(WALL) as sandbox:
        assert sandbox.isolation.startswith("none: verification refused")
        verdict = sandbox.verify(GOOD, CHECKS)
        assert not verdict.ok and "--unsafe-sandbox" in (verdict.error or "")
    limits = SandboxLimits(wall_seconds=WALL, memory_mb=256, output_bytes=4096, allow_unsafe=True)
    with Sandbox(limits) as sandbox:
        assert sandbox.isolation.startswith("none: best-effort")
        assert sandbox.isolation_details.mode == "best-effort"
        assert sandbox.verify(GOOD, CHECKS).ok
        _, text = _run(sandbox, "while True: pass")
        assert "timed out" in text
        _, text = _run(sandbox, "import subprocess\n    subprocess.run(['true'])")
        assert "not allowed" in text
        _run(sandbox, f"import os\n    os.write(1, {FAKE!r}.encode())\n    os._exit(0)")
        _, text = _run(sandbox, "import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)")
        assert "signalling other processes" in text
