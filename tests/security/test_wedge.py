"""Wedging or poisoning the worker, and leaving something behind: each attack fails alone, the worker goes on.

Ends with what ``Sandbox.close()`` and a dead worker leave: no process, no file.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from extraction.check import Check
from ncpu.cancel import Cancelled, CancelToken
from ncpu.config import SandboxLimits
from ncpu.sandbox import Sandbox
from tests.security.conftest import CHECKS, GOOD, WALL, World, attack, carries_on, contained

FRAME = "import struct\ndef frame(body):\n    os.write(3, struct.pack('>I', len(body)) + body)\n"

ATTACKS = [
    pytest.param("while True:\n    os.write(1, b'x' * 10000)", ("output limit exceeded",), id="stdout-flood"),
    # Into the harness's capture: the allocation fails at the memory limit, or, on a loaded machine where the
    # growing buffer is slowed past the wall clock first, the wall clock stops it (seen once in three suite runs).
    pytest.param(
        "while True:\n    print('x' * 10000)",
        ("MemoryError", "memory limit", "timed out"),
        id="print-flood-into-capture",
    ),
    pytest.param("os.write(2, b'e' * (1 << 20))\nreturn 4", ("output limit exceeded",), id="stderr-megabyte"),
    pytest.param("return 'x' * (15 << 20)", ("result too large", "'xxx"), id="fifteen-megabyte-result"),
    pytest.param("v = 0\nfor _ in range(100_000):\n    v = [v]\nreturn v", ("too large or too deep",), id="deep-value"),
    pytest.param(
        FRAME + "frame(b'[' * 100_000 + b']' * 100_000)\nos._exit(0)",
        ("tampered with the result channel",),
        id="deep-json-frame",
    ),
    pytest.param(
        FRAME + "frame(b'{\"token\": 1, \"observations\": ' + b'[' * 50_000)\nos._exit(0)",
        ("tampered with the result channel",),
        id="unterminated-deep-frame",
    ),
    pytest.param(FRAME + "frame(b'\\xff' * 1000)\nos._exit(0)", ("tampered",), id="garbage-frame"),
    pytest.param("os.write(3, b'\\xff\\xff\\xff\\xff')\nos._exit(0)", ("tampered", "exited"), id="lying-frame-length"),
    pytest.param("os.write(3, b'x' * (17 << 20))", ("result too large",), id="result-pipe-flood"),
    pytest.param(
        "import fractions\nreturn fractions.Fraction(10**30000 + 1, 3**60000)",
        ("not judged", "value"),
        id="huge-fraction",
    ),
    pytest.param("return 10**200_000", ("not judged", "too large"), id="huge-int"),
    pytest.param("import decimal\nreturn decimal.Decimal('1e999999999')", (), id="huge-decimal-exponent"),
    pytest.param("return {i: i for i in range(300_000)}", ("too large or too deep",), id="wide-dict"),
    pytest.param("return [[] for _ in range(300_000)]", ("too large or too deep",), id="many-nodes"),
    pytest.param(
        "d = '/tmp'\nfor i in range(1100):\n    d += '/d'\n    os.mkdir(d)\nopen(d + '/f', 'w').write('x')\nos.chmod('/tmp/d', 0)\nreturn 0",
        (),
        id="1100-nested-dirs",
    ),
    pytest.param(
        "with open('/tmp/fill', 'wb') as fh:\n    while True:\n        fh.write(b'\\0' * (1 << 20))",
        ("No space", "File too large", "file size limit"),
        id="fill-the-tmpfs",
    ),
    pytest.param("for i in range(100_000):\n    open(f'/tmp/{i}', 'w').close()", ("No space",), id="exhaust-inodes"),
    pytest.param(
        "import threading\nfor _ in range(4):\n    threading.Thread(target=lambda: [0 for _ in iter(int, 1)], daemon=True).start()\nwhile True: pass",
        ("timed out",),
        id="spinning-threads",
    ),
    pytest.param(
        "import threading\nwhile True:\n    threading.Thread(target=__import__('time').sleep, args=(60,)).start()",
        ("can't start new thread", "timed out", "Resource temporarily"),
        id="thread-bomb",
    ),
    pytest.param("x = [0] * (1 << 30)\nreturn len(x)", ("MemoryError", "memory limit"), id="memory-bomb"),
    pytest.param(
        "os.kill(os.getpid(), signal.SIGSTOP)\nreturn 4".replace("signal.", "__import__('signal')."),
        ("timed out",),
        id="stop-itself",
    ),
    pytest.param(
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(60)",
        ("timed out",),
        id="ignore-sigterm",
    ),
    pytest.param("os.close(3)\nos._exit(0)", ("exited with status 0 before reporting",), id="close-result-and-exit"),
    pytest.param(
        "fds = [os.open('/dev/null', os.O_RDONLY) for _ in range(100_000)]",
        ("Too many open files",),
        id="fd-exhaustion",
    ),
    pytest.param(
        "import resource\nresource.setrlimit(resource.RLIMIT_AS, (-1, -1))\nreturn 0",
        ("not allowed to raise", "Operation not permitted", "ValueError"),
        id="raise-own-limits",
    ),
    pytest.param(
        "sys.setrecursionlimit(10**7)\ndef r(n):\n    return r(n + 1)\nreturn r(0)",
        ("signal 11", "RecursionError", "MemoryError", "timed out"),
        id="c-stack-overflow",
    ),
    pytest.param(
        "return open('/dev/zero', 'rb').read()", ("MemoryError", "memory limit", "timed out"), id="read-dev-zero"
    ),
]


@pytest.mark.parametrize(("body", "reasons"), ATTACKS)
def test_the_worker_cannot_be_wedged(bare: Sandbox, world: World, body: str, reasons: tuple[str, ...]) -> None:
    contained(bare, world, attack(body, world), reasons=reasons)


def test_judging_overflow_is_a_failed_check_not_a_dead_worker(box: Sandbox, world: World) -> None:
    checks = [Check("doctest", "f(1)", "0.5"), Check("doctest", "f(2)", "1e308")]
    contained(box, world, "def f(x):\n    return 10 ** 400\n", checks)


def _descendants(root: int) -> set[int]:
    """Every live process below ``root`` (by the parent links in /proc, across PID namespaces)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


