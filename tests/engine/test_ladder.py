"""``benchmarks/ladder.py``: the ladder table over problems common to every run, compute relative to 1.5B greedy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.scripts import load_benchmark_script

ROOT = Path(__file__).resolve().parents[2]


def _ladder() -> ModuleType:
    return load_benchmark_script("ladder")


def _write(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n{not json, a line cut short by a kill\n")


def _outcome(base: bool, tokens: int, seconds: float) -> dict[str, Any]:
    return {"base": base, "plus": base, "tokens": tokens, "seconds": seconds}


def _runs(tmp_path: Path) -> tuple[Path, Path]:
    ladder, large = tmp_path / "ladder", tmp_path / "large"
    _write(
        ladder / "baseline.jsonl",
        [{"task_id": f"HumanEval/{i}", **_outcome(i == 0, 50, 5.0)} for i in range(3)],
    )
    cascade = []
    for i in range(3):
        cumulative = {
            "+ best-of-N": _outcome(i in (0, 1), 400, 40.0),
            "+ escalation": _outcome(True, 600, 60.0),
        }
        cascade.append({"task_id": f"HumanEval/{i}", **_outcome(True, 600, 60.0), "cumulative": cumulative})
    _write(ladder / "cascade.jsonl", cascade)
    # The larger model's run is partial: HumanEval/2 is not finished yet, so it is left out everywhere.
    _write(large / "cascade.jsonl", [{"task_id": f"HumanEval/{i}", **_outcome(True, 100, 20.0)} for i in range(2)])
    return ladder, large


def test_rows_compare_only_common_problems_with_compute_relative_to_the_larger_greedy(tmp_path: Path) -> None:
    module = _ladder()
    ladder, large = _runs(tmp_path)
    text = module.markdown(module.ladder_rows(ladder, large, None))
    assert text.startswith("Problems compared: 2 ")
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ") for line in text.splitlines() if line.startswith("| ")}
    assert rows["0.5B greedy"][1:3] == ["50.0", "50.0"]
    assert rows["0.5B cascade"][1] == "100.0" and rows["0.5B cascade"][3] == "800"
    # 2 problems × 60 s against 2 × 20 s; 2 × 600 tokens against 2 × 100.
    assert rows["ladder: 0.5B cascade → 1.5B"][5:7] == ["3.00×", "6.00× |"]
    assert rows["1.5B greedy"][5:7] == ["1.00×", "1.00× |"]


def test_main_reports_missing_runs_in_one_line(tmp_path: Path, capsys: Any) -> None:
    module = _ladder()
    assert module.main(["--ladder", str(tmp_path / "none"), "--large-greedy", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ladder: cannot read the runs") and "Traceback" not in err


def test_main_writes_the_table(tmp_path: Path) -> None:
    module = _ladder()
    ladder, large = _runs(tmp_path)
    out = tmp_path / "ladder.md"
    assert module.main(["--ladder", str(ladder), "--large-greedy", str(large), "--out", str(out)]) == 0
    assert "| 1.5B greedy |" in out.read_text()


def test_it_runs_as_a_script(tmp_path: Path) -> None:
    ladder, large = _runs(tmp_path)
    script = ROOT / "benchmarks" / "ladder.py"
    command = [sys.executable, str(script), "--ladder", str(ladder), "--large-greedy", str(large)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "| 1.5B greedy |" in result.stdout


def test_a_problem_the_cascade_was_never_asked_is_a_failure_not_left_out(tmp_path: Path) -> None:
    module = _ladder()
    ladder, large = _runs(tmp_path)
    records = [json.loads(line) for line in (ladder / "cascade.jsonl").read_text().splitlines()[:3]]
    records[1] = {"task_id": "HumanEval/1", "status": "no_stub", "base": False, "plus": False}
    _write(ladder / "cascade.jsonl", records)
    rows = {row.label: row for row in module.ladder_rows(ladder, large, None)}
    common = ["HumanEval/0", "HumanEval/1"]
    assert (
        rows["0.5B cascade"].solved("base", common) == 1
        and rows["ladder: 0.5B cascade → 1.5B"].solved("base", common) == 1
    )
    # A greedy-only run given where a full cascade belongs is refused, not read as all failures.
    assert module.main(["--ladder", str(ladder), "--large-greedy", str(large), "--large-cascade", str(large)]) == 2
