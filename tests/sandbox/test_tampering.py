"""Candidates that attack the verifier itself, or reach for the user's files: contained, failed, and the worker goes on.

Value, output and raises checks are judged by the worker, outside the candidate's process; these tests
make sure that patching ``__eq__``, the builtins or the harness in the child cannot make a wrong body pass.
"""

from __future__ import annotations

import os
import pwd
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from extraction.check import Check
from ncpu.sandbox import Sandbox, Verdict
from tests.sandbox_attacks import CHECKS, GOOD, attack_sandbox, contained_failure

ROOT = Path(__file__).resolve().parents[2]
WALL = 2.0


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with attack_sandbox(WALL) as sandbox:
        yield sandbox


def _failed(box: Sandbox, program: str, checks: list[Check] = CHECKS) -> tuple[Verdict, str]:
    return contained_failure(box, program, checks, WALL)


ALWAYS_EQUAL = "class Liar:\n    def __eq__(self, other):\n        return True\n    __hash__ = object.__hash__\n"
HARNESS = "import sys\nfor name in list(sys.modules):\n    if name.startswith('ncpu.sandbox'):\n"


@pytest.mark.parametrize(
    "program",
    [
        ALWAYS_EQUAL + "def f(x):\n    return Liar()\n",
        "class I(int):\n    def __eq__(self, other):\n        return True\ndef f(x):\n    return I(0)\n",
        "class L(list):\n    def __eq__(self, other):\n        return True\ndef f(x):\n    return L()\n",
        "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.all = lambda *a: True\n"
        "builtins.bool = lambda *a: True\ndef f(x):\n    return 0\n",
        HARNESS + "        m = sys.modules[name]\n        for attr in ('values_equal', 'judge', 'judge_all'):\n"
        "            if hasattr(m, attr): setattr(m, attr, lambda *a, **k: True)\ndef f(x):\n    return 0\n",
        HARNESS + "        m = sys.modules[name]\n        if hasattr(m, 'observe'):\n"
        "            m.observe = lambda *a: {'passed': True}\ndef f(x):\n    return 0\n",
        "import json\njson.dumps = lambda *a, **k: '{\"passed\": true}'\ndef f(x):\n    return 0\n",
    ],
    ids=["eq-object", "eq-int-subclass", "eq-list-subclass", "builtins", "judge-in-child", "observe", "json"],
)
def test_faking_equality_or_the_judge_never_passes(box: Sandbox, program: str) -> None:
    _failed(box, program)


def test_a_faked_pass_in_a_batch_is_judged_again(box: Sandbox) -> None:
    assert box.first_passing([ALWAYS_EQUAL + "def f(x):\n    return Liar()\n"], CHECKS) is None
    found = box.first_passing([ALWAYS_EQUAL + "def f(x):\n    return Liar()\n", GOOD], CHECKS)
    assert found is not None and found[0] == 1


def test_the_expected_values_never_reach_the_candidate(box: Sandbox) -> None:
    program = (
        "import gc\ndef f(x):\n"
        "    return sorted({str(o.expected) for o in gc.get_objects() if type(o).__name__ == 'Check'})\n"
    )
    verdict = box.verify(program, [Check("doctest", "f(2)", "'the answer'"), *CHECKS])
    assert verdict.results[0].actual == "['None']" and not verdict.ok  # no expected value anywhere in the child


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("import collections\n    return collections.Counter('aab')", "{'a': 2, 'b': 1}"),
        ("import collections\n    return collections.namedtuple('P', 'x y')(1, 2)", "(1, 2)"),
        ("import enum\n    return enum.IntEnum('E', 'A B C D')(4)", "4"),
        ("return 0.1 + 0.2", "0.3"),
        ("return float('nan')", "float('nan')"),
        ("import decimal\n    return decimal.Decimal('4')", "4"),
        ("import fractions\n    return fractions.Fraction(8, 2)", "4"),
        (
            "return {(1, 'a'): [b'x', (1.5, None, True)], 'k': {2, 3}}",
            "{(1, 'a'): [b'x', (1.5, None, True)], 'k': {2, 3}}",
        ),
        ("return 10 ** 5000", "10 ** 5000"),
    ],
)
def test_plain_values_still_compare_as_before(box: Sandbox, body: str, expected: str) -> None:
    verdict = box.verify(f"def f(x):\n    {body}\n", [Check("doctest", "f(4)", expected)])
    assert verdict.ok, verdict  # ``float('nan')`` and ``10 ** 5000`` are constant expressions: judged outside


def test_self_containing_and_huge_values_fail_cleanly(box: Sandbox) -> None:
    _failed(box, "def f(x):\n    a = []\n    a.append(a)\n    return a\n")
    _, text = _failed(box, "def f(x):\n    v = 0\n    for _ in range(500): v = [v]\n    return v\n")
    assert "too large or too deep" in text