LEAVERS = [
    "import threading, time\nthreading.Thread(target=time.sleep, args=(60,)).start()\nreturn 2 * x",
    "os.makedirs('/tmp/a/b/c')\nopen('/tmp/a/b/c/left', 'w').write('x')\nreturn 2 * x",
    "import time\ntime.sleep(60)",
]


@pytest.mark.parametrize("mode", ["kernel", "best-effort"])
def test_close_leaves_no_process_and_no_file(world: World, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    if mode == "best-effort":
        monkeypatch.setenv("NCPU_SANDBOX_TEST_REFUSE", "user_ns")
    box = Sandbox(SandboxLimits(wall_seconds=1.0, allow_unsafe=mode == "best-effort"))
    assert box.isolation_details.mode == mode
    worker = box._holder[0]
    assert worker is not None
    for body in LEAVERS:
        box.verify(attack(body, world), CHECKS)
    box.verify(attack(LEAVERS[0], world), CHECKS)  # and one still running its thread at close
    deadline = time.monotonic() + 2.0
    processes: set[int] = set()
    while len(processes) < 3 and time.monotonic() < deadline:  # the next candidate is forked after replying
        processes = _descendants(worker.process.pid) | {worker.process.pid}
    assert len(processes) >= 3, processes  # the worker, the zygote (and its helper), the waiting candidate
    host_tmp = worker.host_tmp
    box.close()
    time.sleep(0.2)
    assert [pid for pid in processes if _alive(pid)] == []
    assert not os.path.exists(host_tmp), os.listdir(host_tmp)
    world.assert_untouched()


@pytest.mark.parametrize("mode", ["kernel", "best-effort"])
def test_a_killed_worker_restarts_clean_and_leaves_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    if mode == "best-effort":  # no PID namespace: the parent-death signals must stop the candidate
        monkeypatch.setenv("NCPU_SANDBOX_TEST_REFUSE", "user_ns")
    with Sandbox(SandboxLimits(wall_seconds=WALL, allow_unsafe=mode == "best-effort")) as box:
        assert box.isolation_details.mode == mode
        assert box.verify(GOOD, CHECKS).ok
        worker = box._holder[0]
        assert worker is not None
        processes = _descendants(worker.process.pid) | {worker.process.pid}

        def kill_soon() -> None:
            time.sleep(0.3)
            os.kill(worker.process.pid, signal.SIGKILL)

        threading.Thread(target=kill_soon).start()
        verdict = box.verify("import time\ndef f(x):\n    time.sleep(5)\n", CHECKS)
        assert not verdict.ok and "worker" in (verdict.error or ""), verdict
        processes |= _descendants(worker.process.pid)
        time.sleep(0.3)
        assert [pid for pid in processes if _alive(pid)] == []  # the zygote and candidate died with it
        carries_on(box)
        assert box._holder[0] is not worker
    world.assert_untouched()


def test_cancelling_kills_the_candidate_and_the_next_run_is_fast(bare: Sandbox) -> None:
    token = CancelToken()
    threading.Timer(0.2, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        bare.verify("def f(x):\n    while True: pass\n", CHECKS, cancel=token)
    assert time.monotonic() - started < 1.5
    carries_on(bare)


def test_the_worker_keeps_nothing_per_candidate(bare: Sandbox, world: World) -> None:
    """fds and processes of the worker and the zygote stay flat over many candidates, failed ones included."""
    worker = bare._holder[0]
    assert worker is not None

    def census() -> tuple[int, int]:
        tree = _descendants(worker.process.pid) | {worker.process.pid}
        fds = 0
        for pid in tree:
            try:
                fds += len(os.listdir(f"/proc/{pid}/fd"))
            except OSError:  # gone, or the zygote as seen by a user who is not root (not dumpable)
                continue
        return fds, len([pid for pid in tree if _alive(pid)])

    bodies = ["return 2 * x", "raise ValueError", "os._exit(3)", "while True: pass", "os.write(3, b'junk')"]
    for body in bodies:  # warm up every path once
        bare.verify(attack(body, world), CHECKS)
    time.sleep(0.2)
    before = census()
    for _ in range(3):
        for body in bodies:
            bare.verify(attack(body, world), CHECKS)
    time.sleep(0.2)
    assert census() == before
    carries_on(bare)
