"""Candidates run as part of the user's project: real dotted names, import roots, the project's interpreter.

Everything here goes through the real sandbox (namespaces, seccomp) and real packages written to disk.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from extraction import find_stubs
from extraction.check import Check
from ncpu.cascade.preflight import preflight
from ncpu.problem import Problem
from ncpu.project import placement_for, project_interpreter
from ncpu.sandbox import Sandbox


def _write(root: Path, files: dict[str, str]) -> None:
    root.chmod(0o755)  # as root, candidates run as nobody: the project must be world-readable
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


CORE = '''from .money import to_cents
from . import money


def total(prices):
    """
    >>> total(["1.25", "0.10"])
    135
    """
    raise NotImplementedError
'''
PACKAGE = {
    "inventory/__init__.py": "from .core import total\n",
    "inventory/money.py": "def to_cents(text):\n    return round(float(text) * 100)\n",
    "inventory/core.py": CORE,
}
BODY = "return sum(to_cents(p) for p in prices)\n"


def _problem(root: Path, name: str = "inventory/core.py", python: str | None = None) -> Problem:
    path = root / name
    source = path.read_text()
    return Problem.from_source(source, find_stubs(source)[0], path=path, workspace_root=root, python=python)


def test_relative_and_absolute_imports_of_the_project_resolve(tmp_path: Path, sandbox: Sandbox) -> None:
    _write(tmp_path, PACKAGE)
    problem = _problem(tmp_path)
    assert problem.placement is not None and problem.placement.module == "inventory.core"
    verdict = sandbox.verify(problem.program_with(BODY), problem.checks, placement=problem.placement)
    assert verdict.ok, verdict
    wrong = sandbox.verify(problem.program_with("return 0\n"), problem.checks, placement=problem.placement)
    assert not wrong.ok


def test_the_package_sees_the_candidate_not_the_file_on_disk(tmp_path: Path, sandbox: Sandbox) -> None:
    """``inventory/__init__.py`` re-exports ``total``: it must be the candidate's, as a test importing it expects."""
    _write(tmp_path, PACKAGE)
    problem = _problem(tmp_path)
    body = "import inventory, sys\nreturn (inventory.total is total, sys.modules['inventory.core'] is sys.modules[__name__])\n"
    check = Check("doctest", "total([])", "(True, True)")
    assert sandbox.verify(problem.program_with(body), [check], placement=problem.placement).ok


def test_the_import_roots_are_read_only_to_candidates(tmp_path: Path, sandbox: Sandbox) -> None:
    _write(tmp_path, PACKAGE)
    problem = _problem(tmp_path)
    target = tmp_path / "inventory" / "written.txt"
    body = f"try:\n    open({str(target)!r}, 'w').write('x')\nexcept OSError:\n    return 'refused'\nreturn 'wrote'\n"
    verdict = sandbox.verify(
        problem.program_with(body), [Check("doctest", "total([])", "'refused'")], placement=problem.placement
    )
    assert verdict.ok, verdict
    assert not target.exists()


def test_a_project_package_named_like_ncpus_own_is_the_projects(tmp_path: Path, sandbox: Sandbox) -> None:
    """A project with its own ``extraction/`` and ``ncpu/`` packages: candidates import those, ncpu keeps its own."""
    files = {
        "extraction/__init__.py": "WHO = 'project extraction'\n",
        "ncpu/__init__.py": "WHO = 'project ncpu'\n",
        "tool.py": "import extraction\nimport ncpu\n\ndef who():\n    return (extraction.WHO, ncpu.WHO)\n",
    }
    _write(tmp_path, files)
    placement = placement_for(tmp_path / "tool.py", tmp_path)
    source = (tmp_path / "tool.py").read_text()
    verdict = sandbox.verify(
        source, [Check("doctest", "who()", "('project extraction', 'project ncpu')")], placement=placement
    )
    assert verdict.ok, verdict
    import extraction as ours

    assert Path(ours.__file__).resolve().parent.parent != tmp_path.resolve()


def test_a_module_named_like_a_preloaded_stdlib_module_is_the_candidate(tmp_path: Path, sandbox: Sandbox) -> None:
    _write(tmp_path, {"statistics.py": "def mean(xs):\n    raise NotImplementedError\n"})
    placement = placement_for(tmp_path / "statistics.py", tmp_path)
    assert placement is not None and placement.module == "statistics"
    program = "def mean(xs):\n    return 'mine'\n"
    assert sandbox.verify(program, [Check("doctest", "mean([1])", "'mine'")], placement=placement).ok


