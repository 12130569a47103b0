"""Doctest examples (``>>> f(1)`` + expected output) → checks."""

from __future__ import annotations

import ast
import doctest
import re

from extraction.check import Check
from extraction.values import is_expression, literal_source

_PARSER = doctest.DocTestParser()


def _examples(docstring: str) -> list[doctest.Example]:
    """All examples; when one is malformed, the others still count (each chunk parsed on its own)."""
    try:
        return _PARSER.get_examples(docstring)
    except ValueError:
        pass
    examples: list[doctest.Example] = []
    offset = 0
    for chunk in re.split(r"\n(?=[ \t]*>>>)", docstring):
        try:
            found = _PARSER.get_examples(chunk)
        except ValueError:
            found = []
        for example in found:
            example.lineno += offset
            examples.append(example)
        offset += chunk.count("\n") + 1
    return examples


def _is_statement_only(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return not (len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr))


def _comparison(source: str) -> tuple[str, str] | None:
    """``f(x) == y`` written as a doctest line with no output: the writer means "this is true"."""
    try:
        node = ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.Eq)
        and isinstance(node.left, ast.Call)
    ):
        expected = ast.get_source_segment(source, node.comparators[0])
        call = ast.get_source_segment(source, node.left)
        if expected is not None and call is not None and literal_source(expected) is not None:
            return call, literal_source(expected) or expected
    return None


def doctest_checks(docstring: str, first_line: int | None) -> list[Check]:
    """Every doctest example that states an expected outcome; earlier statements become setup."""
    examples = _examples(docstring)
    checks: list[Check] = []
    setup: list[str] = []
    for example in examples:
        source = example.source.strip()
        line = first_line + example.lineno if first_line is not None else None
        text = ">>> " + source.replace("\n", "\n... ") + ("\n" + example.want.rstrip() if example.want else "")
        if example.exc_msg is not None:
            name = example.exc_msg.split(":", 1)[0].strip().split(".")[-1]
            if is_expression(source) and name.isidentifier():
                checks.append(Check("doctest", source, name, "raises", tuple(setup), line, text))
            continue
        want = example.want.strip()
        if not want:
            compared = _comparison(source)
            if compared is not None:
                checks.append(Check("doctest", compared[0], compared[1], "value", tuple(setup), line, text))
            elif source.startswith("assert "):
                checks.append(Check("doctest", source, None, "statement", tuple(setup), line, text))
            elif _is_statement_only(source) or not is_expression(source):
                setup.append(source)
            continue
        if not is_expression(source):
            continue
        compared = _comparison(source)
        if compared is not None and literal_source(want) is None:
            # `>>> f(x) == y` followed by prose, not by the output "True".
            checks.append(Check("doctest", compared[0], compared[1], "value", tuple(setup), line, text))
            continue
        literal = literal_source(" ".join(want.split("\n"))) if "\n" in want else literal_source(want)
        if literal is not None and (literal == want or "\n" in want):
            checks.append(Check("doctest", source, literal, "value", tuple(setup), line, text))
        else:
            checks.append(Check("doctest", source, example.want, "output", tuple(setup), line, text))
    return checks
