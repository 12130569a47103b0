"""The sandbox's ordinary behaviour: verdicts, batches, threads, cancellation, the worker's life cycle."""

from __future__ import annotations

import os
import signal
import sys
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
GOOD = "def f(x):\n    return 2 * x\n"
LIMITS = SandboxLimits(wall_seconds=2.0, cpu_seconds=2, memory_mb=256)


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with Sandbox(LIMITS) as sandbox:
        yield sandbox


def _children() -> set[int]:
    """Pids of this process's living (not zombie) children."""
    pids: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        pids.update(int(p) for p in (task / "children").read_text().split())
    return {
        p for p in pids if Path(f"/proc/{p}/stat").exists() and Path(f"/proc/{p}/stat").read_text().split()[2] != "Z"
    }


def test_passing_candidate(box: Sandbox) -> None:
    verdict = box.verify(GOOD, CHECKS)
    assert verdict.ok and verdict.passed == 2 and verdict.error is None
    assert 0 < verdict.seconds < 2


def test_failing_check_reports_the_actual_value(box: Sandbox) -> None:
    verdict = box.verify("def f(x):\n    return x + 2\n", CHECKS)
    assert not verdict.ok and verdict.passed == 1
    assert verdict.results[1].actual == "5" and not verdict.results[1].passed


def test_exception_text(box: Sandbox) -> None:
    verdict = box.verify("def f(x):\n    return 1 / 0\n", CHECKS)
    assert verdict.results[0].error == "ZeroDivisionError: division by zero"


def test_syntax_error(box: Sandbox) -> None:
    verdict = box.verify("def f(x)\n    return x\n", CHECKS)
    assert verdict.error is not None and verdict.error.startswith("SyntaxError")
    assert verdict.summary().startswith("0 of 2 checks passed")


def test_import_time_failure(box: Sandbox) -> None:
    verdict = box.verify("raise ValueError('boom')\n", CHECKS)
    assert verdict.error == "module failed to load: ValueError: boom"


def test_candidates_may_print_and_write_in_their_temp_dir(box: Sandbox) -> None:
    program = "print('hello')\ndef f(x):\n    open('scratch.txt', 'w').write('ok')\n    print(x)\n    return 2 * x\n"
    assert box.verify(program, CHECKS).ok


def test_stdlib_and_warm_modules_are_usable(box: Sandbox) -> None:
    program = (
        "import collections, math, re, json, itertools, functools, heapq, fractions\n"
        "from typing import NamedTuple\n"
        "Point = collections.namedtuple('Point', 'x y')\n"
        "def f(x):\n    return math.prod([2, x]) + len(re.findall('a', '')) + Point(0, 0).x\n"
    )
    assert box.verify(program, CHECKS).ok


def test_first_passing_runs_a_batch_in_one_child(box: Sandbox) -> None:
    programs = ["def f(x):\n    return x\n", "def f(x)\n", GOOD, "def f(x):\n    return x * 2\n"]
    found = box.first_passing(programs, CHECKS)
    assert found is not None and found[0] == 2 and found[1].ok
    assert box.first_passing(programs[:2], CHECKS) is None
    assert box.first_passing([], CHECKS) is None


def test_secrets_in_the_environment_are_not_visible(box: Sandbox) -> None:
    os.environ["NCPU_TEST_SECRET"] = "hunter2"
    try:
        verdict = box.verify("import os\ndef f(x):\n    return os.environ.get('NCPU_TEST_SECRET')\n", CHECKS)
        assert verdict.results[0].actual == "None"
        home = box.verify(
            "import os\ndef f(x):\n    return os.path.realpath(os.getcwd()) == os.path.realpath(os.environ['HOME'])\n",
            [Check("doctest", "f(1)", "True")],
        )
        assert home.ok
    finally:
        del os.environ["NCPU_TEST_SECRET"]


def test_isolation_is_reported(box: Sandbox) -> None:
    text = box.isolation
    assert text
    details = box.isolation_details
    assert text == details.description
    assert text.startswith("kernel:") == (details.mode == "kernel")
    if details.mode != "kernel":
        assert text.startswith("none:")


