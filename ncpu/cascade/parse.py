"""Turning what the model wrote into a body for the stub.

The model continues a prefilled stub, or (some backends) writes the whole function again. Either way
the result is parsed with ``ast``; the body after the docstring is kept, and imports or helper
functions the model put at module level are moved into the body, so the edit stays inside the stub.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Sequence

from extraction.stub import body_after_docstring, is_placeholder_body
from ncpu.cascade.rename import rename_parameters

_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*$", re.MULTILINE)


def _strip_fences(text: str) -> str:
    """Keep the first fenced block's content if there is one, else the text up to a closing fence."""
    match = _FENCE.search(text)
    if match is not None and match.start() == 0:
        text = text[match.end() :].lstrip("\n")
    closing = _FENCE.search(text)
    return text[: closing.start()] if closing else text


def _parse_prefix_of(code: str) -> ast.Module | None:
    """Parse ``code``, dropping trailing lines until it parses (the model may stop mid-statement)."""
    lines = code.splitlines()
    for end in range(len(lines), 0, -1):
        try:
            return ast.parse("\n".join(lines[:end]))
        except SyntaxError:
            continue
        except (ValueError, RecursionError, MemoryError):
            return None
    return None


def _find_function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The first definition of ``name`` with a real body (an echoed class may hold the method written out)."""
    found = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
    ]
    return next(
        (node for node in found if not is_placeholder_body(body_after_docstring(node))), found[0] if found else None
    )


def _segment(lines: list[str], node: ast.stmt) -> str:
    start = node.lineno - 1
    if getattr(node, "decorator_list", None):
        start = min(d.lineno for d in node.decorator_list) - 1  # type: ignore[attr-defined]
    return textwrap.dedent("\n".join(lines[start : node.end_lineno]))


def extract_body(
    prefix: str,
    generated: str,
    name: str,
    params: Sequence[str] | None = None,
    module_names: frozenset[str] = frozenset(),
) -> str | None:
    """Return the dedented body (ending in a newline) that the model wrote for ``name``, or ``None``.

    When ``params`` is given and the model renamed the parameters, the body is renamed back.
    ``module_names``: what the stub's module already defines at top level. A definition of one of them in
    the answer is the model echoing the context it was shown (the class around a method), not a helper to
    move into the body.
    """
    candidates = []
    alone = _strip_fences(generated)
    if re.search(rf"^(async\s+)?def\s+{re.escape(name)}\b", alone, re.MULTILINE):
        candidates.append(alone)
    candidates.append(_strip_fences(prefix + generated))
    for code in candidates:
        found = _body_from_code(code, name, module_names)
        if found is None:
            continue
        body, written_params = found
        if params is not None and written_params != tuple(params):
            return rename_parameters(body, written_params, params)
        return body
    return None


def _body_from_code(code: str, name: str, module_names: frozenset[str]) -> tuple[str, tuple[str, ...]] | None:
    tree = _parse_prefix_of(code)
    if tree is None:
        return None
    function = _find_function(tree, name)
    if function is None:
        return None
    statements = body_after_docstring(function)
    if is_placeholder_body(statements):
        return None
    lines = code.splitlines()
    moved = [
        _segment(lines, node)
        for node in tree.body
        if node is not function
        and (
            isinstance(node, ast.Import | ast.ImportFrom)
            or (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and node.name != name
                and node.name not in module_names
            )
        )
        and not _contains(node, function)
    ]
    first, last = statements[0], statements[-1]
    body = textwrap.dedent("\n".join(lines[first.lineno - 1 : last.end_lineno]))
    # A statement that starts mid-line (`def f(): return 1`) has no indentation to dedent.
    if first.col_offset and lines[first.lineno - 1][: first.col_offset].strip() != "":
        body = lines[first.lineno - 1][first.col_offset :] + "\n" + "\n".join(lines[first.lineno : last.end_lineno])
        body = textwrap.dedent(body)
    parts = [*moved, body]
    text = "\n".join(part.strip("\n") for part in parts if part.strip()) + "\n"
    try:
        ast.parse(f"def _():\n{textwrap.indent(text, '    ')}")
    except SyntaxError:
        return None
    return text, _param_names(function)


def _param_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    args = function.args
    names = [a.arg for a in (*args.posonlyargs, *args.args)]
    if args.vararg:
        names.append(args.vararg.arg)
    names += [a.arg for a in args.kwonlyargs]
    if args.kwarg:
        names.append(args.kwarg.arg)
    return tuple(names)


def _contains(outer: ast.AST, inner: ast.AST) -> bool:
    return any(node is inner for node in ast.walk(outer))
