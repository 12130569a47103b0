"""Faking a pass: the expected values are random numbers no candidate can know, and never in its reach.

A candidate's memory is a copy of the zygote's (forked before any request) plus its own request, which
carries no expected value of a check the worker judges. A batch runs each program in a fresh child, so
one program cannot leave anything for the next.
"""

from __future__ import annotations

import secrets

import pytest

from extraction.check import Check
from ncpu.sandbox import Sandbox
from tests.security.conftest import GOOD, World, attack, carries_on, text_of

# Each returns the best guess it can find; a right guess would pass the check.
FINDERS = [
    pytest.param(
        "import gc\nfor o in gc.get_objects():\n    if type(o).__name__ == 'Check' and o.expected:\n"
        "        return eval(o.expected)\nreturn None",
        id="gc-objects-check-instances",
    ),
    pytest.param(
        "import gc\nbig = [o for o in gc.get_objects() if type(o) is int and o > 10**15]\n"
        "for o in gc.get_objects():\n    if isinstance(o, dict):\n        for v in list(o.values()):\n"
        "            if type(v) is int and v > 10**15: big.append(v)\n"
        "            if type(v) is str and v.isdigit() and len(v) > 15: big.append(int(v))\n"
        "return max(big, default=None)",
        id="gc-objects-big-numbers",
    ),
    pytest.param(
        "import gc, json\nfor o in gc.get_objects():\n    if isinstance(o, dict) and 'checks' in o:\n"
        "        for c in o['checks']:\n            if c.get('expected'):\n                return eval(c['expected'])\n"
        "return None",
        id="gc-request-dicts",
    ),
    pytest.param(
        "frame = sys._getframe()\nwhile frame:\n    for value in list(frame.f_locals.values()):\n"
        "        for c in value if isinstance(value, list) else [value]:\n"
        "            if getattr(c, 'expected', None):\n                return eval(c.expected)\n"
        "    frame = frame.f_back\nreturn None",
        id="walk-the-frames",
    ),
    pytest.param(
        "import re\nfound = []\nfor line in open('/proc/self/maps'):\n"
        "    span, perms = line.split()[:2]\n    if 'r' not in perms: continue\n"
        "    lo, hi = (int(p, 16) for p in span.split('-'))\n"
        "    try:\n        with open('/proc/self/mem', 'rb') as mem:\n            mem.seek(lo); data = mem.read(min(hi - lo, 1 << 24))\n"
        "    except (OSError, OverflowError, ValueError):\n        continue\n"
        '    found += re.findall(rb\'"expected": "(\\d{16,})"\', data)\n'
        "return int(found[0]) if found else None",
        id="scan-own-memory-for-request-json",
    ),
    pytest.param(
        "import re\nwith open('/proc/1/mem', 'rb') as mem:\n    return mem.read(1)", id="read-the-zygote-memory"
    ),
    pytest.param(
        "loot = []\nfor fd in range(0, 256):\n    try:\n        os.set_blocking(fd, False)\n"
        "        loot.append(os.read(fd, 1 << 16))\n    except OSError:\n        pass\n"
        "import re\nfor chunk in loot:\n    m = re.search(rb'(\\d{16,})', chunk)\n    if m: return int(m.group(1))\nreturn None",
        id="inherited-fds",
    ),
    pytest.param(
        "import re\ntext = open('/proc/self/environ', 'rb').read() + open('/proc/self/cmdline', 'rb').read()\n"
        "m = re.search(rb'(\\d{16,})', text)\nreturn int(m.group(1)) if m else None",
        id="environ-and-cmdline",
    ),
]

HARNESS = "h = sys.modules['ncpu.sandbox.harness']\n"
FORGERS = [
    pytest.param(
        HARNESS + "h.observe = lambda namespace, check: {'passed': True, 'actual': 'forged'}\n",
        id="patched-observer-claims-pass",
    ),
    pytest.param(
        HARNESS + "h.observe = lambda namespace, check: {'value': ['i', 'ff'], 'actual': '255'}\n",
        id="patched-observer-guesses",
    ),
    pytest.param(
        "import json\n_dumps = json.dumps\n"
        "def dumps(obj, **kw):\n    for o in obj.get('observations', []):\n        o.clear(); o['passed'] = True\n"
        "    return _dumps(obj, **kw)\njson.dumps = dumps\n"
        "sys.modules['ncpu.sandbox.child'].json = json\n",
        id="rewrite-the-report-json",
    ),
    pytest.param(
        "import struct, json\ndef forge():\n    body = json.dumps({'token': 'guess', 'index': 0, 'observations': [{'passed': True}]}).encode()\n"
        "    os.write(3, struct.pack('>I', len(body)) + body)\nforge()\n",
        id="forged-frame-on-the-result-fd",
    ),
]


def _secret_checks() -> tuple[list[Check], str]:
    answer = str(10**17 + secrets.randbelow(10**17))
    return [Check("doctest", "f(7)", answer)], answer


