"""Tests already in the workspace that call the stub → checks, run as pytest would run them.

- plain test functions, and test methods of ``Test*`` classes (``setup_method`` first) and of
  ``unittest.TestCase`` subclasses (``setUp``/``tearDown`` through ``TestCase.debug``);
- ``@pytest.mark.parametrize`` (stacked ones too): each case is a check of its own;
- fixtures: ``tmp_path`` and ``monkeypatch`` as pytest makes them, and fixtures defined in the test
  module or a ``conftest.py`` above it (plain or ``yield``; depending on other fixtures); ``pytest.raises``
  and ``pytest.approx`` run as themselves;
- a test that needs what cannot be had here (``capsys``, ``request``, a parametrized fixture, a fixture
  nobody defines) or is marked ``skip``/``skipif``/``xfail`` is not a check; it is reported as skipped with
  the reason (``needs fixture capsys``), so it never fails a correct candidate.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from extraction.asserts import calls_name
from extraction.check import Check

MAX_CASES = 64
"""Parametrized cases kept per test function."""
_BUILTIN_FIXTURES = {
    "tmp_path": (
        "import os as _ncpu_os, pathlib as _ncpu_pathlib, tempfile as _ncpu_tempfile\n"
        "tmp_path = _ncpu_pathlib.Path(_ncpu_tempfile.mkdtemp(dir=_ncpu_os.environ.get('TMPDIR') or None))"
    ),
    "monkeypatch": "from _pytest.monkeypatch import MonkeyPatch as _NcpuMonkeyPatch\nmonkeypatch = _NcpuMonkeyPatch()",
}
_SKIP_MARKS = frozenset({"skip", "skipif", "xfail"})


@dataclass
class WorkspaceTests:
    """What one test module gave for one stub."""

    checks: list[Check] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """``test_file.py::test_name: needs fixture capsys`` and the like."""


@dataclass(frozen=True, slots=True)
class Fixture:
    """A pytest fixture a test module or ``conftest.py`` defines."""

    name: str
    params: tuple[str, ...]
    code: str
    """The fixture's definition without its decorator."""
    yields: bool
    parametrized: bool


def _decorator_name(node: ast.expr) -> str:
    """``pytest.mark.parametrize`` for ``@pytest.mark.parametrize(...)``; ``fixture`` for ``@fixture``."""
    target = node.func if isinstance(node, ast.Call) else node
    parts: list[str] = []
    while isinstance(target, ast.Attribute):
        parts.append(target.attr)
        target = target.value
    if isinstance(target, ast.Name):
        parts.append(target.id)
    return ".".join(reversed(parts))


def is_fixture(node: ast.FunctionDef) -> bool:
    """Whether the function is decorated with ``@pytest.fixture`` (or ``@fixture``)."""
    return any(_decorator_name(d).rsplit(".", 1)[-1] == "fixture" for d in node.decorator_list)


def _undecorated(node: ast.FunctionDef | ast.ClassDef) -> str:
    """The definition's source without its decorators."""
    copy = ast.FunctionDef(**{**node.__dict__}) if isinstance(node, ast.FunctionDef) else ast.ClassDef(**node.__dict__)
    copy.decorator_list = []
    return ast.unparse(copy)


def fixtures_in(tree: ast.Module, with_imports: bool = False) -> dict[str, Fixture]:
    """The fixtures a module defines at top level.

    ``with_imports``: each after the module's absolute imports (a ``conftest.py``'s fixture uses its own
    imports, which the test module need not have).
    """
    preamble = (
        [
            ast.unparse(n)
            for n in tree.body
            if isinstance(n, ast.Import) or (isinstance(n, ast.ImportFrom) and n.level == 0)
        ]
        if with_imports
        else []
    )
    found: dict[str, Fixture] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and is_fixture(node):
            decorator = next(d for d in node.decorator_list if _decorator_name(d).endswith("fixture"))
            parametrized = isinstance(decorator, ast.Call) and any(k.arg == "params" for k in decorator.keywords)
            yields = any(isinstance(sub, ast.Yield | ast.YieldFrom) for sub in ast.walk(node))
            params = tuple(arg.arg for arg in node.args.args)
            code = "\n".join([*preamble, _undecorated(node)])
            found[node.name] = Fixture(node.name, params, code, yields, parametrized)
    return found


def _fixture_setup(
    names: tuple[str, ...], fixtures: dict[str, Fixture], seen: tuple[str, ...] = ()
) -> tuple[list[str], str | None]:
    """Statements that bind each fixture ``names`` needs, or the reason one cannot be had."""
    lines: list[str] = []
    for name in names:
        if name in seen or any(f"\n{name} = " in f"\n{line}" for line in lines):
            continue
        if name in fixtures:
            fixture = fixtures[name]
            if fixture.parametrized:
                return [], f"needs fixture {name} (parametrized)"
            needed, reason = _fixture_setup(fixture.params, fixtures, (*seen, name))
            if reason is not None:
                return [], reason
            call = f"_ncpu_fixture_{name}({', '.join(f'{p}={p}' for p in fixture.params)})"
            value = f"next(iter({call}))" if fixture.yields else call
            definition = fixture.code.replace(f"def {name}(", f"def _ncpu_fixture_{name}(", 1)
            lines += [*needed, definition, f"{name} = {value}"]
        elif name in _BUILTIN_FIXTURES:
            lines.append(_BUILTIN_FIXTURES[name])
        else:
            return [], f"needs fixture {name}"
    return lines, None


