"""``ncpu solve`` on input that is broken, huge or wrong: one clear line each, no traceback, no hang, no lost file."""

from __future__ import annotations

import codecs
import json
import os
import time
from pathlib import Path

import pytest

from ncpu.cli import files
from ncpu.cli.main import main

MUL = '''def mul(a, b):
    """Multiply.

    >>> mul(2, 3)
    6
    """
'''
RIGHT = "def mul(a, b):\n    return a * b\n"


def _solve(tmp_path: Path, target: Path, bodies: list[str], *extra: str) -> int:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"mul": bodies, "*": bodies}))
    store = tmp_path / "store"
    return main(
        ["solve", str(target), "--backend", "fake", "--model", str(script), "--store", str(store),
         "--layers", "greedy", "--max-samples", "1", *extra]
    )  # fmt: skip


def _stub_file(tmp_path: Path, text: str, name: str = "mod.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_file_that_is_not_utf8_is_named_and_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "latin.py").write_bytes(MUL.replace("Multiply", "Multipli\xe9").encode("latin-1"))
    _stub_file(tmp_path, MUL, "ok.py")
    assert _solve(tmp_path, tmp_path, [RIGHT]) == 1
    captured = capsys.readouterr()
    assert "latin.py: not UTF-8" in captured.err and "Traceback" not in captured.err
    assert "return a * b" in captured.out  # the good file is still solved


def test_a_50000_line_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    filler = "".join(f"def helper_{i}(x):\n    return x + {i}\n" for i in range(25_000))
    target = _stub_file(tmp_path, MUL + "\n\n" + filler)
    started = time.monotonic()
    assert _solve(tmp_path, target, [RIGHT]) == 0
    assert time.monotonic() - started < 60
    assert "return a * b" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("x = " + "1 + " * 100_000 + "1\n\n", "cannot be parsed"),  # overflows the parser's recursion
        ("x = " + "(" * 500 + "1" + ")" * 500 + "\n\n", "syntax error"),
        ("def broken(a, b:\n    pass\n\n", "syntax error"),
    ],
    ids=["deep-expression", "deep-parentheses", "syntax-error"],
)
def test_deeply_nested_or_broken_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], prefix: str, message: str
) -> None:
    target = _stub_file(tmp_path, prefix + MUL)
    _solve(tmp_path, target, [RIGHT])
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err


@pytest.mark.parametrize(
    ("doctest", "body", "outcome", "status"),
    [
        # Refused before any model call (preflight): no body can make that import work.
        (
            ">>> import no_such_module_here\n    >>> mul(2, 3)\n    6",
            RIGHT,
            "failed",
            "cannot run: setup failed: ModuleNotFoundError",
        ),
        (">>> mul(2, 3)\n    6\n    >>> mul(2, 3)\n    7", RIGHT, "partial", "1 of 2"),  # contradictory examples
        (">>> mul(2, 3)\n    5", RIGHT, "failed", "0 of 1"),  # the user's example is wrong
        (">>> mul(2, 3)\n    6", "def mul(a, b):\n    while True:\n        pass\n", "failed", "timed out"),
    ],
    ids=["doctest-raises", "contradictory", "wrong-example", "hangs"],
)
def test_examples_that_cannot_be_met_get_a_clear_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], doctest: str, body: str, outcome: str, status: str
) -> None:
    target = _stub_file(tmp_path, MUL.replace(">>> mul(2, 3)\n    6", doctest))
    report = tmp_path / "report.json"
    started = time.monotonic()
    assert _solve(tmp_path, target, [body], "--json", str(report), "--write") == 1
    assert time.monotonic() - started < 30
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    stub = json.loads(report.read_text())["stubs"][0]
    assert stub["status"] == outcome
    assert status in stub["message"], stub
    # The terminal says the same: the report's status and message, on the stub's line.
    assert f"{target}:1 mul: {outcome} - {stub['message']}" in captured.err, captured.err
    assert "return a * b" not in target.read_text()  # nothing unverified is written


def test_write_keeps_a_concurrent_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _stub_file(tmp_path, MUL)
    edited = MUL + "\n# the user typed this while the solve ran\n"
    real = files.replace_atomically

    def edit_first(path: Path, new_text: str, expected_digest: str) -> None:
        path.write_text(edited)
        real(path, new_text, expected_digest)

    monkeypatch.setattr("ncpu.cli.solve.replace_atomically", edit_first)
    assert _solve(tmp_path, target, [RIGHT], "--write") == 1
    assert target.read_text() == edited
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".mod.py")) == []


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_crash_while_writing_leaves_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = _stub_file(tmp_path, MUL)
    real = files.replace_atomically

    def crash(*args: object) -> None:
        raise OSError(28, "No space left on device")

    def crash_inside(path: Path, new_text: str, expected_digest: str) -> None:
        with monkeypatch.context() as patch:  # only while the file is written, not while the store is
            patch.setattr(files.os, failing, crash)
            real(path, new_text, expected_digest)

    monkeypatch.setattr("ncpu.cli.solve.replace_atomically", crash_inside)
    assert _solve(tmp_path, target, [RIGHT], "--write") == 1
    assert target.read_text() == MUL
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".ncpu")] == []


def test_write_keeps_a_byte_order_mark_and_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "mod.py"
    target.write_bytes(codecs.BOM_UTF8 + MUL.encode())
    os.chmod(target, 0o640)
    assert _solve(tmp_path, target, [RIGHT], "--write") == 0
    data = target.read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and b"return a * b" in data
    assert target.stat().st_mode & 0o777 == 0o640
