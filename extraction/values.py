"""Recognising literal values in what the user wrote."""

from __future__ import annotations

import ast


def literal_source(text: str) -> str | None:
    """Return ``text`` cleaned up if it is a Python literal (``ast.literal_eval`` accepts it), else ``None``."""
    candidate = text.strip()
    for attempt in (candidate, candidate.rstrip(".,;")):
        if not attempt:
            continue
        try:
            ast.literal_eval(attempt)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        return attempt
    return None


_WORDS = {"true": "True", "false": "False", "none": "None", "null": "None"}
_CONSTANT_NODES = (
    ast.Expression,
    ast.Constant,
    ast.BinOp,
    ast.UnaryOp,
    ast.operator,
    ast.unaryop,
    ast.Tuple,
    ast.List,
    ast.Load,
)


def expected_source(text: str) -> str | None:
    """Like ``literal_source``, also accepting ``true``/``false``/``null`` and constant arithmetic (``19 - 5 - 6``).

    A parenthesised single value (``("Venus")``) is refused: the writer most likely meant a tuple.
    """
    candidate = text.strip().rstrip(".,;").strip()
    word = _WORDS.get(candidate.lower())
    if word is not None:
        return word
    literal = literal_source(candidate)
    if literal is not None:
        if literal.startswith("(") and not isinstance(ast.literal_eval(literal), tuple):
            return None
        return literal
    try:
        tree = ast.parse(candidate, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if all(isinstance(node, _CONSTANT_NODES) for node in ast.walk(tree)) and len(candidate) < 200:
        return candidate
    return None


def literal_call(call: str) -> bool:
    """Whether every argument of ``call`` is a literal (``f(a)`` with a bare name ``a`` is prose, not code)."""
    try:
        node = ast.parse(call, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    if not isinstance(node, ast.Call):
        return False
    try:
        for arg in [*node.args, *(kw.value for kw in node.keywords)]:
            ast.literal_eval(arg)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def is_expression(text: str) -> bool:
    """Whether ``text`` parses as one Python expression."""
    try:
        ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def call_prefix(text: str, name: str) -> str | None:
    """If ``text`` starts with a call of ``name`` (balanced parentheses), return the call text."""
    stripped = text.lstrip()
    if not stripped.startswith(name + "("):
        return None
    depth = 0
    quote: str | None = None
    for index, char in enumerate(stripped):
        if quote:
            if char == quote and stripped[index - 1] != "\\":
                quote = None
            continue
        if char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                call = stripped[: index + 1]
                return call if is_expression(call) else None
    return None