def _parametrize_cases(node: ast.FunctionDef) -> tuple[list[dict[str, str]], str | None]:
    """Each case of the test's ``parametrize`` marks as ``{argname: source}``; ``[{}]`` when it has none."""
    grids: list[list[dict[str, str]]] = []
    for decorator in node.decorator_list:
        if not _decorator_name(decorator).endswith("parametrize") or not isinstance(decorator, ast.Call):
            continue
        if len(decorator.args) < 2:
            return [], "parametrize with argument names or values it cannot read"
        names_node, values_node = decorator.args[0], decorator.args[1]
        try:
            raw = ast.literal_eval(names_node)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return [], "parametrize with argument names it cannot read"
        names = [n.strip() for n in raw.split(",")] if isinstance(raw, str) else [str(n) for n in raw]
        if not isinstance(values_node, ast.List | ast.Tuple):
            return [], "parametrize values built at run time"
        cases: list[dict[str, str]] = []
        for value in values_node.elts:
            if isinstance(value, ast.Call) and _decorator_name(value).endswith("param"):
                if any(k.arg == "marks" for k in value.keywords):
                    continue  # a case marked skip/xfail
                items = value.args
            elif len(names) == 1:
                items = [value]
            elif isinstance(value, ast.Tuple | ast.List):
                items = value.elts
            else:
                return [], "parametrize values it cannot read"
            if len(items) != len(names):
                return [], "parametrize values that do not match the argument names"
            cases.append({name: ast.unparse(item) for name, item in zip(names, items, strict=True)})
        grids.append(cases)
    if not grids:
        return [{}], None
    product = [
        dict(itertools.chain.from_iterable(case.items() for case in combo)) for combo in itertools.product(*grids)
    ]
    return product[:MAX_CASES], None


def _skip_reason(node: ast.FunctionDef | ast.ClassDef) -> str | None:
    for decorator in node.decorator_list:
        name = _decorator_name(decorator)
        last = name.rsplit(".", 1)[-1]
        if last in _SKIP_MARKS:
            return f"marked {last}"
        if last not in ("parametrize", "usefixtures") and not name.startswith("pytest.mark"):
            return f"decorated with @{name}"
    return None


def is_testcase(node: ast.ClassDef) -> bool:
    """Whether the class derives from ``unittest.TestCase``."""
    return any(_decorator_name(base).rsplit(".", 1)[-1] == "TestCase" for base in node.bases)


def tests_calling(
    tree: ast.Module,
    test_file: Path,
    name: str,
    setup: tuple[str, ...],
    fixtures: dict[str, Fixture],
    helpers: tuple[str, ...] = (),
) -> WorkspaceTests:
    """Every test in ``tree`` that calls ``name``, as checks (``setup`` imports the stub's module)."""
    found = WorkspaceTests()
    base_setup = (*setup, *helpers)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test") and calls_name(node, name):
            _add_test(found, node, test_file, base_setup, fixtures, owner=None)
        elif (
            isinstance(node, ast.ClassDef)
            and (node.name.startswith("Test") or is_testcase(node))
            and calls_name(node, name)
        ):
            for member in node.body:
                if isinstance(member, ast.FunctionDef) and member.name.startswith("test") and calls_name(member, name):
                    _add_test(found, member, test_file, base_setup, fixtures, owner=node)
    return found


def _add_test(
    found: WorkspaceTests,
    node: ast.FunctionDef,
    test_file: Path,
    setup: tuple[str, ...],
    fixtures: dict[str, Fixture],
    owner: ast.ClassDef | None,
) -> None:
    label = f"{test_file.name}::{owner.name + '::' if owner else ''}{node.name}"
    reason = _skip_reason(node) or (_skip_reason(owner) if owner is not None else None)
    cases, unreadable = _parametrize_cases(node)
    reason = reason or unreadable
    params = tuple(arg.arg for arg in node.args.args)[1 if owner is not None else 0 :]
    given = set(cases[0]) if cases else set()
    needed, missing = _fixture_setup(tuple(p for p in params if p not in given), fixtures)
    reason = reason or missing
    if reason is not None:
        found.skipped.append(f"{label}: {reason}")
        return
    if owner is None:
        code = _undecorated(node)
        target = node.name
    elif is_testcase(owner):
        code = _undecorated(owner)
        target = None
    else:
        code = _undecorated(owner)
        target = f"_ncpu_test.{node.name}"
    for index, case in enumerate(cases):
        arguments = ", ".join([*(f"{p}={p}" for p in params if p not in case), *(f"{k}={v}" for k, v in case.items())])
        if owner is None:
            run = f"{target}({arguments})"
        elif is_testcase(owner):
            # ``debug()`` runs setUp, the test and tearDown; the class fixtures are the runner's job.
            run = f"{owner.name}.setUpClass()\ntry:\n    {owner.name}({node.name!r}).debug()\nfinally:\n    {owner.name}.tearDownClass()"
        else:
            prepare = f"\nif hasattr(_ncpu_test, 'setup_method'):\n    _ncpu_test.setup_method(_ncpu_test.{node.name})"
            run = f"_ncpu_test = {owner.name}(){prepare}\n{target}({arguments})"
        shown = label if len(cases) == 1 else f"{label}[{index}]"
        statements = "\n".join([*needed, code, run])
        found.checks.append(
            Check("workspace_test", statements, None, "statement", setup, node.lineno, shown, str(test_file))
        )
