"""No circular imports between the project's own modules (``ncpu``, ``extraction``, ``server``).

The graph is built from the source with ``ast``, never by importing anything. A node is a module's
dotted name (a package is its ``__init__``). Every ``import`` and ``from ... import`` statement in a
module adds edges, wherever it stands (inside a function, a method, a ``try``), since a function-level
import only hides a cycle until the function runs; so do ``importlib.import_module("...")`` and
``__import__("...")`` calls with a literal name. An import under ``if TYPE_CHECKING:`` (or
``typing.TYPE_CHECKING``) never runs and adds nothing (its ``else:`` branch does).

Where an edge goes:

* ``import a.b.c`` is an edge to ``a.b.c`` only (the longest prefix that is one of our modules).
* ``from a.b import c`` is an edge to the module ``a.b.c`` if there is one, else to ``a.b``, where
  ``c`` is a name defined in (or re-exported by) ``a.b``: ``from ncpu.sandbox import Sandbox`` is an
  edge to ``ncpu.sandbox``'s ``__init__``. ``from a.b import *`` is an edge to ``a.b``.
* Relative imports are resolved against the importing module's package first.
* Python also runs the parent packages' ``__init__`` (``a``, ``a.b``) before ``a.b.c``, but that adds
  no edge: a parent package is already in ``sys.modules`` while its own ``__init__`` imports its
  submodules, so that relationship is not a circular import. The point is module-to-module cycles.

The strongly connected components of the graph (Tarjan) are the cycles; each is reported as the
shortest cycle through each of its edges, with the file and line of every import on it.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ncpu", "extraction", "server")


@dataclass(frozen=True)
class Import:
    """One edge of the graph: ``source`` imports ``target`` at ``path:line``."""

    source: str
    target: str
    path: Path
    line: int


def find_modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file under each package directory."""
    modules: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is one of our modules."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


