"""``ncpu doctor``: every row a real check, JSON for tools, exit 1 only when a row failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ncpu.cli import doctor
from ncpu.cli.main import main

ROWS = {"python", "ncpu", "llama-cpp-python", "cpu", "gpu offload", "model file", "model host", "sandbox", "store"}


def _doctor(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, object]]:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"*": "def f():\n    return 1\n"}))
    options = ["--backend", "fake", "--model", str(script), "--store", str(tmp_path / "store"), *extra]
    code = main(["doctor", "--json", *options])
    return code, json.loads(capsys.readouterr().out)


def test_all_rows_pass_on_a_working_setup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _doctor(tmp_path, capsys)
    rows = {row["check"]: row for row in report["rows"]}  # type: ignore[attr-defined]
    assert ROWS | {"language server"} == set(rows)
    assert code == 0 and report["ok"] is True
    assert all(row["status"] in ("ok", "warn") for row in rows.values()), rows
    assert "16 tokens" not in rows["model host"]["detail"]  # the fake writes fewer; the row says what it saw
    assert "tokens at" in rows["model host"]["detail"]
    assert "writable, 0 programs" in rows["store"]["detail"]


def test_a_failing_row_exits_1_with_its_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store-is-a-file"
    store.write_text("")
    script = tmp_path / "script.json"
    script.write_text("{}")
    code = main(["doctor", "--json", "--backend", "fake", "--model", str(script), "--store", str(store)])
    report = json.loads(capsys.readouterr().out)
    failed = [row for row in report["rows"] if row["status"] == "fail"]
    assert code == 1 and report["ok"] is False
    assert [row["check"] for row in failed] == ["store"]
    assert failed[0]["fix"] == "pass --store DIR to a writable directory"


def test_a_check_that_breaks_is_a_failed_row_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(settings: object) -> list[doctor.Row]:
        raise RuntimeError("boom")

    broken.__name__ = "_sandbox"
    monkeypatch.setattr(doctor, "_checks", lambda settings: [doctor._python, broken])
    code, report = _doctor(tmp_path, capsys)
    assert code == 1
    assert report["rows"][-1] == {"check": "sandbox", "status": "fail", "detail": "RuntimeError: boom", "fix": None}


def test_a_crashing_model_host_is_a_warning_with_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    crashes = tmp_path / "crashes"
    crashes.write_text("segv\n")
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"*": "def f():\n    return 1\n", "__crash_file__": str(crashes)}))
    code = main(["doctor", "--json", "--backend", "fake", "--model", str(script), "--model-host", "process"])
    rows = {row["check"]: row for row in json.loads(capsys.readouterr().out)["rows"]}
    assert code == 0
    assert rows["model host"]["status"] == "warn"
    assert "crashed (SIGSEGV) while generating; restarted in CPU-safe mode" in rows["model host"]["detail"]
    assert rows["model host"]["fix"] == "run with --cpu-safe (cpuSafe: true)"


def test_the_table_for_people(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "script.json"
    script.write_text("{}")
    assert main(["doctor", "--backend", "fake", "--model", str(script), "--store", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "ncpu doctor" in out and "model host" in out and "sandbox" in out


def test_a_refusing_sandbox_fails_its_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NCPU_SANDBOX_TEST_REFUSE", "user_ns")
    code, report = _doctor(tmp_path, capsys)
    rows = {row["check"]: row for row in report["rows"]}  # type: ignore[attr-defined]
    assert code == 1 and rows["sandbox"]["status"] == "fail"
    assert "--unsafe-sandbox" in rows["sandbox"]["fix"]
