"""The first passing body, shown while agreement runs, and settled when the answer comes.

Once a body passes every check, the cascade samples more candidates to compare it with (agreement), which
is most of a solve's time. Meanwhile the editor shows that first body, marked ``# ncpu: checking (...)``:
the user reads it seconds earlier, and usually it is the answer. When the solve ends, the same text is
found in the document again and replaced: by the verified body with its note (the same body, most often),
or by the stub's placeholder again when the answer is ambiguous, unconfirmed, cancelled or failed (the
usual handling of those follows, on the stub as it was). A body the user has edited meanwhile is theirs:
it is left as it is, and the user is told what the answer was.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition

from extraction.stub import Stub
from ncpu.cascade.solution import Solution
from ncpu.edit import note_for, replacement
from server.positions import span_to_range

if TYPE_CHECKING:
    from server.server import NcpuServer

SYNC_SECONDS = 2.0
"""How long the settling waits for the client to report the shown body (Neovim sends its changes 150 ms
late by default); a document that does not hold it by then is taken to have been edited."""


SETTLE_TRIES = 3
"""Times the settling edit is sent: an editor refuses (VS Code) or drops (Neovim) an edit made against a
version the user has typed past, so the shown body is found again and the edit sent again."""


@dataclass(frozen=True)
class Shown:
    """A checking body in the document: the text put there, and what it replaced.

    Texts are kept with LF line ends; documents are searched with theirs made so too (an editor writes a
    CRLF file's ends into what it inserts), and line and column are the same either way.
    """

    uri: str
    name: str
    key: str
    """The problem's key when it was solved."""
    inserted: str
    original: str
    """The stub's placeholder text the body replaced (empty where the body went after the docstring)."""
    header: str
    """The function's text before the body: its signature and docstring, which the answer was verified for."""
    stub: Stub
    source: str
    """The document's text the stub was found in (the answer's body is laid out against it)."""


async def show(ls: NcpuServer, uri: str, name: str, key: str, solution: Solution) -> Shown | None:
    """Insert the checking ``solution`` in place of the stub, if the stub is still as it was solved.

    ``None`` unless the client reports the body in the document (an editor may drop an edit made against a
    version the user typed past): then nothing was shown, and the answer is inserted as usual.
    """
    document = ls.open_document(uri)
    if document is None or solution.body is None:
        return None
    entry = ls.documents.get(document)
    stub = entry.stub_named(name)
    if stub is None or entry.problem(stub).key != key:
        return None
    source = document.source
    span, text = replacement(source, stub, solution.body, note_for(solution))
    data = source.encode()
    original = _lf(data[span.start_byte : span.end_byte].decode())
    header = _lf(data[stub.function_span.start_byte : span.start_byte].decode())
    edit = types.TextEdit(range=span_to_range(document, span), new_text=text)
    if not await _apply(ls, document, edit, f"ncpu: checking {name}"):
        return None
    shown = Shown(uri, name, key, _lf(text), original, header, stub, source)
    return shown if await _holding(ls, shown) is not None else None


async def settle(ls: NcpuServer, shown: Shown, answer: Solution) -> str | None:
    """Replace the shown body with ``answer``'s (verified) or the placeholder (any other end).

    Returns what went wrong in words, or an empty string; ``None`` when the body is not in the document but
    the stub is, as it was solved (the answer is then inserted as if nothing had been shown). Only a
    verified answer keeps a body in place, and only under the signature and docstring it was verified for.
    """
    trouble = ""
    for _ in range(SETTLE_TRIES):
        held = await _holding(ls, shown)
        if held is None:
            return _lost(ls, shown, answer)
        document, start = held
        text = shown.original
        if answer.status == "verified" and answer.body is not None:
            if _lf(document.source)[:start].endswith(shown.header):
                text = _lf(replacement(shown.source, shown.stub, answer.body, note_for(answer))[1])
            else:  # the signature or docstring changed meanwhile: the body is not verified for them
                trouble = f"{shown.name} changed while checking (signature, docstring or examples): solve it again"
        edit = types.TextEdit(range=_char_range(document, start, start + len(shown.inserted)), new_text=text)
        if await _apply(ls, document, edit, f"ncpu: solve {shown.name}") and await _holding(ls, shown, withdrawn=True):
            return trouble
    return f"the editor did not take the settled body for {shown.name} ({answer.message})"


def _lost(ls: NcpuServer, shown: Shown, answer: Solution) -> str | None:
    """Why the shown body cannot be found, or ``None`` if the stub is there as solved (it never showed)."""
    document = ls.open_document(shown.uri)
    if document is None:
        return f"the document was closed while checking {shown.name}"
    entry = ls.documents.get(document)
    stub = entry.stub_named(shown.name)
    if stub is not None and entry.problem(stub).key == shown.key:
        return None
    return f"the body shown for {shown.name} was edited while checking: it is left as it is ({answer.message})"


async def _holding(ls: NcpuServer, shown: Shown, *, withdrawn: bool = False) -> tuple[TextDocument, int] | None:
    """The document once it holds the shown body exactly once, and where (``withdrawn``: no longer holds it).

    Waits up to ``SYNC_SECONDS`` for the client to report its changes.
    """
    waited_until = time.monotonic() + SYNC_SECONDS
    while True:
        document = ls.open_document(shown.uri)
        if document is None:
            return None
        place = _place(_lf(document.source), shown.inserted)
        if withdrawn and place is None:
            return document, -1
        if not withdrawn and place is not None:
            return document, place
        if time.monotonic() >= waited_until:
            return None
        await asyncio.sleep(0.05)


def _lf(text: str) -> str:
    """``text`` with LF line ends (a CRLF document's lines and columns are the same)."""
    return text.replace("\r\n", "\n")


def _place(source: str, inserted: str) -> int | None:
    """Where ``inserted`` stands in ``source`` as whole lines, if exactly once.

    A line the user changed at either end no longer matches: the text must start and end where lines do.
    """
    places = []
    start = source.find(inserted)
    while start >= 0:
        end = start + len(inserted)
        starts_line = start == 0 or source[start - 1] == "\n" or inserted.startswith("\n")
        if starts_line and (end == len(source) or source[end] in "\r\n"):
            places.append(start)
        start = source.find(inserted, start + 1)
    return places[0] if len(places) == 1 else None


async def _apply(ls: NcpuServer, document: TextDocument, edit: types.TextEdit, label: str) -> bool:
    identifier = types.OptionalVersionedTextDocumentIdentifier(uri=document.uri, version=document.version)
    change = types.TextDocumentEdit(text_document=identifier, edits=[edit])
    result = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=types.WorkspaceEdit(document_changes=[change]), label=label)
    )
    return bool(result.applied)


def _char_range(document: TextDocument, start: int, end: int) -> types.Range:
    """The LSP range of the characters ``start:end`` of the document's text with LF line ends."""
    return types.Range(_position(document, start), _position(document, end))


def _position(document: TextDocument, offset: int) -> types.Position:
    before = _lf(document.source)[:offset]
    line = before.count("\n")
    column = len(before) - (before.rfind("\n") + 1)
    return document.position_to_client_units(ServerTextPosition(line, column))