class _ImportVisitor(ast.NodeVisitor):
    def __init__(self, module: str, path: Path, modules: dict[str, Path]) -> None:
        self.module = module
        self.path = path
        self.modules = modules
        self.is_package = path.name == "__init__.py"
        self.edges: list[Import] = []

    def _edge(self, target: str | None, node: ast.AST) -> None:
        edge = Import(self.module, target or "", self.path, getattr(node, "lineno", 0))
        if target is not None and target != self.module and edge not in self.edges:
            self.edges.append(edge)

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:  # the body never runs; the else branch does
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._edge(_known(alias.name, self.modules), node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            package = self.module.split(".") if self.is_package else self.module.split(".")[:-1]
            if node.level > 1:
                package = package[: -(node.level - 1)]
            base = ".".join([*package, *([node.module] if node.module else [])])
        else:
            base = node.module or ""
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            if alias.name != "*" and submodule in self.modules:
                self._edge(submodule, node)
            elif base in self.modules:
                self._edge(base, node)
            else:
                self._edge(_known(base, self.modules), node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in ("import_module", "__import__") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                self._edge(_known(first.value, self.modules), node)
        self.generic_visit(node)


def import_graph(root: Path, packages: Iterable[str]) -> dict[str, list[Import]]:
    """Every module's imports of our own modules (see the module docstring for the rules)."""
    modules = find_modules(root, packages)
    graph: dict[str, list[Import]] = {}
    for name, path in modules.items():
        visitor = _ImportVisitor(name, path, modules)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        graph[name] = visitor.edges
    return graph


def strongly_connected(graph: dict[str, list[Import]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module, each sorted, in sorted order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for edge in graph.get(node, []):
            if edge.target not in index:
                visit(edge.target)
                low[node] = min(low[node], low[edge.target])
            elif edge.target in on_stack:
                low[node] = min(low[node], index[edge.target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def _shortest_path(graph: dict[str, list[Import]], start: str, goal: str, within: set[str]) -> list[Import]:
    """The fewest imports from ``start`` to ``goal`` inside one component (breadth first)."""
    came: dict[str, Import | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for edge in graph[node]:
            if edge.target in within and edge.target not in came:
                came[edge.target] = edge
                queue.append(edge.target)
    path: list[Import] = []
    step = came[goal]
    while step is not None:
        path.append(step)
        step = came[step.source]
    return path[::-1]


def cycles(graph: dict[str, list[Import]]) -> list[list[Import]]:
    """For every component, the shortest cycle through each of its edges, without repeats."""
    found: dict[tuple[str, ...], list[Import]] = {}
    for component in strongly_connected(graph):
        members = set(component)
        for source in component:
            for edge in graph[source]:
                if edge.target not in members:
                    continue
                cycle = [edge, *_shortest_path(graph, edge.target, source, members)]
                names = [step.source for step in cycle]
                turn = names.index(min(names))  # one rotation per cycle, starting at its smallest module
                key = tuple(names[turn:] + names[:turn])
                if key not in found:
                    found[key] = cycle[turn:] + cycle[:turn]
    return [found[key] for key in sorted(found)]


def describe(cycle: list[Import], root: Path) -> str:
    """``a -> b -> a`` and, under it, where each of those imports is."""
    chain = " -> ".join([cycle[0].source, *(step.target for step in cycle)])
    where = [f"    {step.source} -> {step.target}: {step.path.relative_to(root)}:{step.line}" for step in cycle]
    return "\n".join([chain, *where])


def test_no_import_cycles() -> None:
    graph = import_graph(ROOT, PACKAGES)
    assert len(graph) > 50, sorted(graph)  # the walk found the project, not an empty directory
    found = cycles(graph)
    if found:
        pytest.fail(
            f"{len(found)} import cycles:\n" + "\n".join(describe(cycle, ROOT) for cycle in found), pytrace=False
        )


# The detector itself, on packages written for the purpose.


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _names(found: list[list[Import]]) -> list[list[str]]:
    return [[cycle[0].source, *(step.target for step in cycle)] for cycle in found]


def test_detector_finds_a_cycle_through_a_function_level_and_a_relative_import(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n",  # ``from package import submodule``
            "pkg/b.py": "def f():\n    from .c import g\n    return g\n",  # relative, inside a function
            "pkg/c.py": "import pkg.a\n\ndef g():\n    pass\n",
            "pkg/d.py": "import pkg.a\n",  # imports into the cycle, is not on it
        },
    )
    graph = import_graph(tmp_path, ["pkg"])
    assert _names(cycles(graph)) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
    assert [edge.line for edge in cycles(graph)[0]] == [1, 2, 1]


def test_detector_ignores_type_checking_imports_and_parent_packages(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            # The package re-exports from its submodule, which imports the package's parent implicitly only.
            "pkg/__init__.py": "from pkg.a import A\n",
            "pkg/a.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from pkg.b import B\nelse:\n    import os\n\nclass A:\n    pass\n",
            "pkg/b.py": "import typing\nimport pkg.a\nif typing.TYPE_CHECKING:\n    import pkg\n\nclass B:\n    pass\n",
        },
    )
    graph = import_graph(tmp_path, ["pkg"])
    assert {name: sorted(edge.target for edge in edges) for name, edges in graph.items()} == {
        "pkg": ["pkg.a"],
        "pkg.a": [],
        "pkg.b": ["pkg.a"],
    }
    assert cycles(graph) == []


def test_detector_counts_a_name_imported_from_a_package_init(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.sub.impl import Thing\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/impl.py": "from .. import Thing as Again\n\nclass Thing:\n    pass\n",  # the name, from the __init__
        },
    )
    assert _names(cycles(import_graph(tmp_path, ["pkg"]))) == [["pkg", "pkg.sub.impl", "pkg"]]


def test_detector_reports_every_cycle_of_a_component(tmp_path: Path) -> None:
    # One component, two cycles sharing ``hub``: both are named, each once.
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/hub.py": "import pkg.left\nimport pkg.right\n",
            "pkg/left.py": "import importlib\nimportlib.import_module('pkg.hub')\n",
            "pkg/right.py": "from pkg.hub import *\n",
        },
    )
    assert _names(cycles(import_graph(tmp_path, ["pkg"]))) == [
        ["pkg.hub", "pkg.left", "pkg.hub"],
        ["pkg.hub", "pkg.right", "pkg.hub"],
    ]
