"""Putting a solved body into the source text, without touching anything else."""

from __future__ import annotations

import textwrap

from extraction.stub import Span, Stub
from ncpu.cascade.solution import Solution


def solution_note(layer: str | None, passed: int, total: int, verified: bool, agreement: str = "") -> str:
    """Return the one-line comment that marks an inserted body (with how the passing bodies agreed)."""
    if verified:
        agreed = f"; {agreement}" if agreement else ""
        return f"# ncpu: verified ({layer}, {passed}/{total} checks passed{agreed})"
    if total:
        return f"# ncpu: UNVERIFIED ({layer}, only {passed} of {total} checks passed)"
    return f"# ncpu: UNVERIFIED ({layer}, no checks to run)"


def note_for(solution: Solution) -> str:
    """The comment that marks ``solution``'s body: verified and why, checking, ambiguous, unconfirmed, or not."""
    if solution.status == "ambiguous" and solution.ambiguity is not None:
        return (
            f"# ncpu: AMBIGUOUS ({solution.layer}, {solution.checks_passed}/{solution.checks_total} checks passed; "
            f"the passing candidates disagree on {solution.ambiguity.call})"
        )
    if solution.status == "checking":
        return (
            f"# ncpu: checking ({solution.layer}, {solution.checks_passed}/{solution.checks_total} checks passed; "
            "comparing it with more candidates)"
        )
    if solution.status == "unconfirmed":
        return (
            f"# ncpu: UNCONFIRMED ({solution.layer}, {solution.checks_passed}/{solution.checks_total} checks passed; "
            "no other candidate passed them)"
        )
    return solution_note(
        solution.layer, solution.checks_passed, solution.checks_total, solution.verified, solution.agreement
    )


def render_body(stub: Stub, body: str, note: str | None = None) -> str:
    """Indent ``body`` (dedented text) for the stub and prefix the note; the result ends with a newline."""
    lines = textwrap.dedent(body).strip("\n").splitlines()
    if note:
        lines.insert(0, note)
    indented = [stub.indent + line if line.strip() else "" for line in lines]
    return "\n".join(indented) + "\n"


def replacement(source: str, stub: Stub, body: str, note: str | None = None) -> tuple[Span, str]:
    """Return the span to replace and the text to put there.

    The replacement starts at the beginning of the line after the docstring (or of the first
    placeholder statement's line) so the inserted block keeps the stub's indentation exactly.
    """
    data = source.encode()
    span = stub.replace_span
    start = span.start_byte
    if span.start_byte == span.end_byte:
        # Body is only a docstring: insert on a new line after it.
        text = "\n" + render_body(stub, body, note).rstrip("\n")
        return Span(start, start, span.start_point, span.start_point), text
    line_start = data.rfind(b"\n", 0, start) + 1
    if data[line_start:start].strip():
        # Placeholder shares a line with other code (`def f(): pass`): keep it on that line's end.
        text = "\n" + render_body(stub, body, note).rstrip("\n")
        return span, text
    new_span = Span(line_start, span.end_byte, (span.start_point[0], 0), span.end_point)
    return new_span, render_body(stub, body, note).rstrip("\n")


def splice(source: str, stub: Stub, body: str, note: str | None = None) -> str:
    """Return ``source`` with the stub's placeholder replaced by ``body``."""
    return _spliced(source, *replacement(source, stub, body, note))


def _spliced(source: str, span: Span, text: str) -> str:
    """``source`` with the bytes of ``span`` replaced by ``text``."""
    data = source.encode()
    return (data[: span.start_byte] + text.encode() + data[span.end_byte :]).decode()


def example_insertion(source: str, stub: Stub, example: str) -> tuple[Span, str] | None:
    """Where and what to insert so that the stub's docstring ends with the doctest ``example``.

    ``example`` is the doctest's lines (``>>> f([])`` then its expected output). They go before the closing
    quotes, at the docstring's indentation; backslashes are doubled unless the docstring is raw, so the
    docstring's value holds the example as written. ``None`` when the stub has no triple-quoted docstring.
    """
    span = stub.docstring_span
    if span is None:
        return None
    data = source.encode()
    literal = data[span.start_byte : span.end_byte].decode(errors="replace")
    prefix = literal[: len(literal) - len(literal.lstrip("rRuUbBfF"))]
    quotes = literal[len(prefix) : len(prefix) + 3]
    if quotes not in ('"""', "'''") or not literal.endswith(quotes) or len(literal) < len(prefix) + 6:
        return None
    if "r" not in prefix.lower():
        example = example.replace("\\", "\\\\")
    if quotes in example:
        return None
    closing = span.end_byte - 3
    line_start = data.rfind(b"\n", 0, closing) + 1
    indent = stub.indent
    lines = "".join(indent + line + "\n" if line.strip() else "\n" for line in example.splitlines())
    if not data[line_start:closing].strip():  # the closing quotes on a line of their own: insert above it
        at = line_start
        text = lines
    else:  # one line, or text right before the quotes: break the line first
        at = closing
        text = "\n\n" + lines + indent
    return Span(at, at, _point(data, at), _point(data, at)), text


def _point(data: bytes, offset: int) -> tuple[int, int]:
    """The 0-based (line, byte column) of ``offset`` in ``data``."""
    line = data.count(b"\n", 0, offset)
    return line, offset - (data.rfind(b"\n", 0, offset) + 1)


def add_example(source: str, stub: Stub, example: str) -> str | None:
    """``source`` with ``example`` added at the end of the stub's docstring (``None``: it has no place for it)."""
    found = example_insertion(source, stub, example)
    return None if found is None else _spliced(source, *found)
