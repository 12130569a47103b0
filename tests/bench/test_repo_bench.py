"""The repo benchmark without network or model: a tiny fake library in ``tmp_path``."""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest

from extraction import find_stubs
from ncpu.bench import repo_report
from ncpu.bench.repo_cli import engine_arguments
from ncpu.bench.repo_run import Variant, read_targets, run_targets
from ncpu.bench.repo_sources import Library, SourceError, fetch_sdist, library_test_files, source_files, unpack
from ncpu.bench.repo_targets import blank, find_candidates, ordered
from ncpu.bench.repo_validate import choose_tests, validate_library
from ncpu.bench.report import read_records
from ncpu.cli.options import add_engine_options

CORE = '''\
"""A tiny library."""

import abc


def add(a, b):
    """Return the sum of a and b.

    >>> add(1, 2)
    3
    """
    total = a + b
    return total


def unused(x):
    """Nobody tests this one."""
    doubled = x * 2
    return doubled


def tiny(x):
    """A one-line body is too small to be a target."""
    return x


class Counter:
    """Counts."""

    def __init__(self):
        self.count = 0

    def bump(self, n=1):
        """Add ``n`` to the count and return it."""
        self.count += n
        return self.count

    @property
    def twice(self):
        """Twice the count."""
        value = self.count
        return 2 * value

    @twice.setter
    def twice(self, value):
        """Set half of it."""
        half = value // 2
        self.count = half

    @abc.abstractmethod
    def later(self):
        """Abstract."""
        first = 1
        return first
'''

TESTS = """\
from fakelib.core import Counter, add


def test_add():
    assert add(2, 3) == 5


def test_bump():
    counter = Counter()
    assert counter.bump(2) == 2
    assert counter.bump() == 3
"""

FAKELIB = Library(name="fakelib", version="1.0", sha256="", package="fakelib", import_root=".", tests=("tests",))


@pytest.fixture(scope="module")
def fakelib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lib") / "fakelib-1.0"
    (root / "fakelib").mkdir(parents=True)
    (root / "fakelib" / "__init__.py").write_text("")
    (root / "fakelib" / "core.py").write_text(CORE)
    (root / "tests").mkdir()
    (root / "tests" / "__init__.py").write_text("")
    (root / "tests" / "test_core.py").write_text(TESTS)
    return root


def test_candidates_are_documented_modest_functions_and_methods() -> None:
    found = {c.qualified_name: c for c in find_candidates(CORE, "fakelib/core.py")}
    assert sorted(found) == ["Counter.bump", "Counter.twice", "add", "unused"]
    assert found["add"].kind == "function" and found["Counter.bump"].kind == "method"
    assert found["Counter.bump"].indent == " " * 8
    assert found["add"].name == "add" and found["Counter.bump"].name == "bump"


def test_blanking_keeps_docstring_and_decorators_and_stays_valid() -> None:
    for candidate in find_candidates(CORE, "fakelib/core.py"):
        blanked = blank(CORE, candidate)
        tree = ast.parse(blanked)
        assert [stub.qualified_name for stub in find_stubs(blanked)] == [candidate.qualified_name]
        node = next(
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef) and n.name == candidate.name and n.lineno == candidate.line
        )
        assert ast.get_docstring(node) is not None
        assert len(node.body) == 2 and isinstance(node.body[1], ast.Raise)
    twice = next(c for c in find_candidates(CORE, "x.py") if c.qualified_name == "Counter.twice")
    assert "    @property\n    def twice(self):" in blank(CORE, twice)
    assert "twice.setter" in blank(CORE, twice)  # everything else intact


def test_order_is_seeded_and_alternates_kinds() -> None:
    candidates = find_candidates(CORE, "fakelib/core.py")
    first = ordered(candidates, seed=3)
    assert first == ordered(reversed(candidates), seed=3)
    assert [c.kind for c in first[:4]] == ["function", "method", "function", "method"]


def test_tests_are_chosen_by_name() -> None:
    sources = {"tests/test_a.py": "from x import add\nassert add(1, 2)\n", "tests/test_b.py": "import x\n"}
    assert choose_tests("add", sources) == (["tests/test_a.py"], True)
    assert choose_tests("missing", sources) == (["tests/test_a.py", "tests/test_b.py"], False)
    assert choose_tests("add", {"t.py": "value = obj.add\n"}) == (["t.py"], False)


def test_source_and_test_files(fakelib: Path) -> None:
    assert source_files(FAKELIB, fakelib) == ["fakelib/__init__.py", "fakelib/core.py"]
    assert library_test_files(FAKELIB, fakelib) == ["tests/test_core.py"]


@pytest.fixture(scope="module")
def targets_file(fakelib: Path) -> Path:
    """The fake library validated once (each try is a pytest subprocess)."""
    scratch = fakelib.parent / "scratch"
    records = list(validate_library(FAKELIB, fakelib, scratch, per_kind=10, seed=0, timeout=60))
    targets = fakelib.parent / "targets.jsonl"
    targets.write_text("".join(json.dumps(r) + "\n" for r in records))
    return targets


