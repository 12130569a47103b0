"""Doctest examples (``>>> f(1)`` + expected output) → checks."""

from __future__ import annotations

import ast
import doctest

from extraction.check import Check
from extraction.values import is_expression, literal_source

_PARSER = doctest.DocTestParser()


def _is_statement_only(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return not (len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr))


def doctest_checks(docstring: str, first_line: int | None) -> list[Check]:
    """Every doctest example that states an expected outcome; earlier statements become setup."""
    try:
        examples = _PARSER.get_examples(docstring)
    except ValueError:
        return []
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
            if source.startswith("assert "):
                checks.append(Check("doctest", source, None, "statement", tuple(setup), line, text))
            elif _is_statement_only(source) or not is_expression(source):
                setup.append(source)
            continue
        if not is_expression(source):
            continue
        literal = literal_source(want) if "\n" not in want else None
        if literal is not None and literal == want:
            checks.append(Check("doctest", source, literal, "value", tuple(setup), line, text))
        else:
            checks.append(Check("doctest", source, example.want, "output", tuple(setup), line, text))
    return checks
