"""``ncpu solve`` on a module whose test calls two of its stubs: each waits for the other, then both verify."""

from __future__ import annotations

import json
from pathlib import Path

from ncpu.cli.main import main

MODULE = '''def restock(counts, threshold):
    """Units to order per low item.

    >>> restock({"a": 1}, 3)
    {'a': 2}
    """
    raise NotImplementedError


def low(counts, threshold):
    """Items below the threshold, sorted.

    >>> low({"b": 0, "a": 1, "c": 5}, 2)
    ['a', 'b']
    """
    raise NotImplementedError
'''
TEST = """from shop.stock import low, restock


def test_low_then_restock():
    counts = {"x": 0, "y": 3}
    assert low(counts, 3) == ["x"]
    assert restock(counts, 3) == {"x": 3}
"""
RESTOCK = "def restock(counts, threshold):\n    return {k: threshold - v for k, v in counts.items() if v < threshold}\n"
LOW = "def low(counts, threshold):\n    return sorted(k for k, v in counts.items() if v < threshold)\n"


def _project(tmp_path: Path) -> Path:
    tmp_path.chmod(0o755)  # as root, candidates run as nobody: the project must be world-readable
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "stock.py").write_text(MODULE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_stock.py").write_text(TEST)
    return tmp_path / "shop" / "stock.py"


def _solve(tmp_path: Path, target: Path, script: dict[str, list[str]]) -> dict[str, dict[str, object]]:
    (tmp_path / "script.json").write_text(json.dumps(script))
    report = tmp_path / "r.json"
    options = ["--backend", "fake", "--model", str(tmp_path / "script.json"), "--store", str(tmp_path / "store")]
    main(["solve", str(target), "--workspace", str(tmp_path), "--write", "--json", str(report), *options])
    return {s["function"]: s for s in json.loads(report.read_text())["stubs"]}


def test_a_test_of_two_stubs_waits_for_the_second_then_verifies_both_together(tmp_path: Path) -> None:
    target = _project(tmp_path)
    stubs = _solve(tmp_path, target, {"restock": [RESTOCK], "low": [LOW]})
    assert {name: s["status"] for name, s in stubs.items()} == {"restock": "verified", "low": "verified"}
    assert stubs["low"]["checks_passed"] == 2  # with restock's new body in place, the test ran in full
    assert "waiting" not in str(stubs["restock"]["message"])  # checked again with both bodies: it ran
    written = target.read_text()
    assert "threshold - v" in written and "sorted(k for k" in written


def test_a_second_stub_that_stays_unsolved_leaves_the_first_verified_and_says_what_waits(tmp_path: Path) -> None:
    target = _project(tmp_path)
    stubs = _solve(tmp_path, target, {"restock": [RESTOCK], "low": ["def low(counts, threshold):\n    return []\n"]})
    assert stubs["low"]["status"] != "verified"
    assert stubs["restock"]["status"] == "verified"
    assert "1 waiting for low (still a stub)" in str(stubs["restock"]["message"])