def _venv_with(tmp_path: Path, package: str, text: str) -> Path:
    venv = tmp_path / "venv-project"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / package).mkdir(parents=True)
    (Path(purelib) / package / "__init__.py").write_text(text)
    for folder in (venv, *Path(purelib).parents):
        if folder == tmp_path:
            break
        folder.chmod(0o755)
    return python


@pytest.mark.skipif(sys.platform != "linux", reason="the sandbox's kernel boundary is Linux's")
def test_candidates_run_under_the_projects_interpreter(tmp_path: Path, sandbox: Sandbox) -> None:
    """A package only the project's virtual environment has: importable under it, missing under ours."""
    project = tmp_path / "project"
    project.mkdir()
    python = _venv_with(tmp_path, "fancylib", "def double(x):\n    return 2 * x\n")
    source = 'import fancylib\n\n\ndef f(x):\n    """\n    >>> f(2)\n    4\n    """\n    raise NotImplementedError\n'
    _write(project, {"tool.py": source})
    tmp_path.chmod(0o755)
    problem = _problem(project, "tool.py", python=str(python.parent.parent))  # a venv folder names its python
    assert problem.placement is not None and problem.placement.python == str(python)
    assert sandbox.verify(
        problem.program_with("return fancylib.double(x)\n"), problem.checks, placement=problem.placement
    ).ok
    refusal = preflight(_problem(project, "tool.py"), sandbox)
    assert refusal is not None and "No module named 'fancylib'" in refusal and "--python" in refusal


def test_the_workspace_venv_is_found_by_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").write_text("")
    assert project_interpreter(tmp_path) == str(tmp_path / ".venv" / "bin" / "python")
    assert project_interpreter(tmp_path, "/opt/py/bin/python") == "/opt/py/bin/python"
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    assert project_interpreter(tmp_path / "elsewhere") is None  # $VIRTUAL_ENV is ncpu's own: nothing to change


def test_an_interpreter_that_cannot_run_the_sandbox_is_one_clear_message(tmp_path: Path, sandbox: Sandbox) -> None:
    _write(tmp_path, PACKAGE)
    for python, said in ((tmp_path / "nope" / "python", "cannot be run"), (Path("/bin/false"), "did not start")):
        problem = _problem(tmp_path, python=str(python))
        refusal = preflight(problem, sandbox)
        assert refusal is not None and said in refusal and "--python" in refusal, refusal


def test_a_missing_dependency_is_refused_before_any_model_call(tmp_path: Path, sandbox: Sandbox) -> None:
    _write(tmp_path, {**PACKAGE, "inventory/core.py": "import numpy_not_installed_here\n" + CORE})
    refusal = preflight(_problem(tmp_path), sandbox)
    assert refusal is not None
    assert (
        "inventory/core.py does not import: ModuleNotFoundError: No module named 'numpy_not_installed_here'" in refusal
    )
    assert "--python" in refusal


def test_an_unreadable_project_is_named_when_ncpu_runs_as_root(tmp_path: Path, sandbox: Sandbox) -> None:
    if os.geteuid() != 0:
        pytest.skip("candidates run as the user itself: they read what it reads")
    _write(tmp_path, PACKAGE)
    tmp_path.chmod(0o700)
    refusal = preflight(_problem(tmp_path), sandbox)
    assert refusal is not None and "cannot read" in refusal and "0700" in refusal, refusal


def test_ncpus_own_worker_sees_no_workspace_on_its_path() -> None:
    """The worker starts from a bootstrap that finds ncpu's packages by name only: the caller's ``sys.path``
    (here the checkout, which pytest puts there) no longer reaches candidates through ``PYTHONPATH``."""
    checkout = str(Path(__file__).resolve().parents[2])
    assert checkout in sys.path or os.getcwd() == checkout
    with Sandbox() as box:
        verdict = box.verify(
            f"import sys\ndef f():\n    return [p for p in sys.path if p in ('', '.', {checkout!r})]\n",
            [Check("doctest", "f()", "[]")],
        )
    assert verdict.ok, verdict
