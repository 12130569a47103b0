"""Hint diagnostics on stubs: solvable (with N examples) or in need of an example."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from server.positions import span_to_range

if TYPE_CHECKING:
    from server.server import NcpuServer


def stub_diagnostics(ls: NcpuServer, uri: str) -> list[types.Diagnostic]:
    """One hint per stub in the document."""
    document = ls.open_document(uri)
    if document is None:
        return []
    entry = ls.documents.get(document)
    diagnostics = []
    if entry.unreadable is not None:
        start = types.Position(0, 0)
        diagnostics.append(
            types.Diagnostic(
                range=types.Range(start, start),
                message=entry.unreadable,
                severity=types.DiagnosticSeverity.Warning,
                source="ncpu",
                code="unreadable",
            )
        )
    for stub in entry.stubs:
        problem = entry.problem(stub)
        count = len(problem.checks)
        kept = ls.partials.get(uri, stub.qualified_name, problem.key)
        if kept is not None and kept.ambiguity is not None:
            diagnostics.append(
                types.Diagnostic(
                    range=span_to_range(document, stub.function_span),
                    message=(
                        f"ambiguous: the passing candidates disagree on {kept.ambiguity.question()}; "
                        "choose with Add example"
                    ),
                    severity=types.DiagnosticSeverity.Information,
                    source="ncpu",
                    code="ambiguous",
                )
            )
            continue
        if count:
            noun = "example" if count == 1 else "examples"
            message = f"stub with {count} {noun}: solvable (Solve with cascade)"
        else:
            message = f"stub without examples: add a doctest such as >>> {stub.name}(2)"
        diagnostics.append(
            types.Diagnostic(
                range=span_to_range(document, stub.function_span),
                message=message,
                severity=types.DiagnosticSeverity.Hint,
                source="ncpu",
                code="stub",
            )
        )
    return diagnostics


def publish(ls: NcpuServer, uri: str) -> None:
    """Publish the stub hints for ``uri`` (never raises: a broken file just gets none)."""
    try:
        diagnostics = stub_diagnostics(ls, uri)
    except Exception as exc:
        ls.log(f"diagnostics for {uri} failed: {exc}", types.MessageType.Warning)
        diagnostics = []
    document = ls.open_document(uri)
    if document is None:
        return
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, version=document.version, diagnostics=diagnostics)
    )


def setup(server: NcpuServer) -> None:
    """Register document lifecycle handlers that refresh the hints."""

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: NcpuServer, params: types.DidOpenTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: NcpuServer, params: types.DidChangeTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: NcpuServer, params: types.DidSaveTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: NcpuServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.documents.forget(params.text_document.uri)
        ls.partials.forget(params.text_document.uri)
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )
