"""Doctest examples (``>>> f(1)`` + expected output) → checks."""

from __future__ import annotations

import ast
import doctest
import re

from extraction.check import Check
from extraction.values import is_expression, literal_source

_PARSER = doctest.DocTestParser()
_FLAG_NAMES = {flag: name for name, flag in doctest.OPTIONFLAGS_BY_NAME.items()}
_PRINTERS = frozenset({"print", "pprint", "pp"})
"""Calls whose answer is what they print: ``>>> print(x)`` / ``0.866`` compares output, not a value."""


def _options(example: doctest.Example, defaults: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The flags on for this example, by name: the project's (``defaults``) and its own ``+FLAG``/``-FLAG``."""
    names = set(defaults)
    for flag, on in example.options.items():
        if flag in _FLAG_NAMES:
            (names.add if on else names.discard)(_FLAG_NAMES[flag])
    return tuple(sorted(names))


def _prints(source: str) -> bool:
    """Whether the example is a call of ``print``, ``pprint`` or a helper named like one (``_pprint``)."""
    try:
        node = ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return name in _PRINTERS or name.lstrip("_").endswith("print")


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


def _bound_names(source: str) -> set[str]:
    """Names an example binds in the session: assignments, imports, definitions, loop and ``with`` targets."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
    return names


def _reads_session(source: str, bound: set[str]) -> bool:
    """Whether an example reads a name the session bound, so it may change that object's state."""
    if not bound:
        return False
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(isinstance(node, ast.Name) and node.id in bound for node in ast.walk(tree))


def _tolerating_exception(source: str) -> str:
    """An example that raised in the user's session, replayed for its side effects only."""
    body = "\n".join("    " + line for line in source.splitlines())
    return f"try:\n{body}\nexcept BaseException:\n    pass"


def doctest_checks(docstring: str, first_line: int | None, defaults: frozenset[str] = frozenset()) -> list[Check]:
    """Every doctest example that states an expected outcome, each run after the session before it.

    As ``doctest`` runs them, the examples of one docstring share a namespace and run in order. A check
    replays, as its setup, every earlier example that can change the session's state: statements
    (``>>> inv = Inventory()``) and examples that use a name the session bound (``>>> inv.add(item)``,
    ``>>> stack.pop()`` / ``3``), an example that raised replayed under ``try``. Calls of the function
    on literals alone (``>>> f(2)`` / ``4``) change nothing and are not replayed. An expression with no
    output that uses the session (``>>> inv.add(item)``) is a check too: doctest expects it to print
    nothing. Examples marked ``# doctest: +SKIP`` are neither checked nor run. ``defaults``: the flags the
    project's pytest configuration turns on (``doctest_optionflags``).
    """
    examples = _examples(docstring)
    checks: list[Check] = []
    setup: list[str] = []
    bound: set[str] = set()
    for example in examples:
        if _options(example, defaults).count("SKIP"):
            continue
        source = example.source.strip()
        line = first_line + example.lineno if first_line is not None else None
        text = ">>> " + source.replace("\n", "\n... ") + ("\n" + example.want.rstrip() if example.want else "")
        before = tuple(setup)
        stateful = _reads_session(source, bound)
        binds = _bound_names(source)
        if binds or stateful or _is_statement_only(source):
            setup.append(_tolerating_exception(source) if example.exc_msg is not None else source)
        bound |= binds
        check = _check(example, source, before, line, text, stateful, _options(example, defaults))
        if check is not None:
            checks.append(check)
    return checks


def _check(
    example: doctest.Example,
    source: str,
    setup: tuple[str, ...],
    line: int | None,
    text: str,
    stateful: bool,
    options: tuple[str, ...],
) -> Check | None:
    """The check one example states, if it states one; ``setup`` is the session replayed before it.

    An expected traceback keeps its exception line (``ValueError: negative size``): as in ``doctest``, the
    raised exception must print the same, unless ``IGNORE_EXCEPTION_DETAIL`` (the type's name only).
    """
    if example.exc_msg is not None:
        name = example.exc_msg.split(":", 1)[0].strip().split(".")[-1]
        if is_expression(source) and name.isidentifier():
            return Check("doctest", source, example.exc_msg.strip(), "raises", setup, line, text, options=options)
        return None
    want = example.want.strip()
    if not want:
        compared = _comparison(source)
        if compared is not None:
            return Check("doctest", compared[0], compared[1], "value", setup, line, text)
        if source.startswith("assert "):
            return Check("doctest", source, None, "statement", setup, line, text)
        if stateful and is_expression(source) and not _is_statement_only(source):
            return Check("doctest", source, "", "output", setup, line, text)  # doctest expects no output
        return None
    if not is_expression(source):  # a statement that prints (``>>> for line in lines: print(line)``)
        return Check("doctest", source, example.want, "output", setup, line, text, options=options)
    compared = _comparison(source)
    if compared is not None and literal_source(want) is None and not options:
        # `>>> f(x) == y` followed by prose, not by the output "True".
        return Check("doctest", compared[0], compared[1], "value", setup, line, text)
    literal = literal_source(" ".join(want.split("\n"))) if "\n" in want else literal_source(want)
    if literal is not None and (literal == want or "\n" in want) and not options and not _prints(source):
        return Check("doctest", source, literal, "value", setup, line, text)
    return Check("doctest", source, example.want, "output", setup, line, text, options=options)
