"""Hover over a stub: the checks extracted from what the user wrote."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from server.server import NcpuServer


MAX_SHOWN = 12


def setup(server: NcpuServer) -> None:
    """Register the hover handler."""

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: NcpuServer, params: types.HoverParams) -> types.Hover | None:
        document = ls.open_document(params.text_document.uri)
        if document is None:
            return None
        entry = ls.documents.get(document)
        line = params.position.line
        stub = next((s for s in entry.stubs_in_lines(line, line)), None)
        if stub is None:
            return None
        checks = entry.problem(stub).checks
        if not checks:
            text = f"**ncpu**: `{stub.name}` is a stub without examples: add a doctest such as `>>> {stub.name}(2)`."
        else:
            lines = [f"**ncpu**: `{stub.qualified_name}` has {len(checks)} checks:", ""]
            for check in checks[:MAX_SHOWN]:
                lines.append(f"- *{check.origin}*: `{check.describe().replace(chr(10), ' ⏎ ')}`")
            if len(checks) > MAX_SHOWN:
                lines.append(f"- … and {len(checks) - MAX_SHOWN} more")
            text = "\n".join(lines)
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))