def test_validation_keeps_targets_whose_tests_fail_when_blanked(fakelib: Path, targets_file: Path) -> None:
    records = {r["qualified_name"]: r for r in read_records(targets_file)}
    assert records["add"]["valid"] and records["add"]["original_passed"] and not records["add"]["blanked_passed"]
    assert records["Counter.bump"]["valid"] and records["Counter.bump"]["called_by_name"]
    assert records["add"]["tests"] == ["tests/test_core.py"]
    assert not records["unused"]["valid"] and records["unused"]["reason"] == "blanked variant passes its tests"
    assert not records["unused"]["called_by_name"]
    assert (fakelib.parent / "scratch" / "fakelib" / "core.py").read_text() == CORE  # restored after each try
    assert {t["qualified_name"] for t in read_targets(targets_file)} == {"add", "Counter.bump"}


def test_run_scores_the_written_file_and_resumes(fakelib: Path, targets_file: Path, tmp_path: Path) -> None:
    targets = read_targets(targets_file)
    calls: list[str] = []

    def solver(variant: Variant) -> dict[str, Any]:
        calls.append(variant.target["qualified_name"])
        assert "raise NotImplementedError" in variant.file.read_text()
        if variant.target["qualified_name"] == "add":  # right answer: the original body
            shutil.copy(fakelib / variant.target["file"], variant.file)
        else:  # a wrong body the solve (wrongly) calls verified
            variant.file.write_text(variant.blanked.replace("raise NotImplementedError", "return -1"))
        return {"status": "verified", "samples": 1, "tokens": 10, "seconds": 1.5, "body": "..."}

    results = tmp_path / "run" / "results.jsonl"
    variants = tmp_path / "variants"
    run_targets(
        targets, {"fakelib": FAKELIB}, {"fakelib": fakelib}, results, solver, variants=variants, test_timeout=60
    )
    records = {r["qualified_name"]: r for r in read_records(results)}
    assert sorted(calls) == ["Counter.bump", "add"]
    assert repo_report.outcome(records["add"]) == "passed"
    assert repo_report.outcome(records["Counter.bump"]) == "false_verification"
    assert not any(variants.iterdir())  # removed after scoring

    def must_not_run(variant: Variant) -> dict[str, Any]:
        raise AssertionError(f"{variant.target['target_id']} was already done")

    run_targets(
        targets, {"fakelib": FAKELIB}, {"fakelib": fakelib}, results, must_not_run, variants=variants, test_timeout=60
    )
    assert len(results.read_text().splitlines()) == 2


def _record(**fields: Any) -> dict[str, Any]:
    base = {"library": "lib", "kind": "function", "status": "failed", "samples": 0, "tokens": 0, "written": False}
    return {**base, "tests_passed": False, "solve_seconds": 1.0, "called_by_name": True, **fields}


def test_report_aggregates_outcomes() -> None:
    records = [
        _record(status="verified", written=True, tests_passed=True, samples=1, solve_seconds=2.0),
        _record(status="verified", written=True, tests_passed=False, samples=1, kind="method"),
        _record(status="unverified", written=True, tests_passed=False, samples=1, called_by_name=False),
        _record(message="fakelib/core.py does not import: ImportError: attempted relative import", kind="method"),
        _record(status="partial", samples=8, tokens=900, solve_seconds=30.0, library="other"),
        _record(status="error", message="timed out"),
    ]
    assert [repo_report.outcome(r) for r in records] == [
        "passed",
        "false_verification",
        "unverified_failed",
        "preflight",
        "unsolved",
        "error",
    ]
    summary = repo_report.summary(records)
    everything = summary["all"][0]
    assert everything["targets"] == 6 and everything["verified_passed"] == 1
    assert everything["counts"] == {o: 1 for o in repo_report.OUTCOMES}
    assert everything["p90_seconds"] == 30.0 and everything["median_seconds"] == 1.0
    kinds = {row["label"]: row["targets"] for row in summary["kind"]}
    assert kinds == {"function": 4, "method": 2}
    by_name = {row["label"]: row["targets"] for row in summary["called_by_name"]}
    assert by_name == {"tests call it by name": 5, "tests do not call it by name": 1}
    text = repo_report.markdown("ncpu bench repo", records, "m", ["lib", "other"])
    assert "## Per library" in text and "attempted relative import" in text


def test_engine_options_pass_through() -> None:
    parser = argparse.ArgumentParser()
    add_engine_options(parser)
    args = parser.parse_args(
        [
            "--max-seconds",
            "40",
            "--escalate-to",
            "a.gguf",
            "--escalate-to",
            "b.gguf",
            "--no-escalate",
            "--gpu-layers",
            "all",
        ]
    )
    assert engine_arguments(args) == [
        "--escalation-tier", "a.gguf", "--escalation-tier", "b.gguf", "--no-escalate",
        "--max-seconds", "40.0", "--gpu-layers", "-1",
    ]  # fmt: skip


def _sdist(path: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"def f():\n    return 1\n"
        info = tarfile.TarInfo("pkg-0.1/pkg/__init__.py")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def test_cached_sdist_is_verified_and_unpacked(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "sdists").mkdir(parents=True)
    data = _sdist(cache / "sdists" / "pkg-0.1.tar.gz")
    good = Library(name="pkg", version="0.1", sha256=hashlib.sha256(data).hexdigest(), package="pkg")
    root = unpack(good, fetch_sdist(good, cache), cache)
    assert (root / "pkg" / "__init__.py").read_text().startswith("def f()")
    bad = Library(name="pkg", version="0.1", sha256="0" * 64, package="pkg")
    with pytest.raises(SourceError, match="differs from the pinned"):
        fetch_sdist(bad, cache)
    assert not (cache / "sdists" / "pkg-0.1.tar.gz").exists()  # a bad download is not kept
