"""Putting a solved body into the source text, without touching anything else."""

from __future__ import annotations

import textwrap

from extraction.stub import Span, Stub


def solution_note(layer: str | None, passed: int, total: int, verified: bool) -> str:
    """Return the one-line comment that marks an inserted body."""
    if verified:
        return f"# ncpu: verified ({layer}, {passed}/{total} checks passed)"
    if total:
        return f"# ncpu: UNVERIFIED ({layer}, only {passed} of {total} checks passed)"
    return f"# ncpu: UNVERIFIED ({layer}, no checks to run)"


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
    span, text = replacement(source, stub, body, note)
    data = source.encode()
    return (data[: span.start_byte] + text.encode() + data[span.end_byte :]).decode()