def test_concurrent_callers_from_threads(box: Sandbox) -> None:
    verdicts: list[bool] = []

    def call(n: int) -> None:
        program = f"def f(x):\n    return {2 if n % 2 else 3} * x\n"
        verdicts.append(box.verify(program, CHECKS).ok == bool(n % 2))

    threads = [threading.Thread(target=call, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert verdicts == [True] * 8


def test_cancel_from_another_thread_kills_the_candidate(box: Sandbox) -> None:
    token = CancelToken()
    threading.Timer(0.3, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        box.verify("import time\ndef f(x):\n    time.sleep(60)\n", CHECKS, cancel=token)
    assert time.monotonic() - started < 1.0
    assert box.verify(GOOD, CHECKS).ok


def test_an_already_cancelled_token_raises_before_running(box: Sandbox) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        box.verify(GOOD, CHECKS, cancel=token)


def test_the_calling_process_is_unaffected(box: Sandbox, tmp_path: Path) -> None:
    cwd, env, handler = os.getcwd(), dict(os.environ), signal.getsignal(signal.SIGTERM)
    program = (
        "import os, sys, signal\n"
        "os.chdir('/')\nos.environ['NCPU_LEAK'] = '1'\nsys.modules['json'] = None\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nsys.setrecursionlimit(50)\n"
        "def f(x):\n    return 2 * x\n"
    )
    assert box.verify(program, CHECKS).ok
    assert (os.getcwd(), dict(os.environ), signal.getsignal(signal.SIGTERM)) == (cwd, env, handler)
    assert sys.modules["json"] is not None and sys.getrecursionlimit() >= 1000


def test_a_killed_worker_is_restarted() -> None:
    with Sandbox(LIMITS) as sandbox:
        assert sandbox.verify(GOOD, CHECKS).ok
        worker = sandbox._holder[0]
        assert worker is not None
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait()
        assert sandbox.verify(GOOD, CHECKS).ok
        assert sandbox._holder[0] is not worker


def test_close_is_idempotent_and_leaves_no_processes() -> None:
    before = _children()
    sandbox = Sandbox(LIMITS)
    assert sandbox.verify(GOOD, CHECKS).ok
    worker = sandbox._holder[0]
    assert worker is not None and worker.process.pid in _children()
    sandbox.close()
    sandbox.close()
    assert worker.process.poll() is not None
    assert _children() <= before
    with pytest.raises(RuntimeError):
        sandbox.verify(GOOD, CHECKS)


def test_a_dropped_sandbox_stops_its_worker() -> None:
    sandbox = Sandbox(LIMITS)
    assert sandbox.verify(GOOD, CHECKS).ok
    worker = sandbox._holder[0]
    assert worker is not None
    del sandbox
    assert worker.process.poll() is not None


def test_a_worker_killed_during_a_run_fails_that_run_only() -> None:
    with Sandbox(LIMITS) as sandbox:
        assert sandbox.verify(GOOD, CHECKS).ok
        worker = sandbox._holder[0]
        assert worker is not None
        threading.Timer(0.3, os.killpg, (worker.process.pid, signal.SIGKILL)).start()
        verdict = sandbox.verify("import time\ndef f(x):\n    time.sleep(30)\n", CHECKS)
        assert verdict.error is not None and "worker died" in verdict.error
        assert sandbox.verify(GOOD, CHECKS).ok


def test_a_report_the_worker_cannot_read_is_a_failed_candidate() -> None:
    """Deep, huge or malformed reports are refused by ``report.parse``, never an exception in the worker."""
    from ncpu.sandbox import report
    from ncpu.sandbox.protocol import HEADER

    def frame(body: bytes) -> bytes:
        return HEADER.pack(len(body)) + body

    assert report.parse(frame(b'{"token": "t", "index": 0}'), "t") == {"index": 0}
    for body in (b"[" * 100_000 + b"]" * 100_000, b"{" * 50_000, b"not json", b'{"token": "other"}', b"[1]"):
        assert report.parse(frame(body), "t") is None
    assert report.parse(frame(b"{}") + b"x", "t") is None


SLOW_ON_ZERO = "def f(x):\n    while x == 0:\n        pass\n    return 2 * x\n"
CLOCKED = [Check("generated", "f(0)", "", mode="output"), *CHECKS]


def test_each_check_on_its_own_clock_times_out_alone(box: Sandbox) -> None:
    verdict = box.verify(SLOW_ON_ZERO, CLOCKED, check_seconds=0.2)
    assert verdict.error is None and len(verdict.results) == 3
    first, *rest = verdict.results
    assert first.timed_out and not first.passed and first.error == "timed out on this check (0.2 s)"
    assert all(r.passed and not r.timed_out for r in rest)  # the checks after the slow one still ran
    whole = box.verify(SLOW_ON_ZERO, CLOCKED)  # without a clock per check, the wall limit ends the candidate
    assert whole.error is not None and whole.error.startswith("timed out") and len(whole.results) == 0


CATCHES_THE_ALARM = """def f(x):
    while x == 0:
        try:
            while True:
                pass
        except BaseException:
            pass
    return 2 * x
"""
REPLACES_THE_TIMER = (
    "import signal\nsignal.setitimer = lambda *a: None\nsignal.signal = lambda *a: None\n" + SLOW_ON_ZERO
)
STOPS_THE_TIMER = """import signal
def f(x):
    signal.setitimer(signal.ITIMER_REAL, 0)
    while x == 0:
        pass
    return 2 * x
"""


@pytest.mark.parametrize(
    ("body", "clock_holds"),
    [(CATCHES_THE_ALARM, False), (REPLACES_THE_TIMER, True), (STOPS_THE_TIMER, False)],
    ids=["catches-the-alarm", "replaces-the-timer", "stops-the-timer"],
)
def test_a_candidate_that_defeats_its_clock_only_loses_it(box: Sandbox, body: str, clock_holds: bool) -> None:
    verdict = box.verify(body, CLOCKED, check_seconds=0.2)
    if clock_holds:  # the timer was bound before the candidate loaded
        assert verdict.error is None and verdict.results[0].timed_out and not verdict.results[0].passed
    else:  # the wall (or CPU) limit still ends it, and nothing passes
        assert verdict.error is not None and verdict.error.startswith("timed out") and not verdict.ok
