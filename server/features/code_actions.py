"""``textDocument/codeAction``: Solve with cascade, Solve all stubs, and store hits as instant edits.

Listing is cheap: stubs come from the per-version cache, and the store is only peeked (no model,
no sandbox).
"""

from __future__ import annotations

from lsprotocol import types

from server.edits import body_edit
from server.server import NcpuServer

SOLVE = "ncpu.solve"
SOLVE_FILE = "ncpu.solveFile"
KIND = types.CodeActionKind.RefactorRewrite


def setup(server: NcpuServer) -> None:
    """Register the code-action provider."""

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[KIND]))
    def code_actions(ls: NcpuServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        document = ls.open_document(params.text_document.uri)
        if document is None:
            return None
        entry = ls.documents.get(document)
        stubs = entry.stubs_in_lines(params.range.start.line, params.range.end.line)
        actions: list[types.CodeAction] = []
        for stub in stubs:
            problem = entry.problem(stub)
            stored = ls.engine.lookup(problem) if problem.checks else None
            if stored is not None:
                actions.append(
                    types.CodeAction(
                        title=f"Solve with cascade: {stub.name} (verified, from the store)",
                        kind=KIND,
                        edit=body_edit(document, stub, stored),
                        is_preferred=True,
                    )
                )
            else:
                arguments = [document.uri, stub.qualified_name, document.version]
                actions.append(
                    types.CodeAction(
                        title=f"Solve with cascade: {stub.name}",
                        kind=KIND,
                        command=types.Command(title="Solve with cascade", command=SOLVE, arguments=arguments),
                    )
                )
            partial = ls.partials.get((document.uri, stub.qualified_name))
            if partial is not None and partial.key == problem.key and partial.solution.body is not None:
                solution = partial.solution
                actions.append(
                    types.CodeAction(
                        title=(
                            f"Insert UNVERIFIED body for {stub.name} "
                            f"({solution.checks_passed} of {solution.checks_total} checks passed)"
                        ),
                        kind=KIND,
                        edit=body_edit(document, stub, solution),
                    )
                )
        if entry.stubs:
            actions.append(
                types.CodeAction(
                    title=f"Solve all stubs in file ({len(entry.stubs)})",
                    kind=KIND,
                    command=types.Command(
                        title="Solve all stubs in file", command=SOLVE_FILE, arguments=[document.uri]
                    ),
                )
            )
        return actions or None
