"""Reuse by behaviour: verified bodies of other stubs with the same arity, tried against new checks."""

from __future__ import annotations

import ast
from collections.abc import Sequence

from ncpu.store import StoredProgram


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.mapping:
            return ast.copy_location(ast.Name(id=self.mapping[node.id], ctx=node.ctx), node)
        return node


def adapt_body(program: StoredProgram, params: Sequence[str]) -> str | None:
    """Rewrite a stored body for new parameter names (by position); ``None`` if it cannot be done safely."""
    if len(program.params) != len(params):
        return None
    mapping = {old: new for old, new in zip(program.params, params, strict=True) if old != new}
    if not mapping:
        return program.body
    try:
        tree = ast.parse(program.body)
    except SyntaxError:
        return None
    # A new name that the old body already uses for something else would change its meaning.
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    if any(new in used and new not in mapping for new in mapping.values()):
        return None
    renamed = _Rename(mapping).visit(tree)
    return ast.unparse(ast.fix_missing_locations(renamed)) + "\n"


def library_bodies(programs: Sequence[StoredProgram], params: Sequence[str], exclude_key: str) -> list[str]:
    """Distinct adapted bodies from the library, newest first, skipping the problem's own entry."""
    seen: set[str] = set()
    bodies = []
    for program in programs:
        if program.key == exclude_key:
            continue
        body = adapt_body(program, params)
        if body is not None and body not in seen:
            seen.add(body)
            bodies.append(body)
    return bodies
