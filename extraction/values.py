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