def test_output_and_raises_checks_are_judged_outside(box: Sandbox) -> None:
    checks = [Check("doctest", "f(2)", "4", mode="output"), Check("doctest", "f(-1)", "ValueError: -1", mode="raises")]
    good = "def f(x):\n    if x < 0:\n        raise ValueError(x)\n    print(2 * x)\n"
    assert box.verify(good, checks).ok
    _failed(box, "class R:\n    def __repr__(self):\n        return 'maybe'\ndef f(x):\n    return R()\n", checks)


@pytest.mark.parametrize(
    "body",
    [
        "import os, struct\n    os.write(3, struct.pack('>I', 2) + b'{}')\n    return 2 * x",
        "import os, threading, time\n"
        "    def spam():\n        while True:\n            try: os.write(3, b'{\"passed\": true}')\n"
        "            except OSError: pass\n            time.sleep(0.001)\n"
        "    threading.Thread(target=spam, daemon=True).start()\n    time.sleep(0.02)\n    return 2 * x",
    ],
    ids=["extra-frame", "thread-writing-after-the-report"],
)
def test_extra_messages_on_the_result_channel_fail(box: Sandbox, body: str) -> None:
    _, text = _failed(box, f"def f(x):\n    {body}\n")
    assert "tampered with the result channel" in text


def test_threads_that_outlive_the_candidate_die_with_it(box: Sandbox) -> None:
    program = (
        "import threading, time\n"
        "def spin():\n    while True: pass\n"
        "def f(x):\n    threading.Thread(target=spin).start()\n    return 2 * x\n"
    )
    started = time.monotonic()
    assert box.verify(program, CHECKS).ok  # the report is written, then the child exits with its threads
    assert time.monotonic() - started < WALL
    _failed(box, program.replace("2 * x", "3 * x"))


def test_closing_stdio_or_deep_recursion(box: Sandbox) -> None:
    _failed(box, "import os\nos.close(0)\nos.close(1)\nos.close(2)\ndef f(x):\n    return x\n")
    verdict, _ = _failed(
        box, "import sys\nsys.setrecursionlimit(10**7)\ndef r(n):\n    return r(n + 1)\ndef f(x):\n    return r(0)\n"
    )
    assert verdict.error is not None or verdict.results[0].error  # a crash (SIGSEGV) or a RecursionError


def test_signalling_everything_is_refused(box: Sandbox) -> None:
    _, text = _failed(box, "import os, signal\ndef f(x):\n    os.kill(-1, signal.SIGKILL)\n")
    assert "signalling other processes" in text
    verdict, _ = _failed(box, "import os, signal\ndef f(x):\n    os.killpg(0, signal.SIGKILL)\n")
    assert verdict.error == "killed by signal 9 (SIGKILL)"  # its own group only


def _home() -> Path:
    return Path(pwd.getpwuid(os.getuid()).pw_dir)


def test_no_reading_outside_the_temp_dir(box: Sandbox, tmp_path: Path) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY")
    os.environ["NCPU_TEST_TOKEN"] = "s3cret"
    try:
        for target in (secret, ROOT / "pyproject.toml", f"/proc/{os.getpid()}/environ", "/etc/passwd"):
            _, text = _failed(box, f"def f(x):\n    return open({str(target)!r}, 'rb').read()\n")
            # The audit hook's message, or (a path under /tmp, which is the candidate's own tmpfs) absent.
            assert "reading outside the temp dir is not allowed" in text or "No such file" in text, target
        for listing in (f"os.listdir({str(_home())!r})", f"list(os.scandir({str(ROOT)!r}))"):
            _, text = _failed(box, f"import os\ndef f(x):\n    return {listing}\n")
            # A checkout under /tmp is hidden by the candidate's own tmpfs there: it does not exist.
            assert "reading outside the temp dir is not allowed" in text or "No such file" in text, listing
    finally:
        del os.environ["NCPU_TEST_TOKEN"]
    # What a pure function needs still works: the stdlib, randomness, its own temp dir.
    program = (
        "import os, json, random\ndef f(x):\n    open('t', 'w').write('1')\n    return 2 * x + len(os.urandom(0))\n"
    )
    assert box.verify(program, CHECKS).ok


def test_no_writes_to_the_home_dir_or_the_project(box: Sandbox) -> None:
    name = f"ncpu-owned-{uuid.uuid4().hex}"
    targets = [_home() / ".ssh" / name, _home() / name, ROOT / name]
    try:
        for target in targets:
            _, text = _failed(box, f"def f(x):\n    open({str(target)!r}, 'w').write('x')\n    return 2 * x\n")
            assert "outside the temp dir" in text or "No such file" in text, target
        assert not any(target.exists() for target in targets)
    finally:
        for target in targets:
            target.unlink(missing_ok=True)
