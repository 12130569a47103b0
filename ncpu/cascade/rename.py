"""Renaming a body's parameters by position, so a body written for ``f(x, y)`` fits ``f(a, b)``."""

from __future__ import annotations

import ast
from collections.abc import Sequence


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.mapping:
            return ast.copy_location(ast.Name(id=self.mapping[node.id], ctx=node.ctx), node)
        return node


def rename_parameters(body: str, old: Sequence[str], new: Sequence[str]) -> str | None:
    """``body`` with ``old`` parameter names replaced by ``new``; ``None`` if that is not safe."""
    if len(old) != len(new):
        return None
    mapping = {o: n for o, n in zip(old, new, strict=True) if o != n}
    if not mapping:
        return body
    try:
        tree = ast.parse(body)
    except SyntaxError:
        return None
    # A new name the body already uses for something else would change its meaning.
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    if any(name in used and name not in mapping for name in mapping.values()):
        return None
    renamed = _Rename(mapping).visit(tree)
    return ast.unparse(ast.fix_missing_locations(renamed)) + "\n"
