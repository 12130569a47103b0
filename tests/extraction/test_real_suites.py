"""Tests written the way real projects write them, run as pytest runs them (through the real sandbox)."""

from __future__ import annotations

from pathlib import Path

from extraction import find_stubs
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox

CORE = '''def slug(text):
    """Lowercase words joined by dashes.

    >>> helpers.shout(slug("A b"))
    'A-B'
    """
    raise NotImplementedError
'''
PROJECT = {
    "pkg/__init__.py": "",
    "pkg/core.py": CORE,
    "tests/__init__.py": "WORDS = ['Hello', 'World']\n",
    "tests/util.py": "def joined(words):\n    return '-'.join(w.lower() for w in words)\n",
    "tests/conftest.py": (
        "import pytest\nimport string\n\n\n@pytest.fixture\ndef letters():\n    return string.ascii_lowercase[:3]\n"
    ),
    # A folder outside any package, as semver's tests/: its conftest imports a module beside it.
    "doc_helpers/conftest.py": (
        "import pytest\n\nimport helpers_on_path\n\n\n"
        "@pytest.fixture(autouse=True)\ndef add_names(doctest_namespace):\n"
        "    doctest_namespace['helpers'] = helpers_on_path\n"
    ),
    "doc_helpers/helpers_on_path.py": "def shout(text):\n    return text.upper()\n",
    "tests/test_core.py": (
        "import unittest\n\ntry:\n    import cPickle as pickle\nexcept ImportError:\n    import pickle\n\n"
        "from pkg.core import slug\n\nfrom . import WORDS\nfrom .util import joined\n\n\n"
        "def test_relative_imports():\n    assert slug(' '.join(WORDS)) == joined(WORDS)\n\n\n"
        "def test_conftest_fixture_with_its_own_imports(letters):\n    assert slug(letters) == 'abc'\n\n\n"
        "def test_imports_chosen_at_run_time():\n    assert pickle.loads(pickle.dumps(slug('A B'))) == 'a-b'\n\n\n"
        "class Case(unittest.TestCase):\n    @classmethod\n    def setUpClass(cls):\n        cls.text = 'X Y'\n\n"
        "    def test_class_fixture(self):\n        self.assertEqual(slug(self.text), 'x-y')\n\n"
        "    def test_optional(self):\n        raise unittest.SkipTest('needs an optional package')\n        slug('never')\n"
    ),
}


def test_a_real_suite_of_fixtures_helpers_and_namespaces_runs_as_pytest_runs_it(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    tmp_path.chmod(0o755)  # as root, candidates run as nobody: the project must be world-readable
    for name, text in PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    path = tmp_path / "pkg" / "core.py"
    problem = Problem.from_source(CORE, find_stubs(CORE)[0], path=path, workspace_root=tmp_path)
    assert len(problem.checks) == 6, [c.text for c in problem.checks]
    right = problem.program_with("return '-'.join(text.lower().split())\n")
    verdict = sandbox.verify(right, problem.checks, placement=problem.placement)
    failures = [(c.text, r.error) for c, r in zip(problem.checks, verdict.results, strict=True) if not r.passed]
    assert verdict.ok and verdict.passed == 5, failures  # the sixth skipped itself
    wrong = problem.program_with("return text.lower()\n")
    assert not sandbox.verify(wrong, problem.checks, placement=problem.placement).ok
