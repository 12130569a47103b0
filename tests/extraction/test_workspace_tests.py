"""Tests already in the workspace, run as pytest would: parametrize, fixtures, classes, unittest, skips."""

from __future__ import annotations

from pathlib import Path

import pytest

from extraction import find_stubs
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox

CORE = '''def slug(text):
    """Lowercase words joined by dashes."""
    raise NotImplementedError


class Counter:
    def __init__(self):
        self.n = 0

    def bump(self, by=1):
        """Add by and return the new count."""
        raise NotImplementedError
'''
CONFTEST = """import pytest


@pytest.fixture
def words():
    return ["Hello", "World"]


@pytest.fixture
def shouted(words):
    yield [w.upper() for w in words]
"""
TESTS = """import os
import unittest

import pytest

from pkg.core import Counter, slug

SEP = "-"


def join(xs):
    return SEP.join(xs)


def test_plain():
    assert slug("Hello World") == "hello-world"


@pytest.mark.parametrize("text, expected", [("A B", "a-b"), pytest.param("X", "x", id="one"), ("  ", "")])
def test_cases(text, expected):
    assert slug(text) == expected


def test_fixtures_from_conftest(words, shouted):
    assert slug(" ".join(shouted)) == join([w.lower() for w in words])


def test_tmp_path(tmp_path):
    (tmp_path / "f").write_text("A b")
    assert slug((tmp_path / "f").read_text()) == "a-b"


def test_monkeypatch(monkeypatch):
    monkeypatch.setenv("NCPU_TEST_WORD", "Big Word")
    assert slug(os.environ["NCPU_TEST_WORD"]) == "big-word"


def test_raises():
    with pytest.raises(AttributeError):
        slug(None)


def test_capsys(capsys):
    print(slug("A"))
    assert capsys.readouterr().out == "a\\n"


def test_unknown_fixture(database):
    assert slug(database) == ""


@pytest.mark.skip(reason="later")
def test_skipped():
    assert slug("x") == "nope"


class TestCounter:
    def setup_method(self, method):
        self.c = Counter()

    def test_bump(self):
        assert self.c.bump() == 1
        assert self.c.bump(2) == 3


class CounterCase(unittest.TestCase):
    def setUp(self):
        self.c = Counter()

    def test_bump(self):
        self.assertEqual(self.c.bump(5), 5)
"""
RIGHT = {"slug": "return '-'.join(text.lower().split())\n", "bump": "self.n += by\nreturn self.n\n"}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    tmp_path.chmod(0o755)  # as root, candidates run as nobody: the project must be world-readable
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "core.py").write_text(CORE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text(CONFTEST)
    (tmp_path / "tests" / "test_core.py").write_text(TESTS)
    return tmp_path


def _problems(workspace: Path) -> dict[str, Problem]:
    path = workspace / "pkg" / "core.py"
    source = path.read_text()
    return {
        stub.name: Problem.from_source(source, stub, path=path, workspace_root=workspace) for stub in find_stubs(source)
    }


def test_each_test_and_each_parametrized_case_is_a_check(workspace: Path) -> None:
    problem = _problems(workspace)["slug"]
    assert [check.text for check in problem.checks] == [
        "test_core.py::test_plain",
        "test_core.py::test_cases[0]",
        "test_core.py::test_cases[1]",
        "test_core.py::test_cases[2]",
        "test_core.py::test_fixtures_from_conftest",
        "test_core.py::test_tmp_path",
        "test_core.py::test_monkeypatch",
        "test_core.py::test_raises",
    ]
    assert problem.skipped_tests == (
        "test_core.py::test_capsys: needs fixture capsys",
        "test_core.py::test_unknown_fixture: needs fixture database",
        "test_core.py::test_skipped: marked skip",
    )


def test_the_right_body_passes_them_all_in_the_sandbox_and_a_wrong_one_fails(workspace: Path, sandbox: Sandbox) -> None:
    for name, problem in _problems(workspace).items():
        verdict = sandbox.verify(problem.program_with(RIGHT[name]), problem.checks, placement=problem.placement)
        assert verdict.ok, (name, [(r.error, r.actual) for r in verdict.results if not r.passed])
        assert (
            sandbox.verify(problem.program_with("return None\n"), problem.checks, placement=problem.placement).passed
            == 0
        )


def test_test_methods_of_a_class_and_a_testcase_check_a_method_stub(workspace: Path) -> None:
    problem = _problems(workspace)["bump"]
    assert [check.text for check in problem.checks] == [
        "test_core.py::TestCounter::test_bump",
        "test_core.py::CounterCase::test_bump",
    ]