def _assert_not_found(box: Sandbox, world: World, program: str) -> None:
    # A right answer verified a moment ago, in the same worker: it must not be in reach either.
    previous, earlier = _secret_checks()
    assert box.verify(f"def f(x):\n    return {earlier}\n", previous).ok
    checks, answer = _secret_checks()
    verdict = box.verify(program, checks)
    text = text_of(verdict)
    assert not verdict.ok, text
    assert answer not in text and earlier not in text, text[:300]
    world.assert_untouched()
    carries_on(box)


@pytest.mark.parametrize("body", FINDERS)
def test_expected_values_are_not_in_reach(box: Sandbox, world: World, body: str) -> None:
    _assert_not_found(box, world, attack(body, world))


@pytest.mark.parametrize("tamper", FORGERS)
def test_a_forged_observation_never_passes(box: Sandbox, world: World, tamper: str) -> None:
    _assert_not_found(box, world, "import os, sys\n" + tamper + "def f(x):\n    return -1\n")


@pytest.mark.parametrize("origin", ["doctest", "notation"])  # judged by the exception's line, and by its name
def test_a_raises_check_cannot_be_passed_by_naming_every_exception(box: Sandbox, world: World, origin: str) -> None:
    tamper = (
        "import builtins\nnames = [n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)]\n"
        + HARNESS
        + "h.observe = lambda namespace, check: {'raised': 'X', 'names': names + ['object'], 'detail': 'X'}\n"
    )
    expected = secrets.choice(["ZeroDivisionError", "KeyError", "IndexError", "OverflowError", "UnicodeError"])
    verdict = box.verify(
        "import sys\n" + tamper + "def f(x):\n    return 1\n", [Check(origin, "f(1)", expected, mode="raises")]
    )
    assert not verdict.ok, verdict
    expected = "KeyError: 1" if origin == "doctest" else "KeyError"
    assert box.verify("def f(x):\n    return {}[x]\n", [Check(origin, "f(1)", expected, mode="raises")]).ok


BATCH = [
    pytest.param(
        HARNESS + "h.observe = lambda namespace, check: {'value': ['i', '8'], 'actual': '8'}\n", id="patch-observe"
    ),
    pytest.param(
        HARNESS + "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.all = lambda *a: True\n",
        id="patch-builtins",
    ),
    pytest.param("open('/tmp/flag', 'w').write('1')\nos.environ['FLAG'] = '1'\n", id="leave-a-flag-file"),
    pytest.param(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n",
        id="leave-a-thread",
    ),
]
LATER = (
    "import os\ndef f(x):\n    flagged = os.path.exists('/tmp/flag') or os.environ.get('FLAG')\n"
    "    return 2 * x if flagged else -x\n"
)


@pytest.mark.parametrize("tamper", BATCH)
def test_a_program_in_a_batch_cannot_affect_the_next(box: Sandbox, world: World, tamper: str) -> None:
    first = "import os, sys\n" + tamper + "def f(x):\n    return 0\n"
    checks = [Check("doctest", "f(2)", "4"), Check("doctest", "f(3)", "6")]
    assert box.first_passing([first, LATER, LATER], checks) is None  # the later ones are wrong on their own
    found = box.first_passing([first, LATER, GOOD], checks)
    assert found is not None and found[0] == 2 and found[1].ok
    world.assert_untouched()
    carries_on(box)


def test_statement_checks_are_still_decided_in_the_child(bare: Sandbox) -> None:
    """A documented limit (docs/security.md): arbitrary check code runs in the candidate, which can forge it."""
    tamper = HARNESS + "h.observe = lambda namespace, check: {'passed': True}\n"
    checks = [Check("assert", "assert f(2) > 100", None, mode="statement")]
    verdict = bare.verify("import sys\n" + tamper + "def f(x):\n    return 0\n", checks)
    assert verdict.ok  # if this fails, statement checks became judged outside: update docs/security.md


def test_an_assert_against_a_literal_is_judged_outside(box: Sandbox, world: World) -> None:
    """``assert f(x) == LITERAL`` written as a statement: its literal never reaches the candidate either."""
    answer = str(10**17 + secrets.randbelow(10**17))
    checks = [Check("assert", f"assert f(7) == {answer}", None, mode="statement")]
    assert box.verify(f"def f(x):\n    return {answer}\n", checks).ok
    for body in (FINDERS[2].values[0], FINDERS[4].values[0], "return 0"):
        tamper = HARNESS + "h.observe = lambda namespace, check: {'passed': True}\n"
        for program in (attack(str(body), world), "import os, sys\n" + tamper + "def f(x):\n    return 0\n"):
            verdict = box.verify(program, checks)
            assert not verdict.ok and answer not in text_of(verdict), text_of(verdict)[:300]
    carries_on(box)


@pytest.mark.parametrize("shape", ["{} + 0", "-(-{})", "[{}, float('nan')]", "({} * 2) // 2"])
def test_a_constant_expression_is_judged_outside(box: Sandbox, world: World, shape: str) -> None:
    """Expected values written as arithmetic on literals are worked out by the worker: not sent either."""
    answer = str(10**17 + secrets.randbelow(10**17))
    checks = [Check("doctest", "f(7)", shape.format(answer))]
    assert box.verify(f"def f(x):\n    return {shape.format(answer)}\n", checks).ok
    verdict = box.verify(attack(str(FINDERS[2].values[0]), world), checks)
    assert not verdict.ok and answer not in text_of(verdict)
