"""``textDocument/codeAction``: Solve with cascade, Solve all stubs, store hits, Add example.

After an ambiguous solve, one Add example per answer: the doctest edit, then the solve again.

Each action has a kind of its own under ``refactor.rewrite.ncpu`` and ``data`` naming what it does
(``server.contract``); editors pick actions by those, and a request's ``only`` filter is honoured.
Listing is cheap: stubs come from the per-version cache, and the store is only peeked (no model, no
sandbox).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ncpu.edit import example_insertion
from server.contract import (
    ACTION_KINDS,
    ADD_EXAMPLE_KIND,
    SOLVE_COMMAND,
    SOLVE_FILE_COMMAND,
    SOLVE_FILE_KIND,
    SOLVE_KIND,
    UNVERIFIED_KIND,
    ActionData,
    kind_requested,
    kind_text,
)
from server.edits import body_edit
from server.positions import span_to_range

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

    from extraction.stub import Stub
    from ncpu.cascade.solution import Ambiguity
    from ncpu.problem import Problem
    from server.documents import DocumentStubs
    from server.server import NcpuServer


def stub_actions(
    ls: NcpuServer, document: TextDocument, entry: DocumentStubs, lines: tuple[int, int], wanted: list[str] | None
) -> list[types.CodeAction]:
    """Solve (or the store's edit) and a kept partial body, for the stubs on ``lines`` (first, last).

    Only the kinds ``wanted`` are built (``None``: all), so a request for one kind peeks no store.
    """
    actions: list[types.CodeAction] = []
    solves = kind_requested(SOLVE_KIND, wanted)
    partials = kind_requested(UNVERIFIED_KIND, wanted)
    for stub in entry.stubs_in_lines(*lines):
        problem = entry.problem(stub)
        if solves:
            actions.append(_solve_action(ls, document, stub, problem))
        kept = ls.partials.get(document.uri, stub.qualified_name, problem.key)
        if kept is not None and kept.ambiguity is not None:
            if kind_requested(ADD_EXAMPLE_KIND, wanted):
                actions.extend(_add_example_actions(document, stub, kept.ambiguity))
            continue
        partial = kept if partials else None
        if partial is not None:
            unconfirmed = partial.status == "unconfirmed"
            passed = f"{partial.checks_passed} of {partial.checks_total} checks passed"
            actions.append(
                types.CodeAction(
                    title=(
                        f"Insert UNCONFIRMED body for {stub.name} ({passed}; no other candidate passed them)"
                        if unconfirmed
                        else f"Insert UNVERIFIED body for {stub.name} ({passed})"
                    ),
                    kind=UNVERIFIED_KIND,
                    edit=body_edit(document, stub, partial),
                    data=ActionData(
                        action="insertUnverified",
                        uri=document.uri,
                        stub=stub.qualified_name,
                        source="unconfirmed" if unconfirmed else "partial",
                        checks_passed=partial.checks_passed,
                        checks_total=partial.checks_total,
                    ).to_wire(),
                )
            )
    return actions


def _add_example_actions(document: TextDocument, stub: Stub, ambiguity: Ambiguity) -> list[types.CodeAction]:
    """One action per answer: add it to the docstring as a doctest (the edit), then solve again (the command)."""
    actions = []
    for answer in ambiguity.answers:
        found = example_insertion(document.source, stub, answer.example)
        if found is None:  # no triple-quoted docstring to add to
            continue
        span, text = found
        edit = types.TextEdit(range=span_to_range(document, span), new_text=text)
        identifier = types.OptionalVersionedTextDocumentIdentifier(uri=document.uri, version=document.version)
        plural = "s" if answer.candidates != 1 else ""
        actions.append(
            types.CodeAction(
                title=f"Add example: {ambiguity.call} → {answer.outcome} ({answer.candidates} candidate{plural})",
                kind=ADD_EXAMPLE_KIND,
                edit=types.WorkspaceEdit(
                    document_changes=[types.TextDocumentEdit(text_document=identifier, edits=[edit])]
                ),
                # Run after the edit is applied: the stub now has the example, and is solved as it is then.
                command=types.Command(
                    title="Solve with cascade", command=SOLVE_COMMAND, arguments=[document.uri, stub.qualified_name]
                ),
                data=ActionData(
                    action="addExample",
                    uri=document.uri,
                    stub=stub.qualified_name,
                    example=answer.example,
                    candidates=answer.candidates,
                ).to_wire(),
            )
        )
    return actions


def _solve_action(ls: NcpuServer, document: TextDocument, stub: Stub, problem: Problem) -> types.CodeAction:
    """The store's verified edit (preferred) if it has one, else the command that solves the stub."""
    stored = ls.engine.lookup(problem) if problem.checks else None
    if stored is not None:
        return types.CodeAction(
            title=f"Solve with cascade: {stub.name} (verified, from the store)",
            kind=SOLVE_KIND,
            edit=body_edit(document, stub, stored),
            is_preferred=True,
            data=ActionData(action="solve", uri=document.uri, stub=stub.qualified_name, source="store").to_wire(),
        )
    arguments = [document.uri, stub.qualified_name, document.version]
    return types.CodeAction(
        title=f"Solve with cascade: {stub.name}",
        kind=SOLVE_KIND,
        command=types.Command(title="Solve with cascade", command=SOLVE_COMMAND, arguments=arguments),
        data=ActionData(action="solve", uri=document.uri, stub=stub.qualified_name, source="cascade").to_wire(),
    )


def file_action(document: TextDocument, entry: DocumentStubs) -> types.CodeAction | None:
    """Solve every stub of the document, when it has one."""
    if not entry.stubs:
        return None
    return types.CodeAction(
        title=f"Solve all stubs in file ({len(entry.stubs)})",
        kind=SOLVE_FILE_KIND,
        command=types.Command(title="Solve all stubs in file", command=SOLVE_FILE_COMMAND, arguments=[document.uri]),
        data=ActionData(action="solveFile", uri=document.uri).to_wire(),
    )


def setup(server: NcpuServer) -> None:
    """Register the code-action provider."""

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=list(ACTION_KINDS)))
    def code_actions(ls: NcpuServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        document = ls.open_document(params.text_document.uri)
        if document is None:
            return None
        only = params.context.only if params.context is not None else None
        wanted = [kind_text(kind) for kind in only] if only else None
        if not any(kind_requested(kind, wanted) for kind in ACTION_KINDS):
            return None
        entry = ls.documents.get(document)
        actions = stub_actions(ls, document, entry, (params.range.start.line, params.range.end.line), wanted)
        whole = file_action(document, entry) if kind_requested(SOLVE_FILE_KIND, wanted) else None
        if whole is not None:
            actions.append(whole)
        return actions or None
