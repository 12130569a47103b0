"""p50/p95 of textDocument/codeAction through a real LSP client over stdio.

Cases: (a) a stub with no store entry (the action carries the solve command), (b) a store hit (the
action carries the verified edit), each in a small file and in a 5,000-line file. The server runs
with the scripted fake backend: code-action listing never touches a model.

    python benchmarks/lsp_latency.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

STUB = '''def greet(name):
    """Greet someone.

    >>> greet("Ann")
    'Hello, Ann!'
    """
    pass
'''
FILLER = "def helper_{i}(x):\n    return x + {i}\n\n\n"


def _big_file(stub_first: bool) -> str:
    filler = "".join(FILLER.format(i=i) for i in range(1250))  # 5,000 lines
    return STUB + "\n\n" + filler if stub_first else filler + STUB


async def _measure(client: LanguageClient, uri: str, line: int, repeats: int, want_edit: bool) -> list[float]:
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(line, 0), types.Position(line, 0)),
        context=types.CodeActionContext(diagnostics=[]),
    )
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = await client.protocol.send_request_async(types.TEXT_DOCUMENT_CODE_ACTION, params)
        times.append((time.perf_counter() - started) * 1000)
        assert result, "no code action"
    return times


async def _after_edits(client: LanguageClient, uri: str, line: int, repeats: int) -> list[float]:
    """Each request follows a one-character edit at the end of the file, so stubs are found anew."""
    times = []
    for version in range(2, repeats + 2):
        end = types.Position(line + 5000, 0)
        change = types.TextDocumentContentChangePartial(range=types.Range(end, end), text="#" if version % 2 else "\n")
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(uri=uri, version=version), [change])
        )
        times += await _measure(client, uri, line, 1, False)
    return times


def _row(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"| {name} | {len(times)} | {statistics.median(times):.2f} | {p95:.2f} |"


async def main(repeats: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="ncpu-lsp-latency-"))
    script = work / "script.json"
    script.write_text(json.dumps({"*": ["def greet(name):\n    return f'Hello, {name}!'\n"]}))
    client = LanguageClient("latency", "1")

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return types.ApplyWorkspaceEditResult(applied=True)

    await client.start_io(sys.executable, "-m", "server")
    settings = {"backend": "fake", "modelPath": str(script), "storePath": str(work / "store")}
    await client.initialize_async(
        types.InitializeParams(capabilities=types.ClientCapabilities(), initialization_options=settings)
    )
    client.initialized(types.InitializedParams())
    documents = {}
    for name, text in (("small", STUB), ("5000 lines", _big_file(stub_first=False))):
        path = work / f"{name.replace(' ', '_')}.py"
        path.write_text(text)
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(path.as_uri(), "python", 1, text))
        )
        documents[name] = (path.as_uri(), text.splitlines().index("def greet(name):"))
    rows = []
    for name, (uri, line) in documents.items():
        await _measure(client, uri, line, 5, False)  # warm-up: parse, checks, store open
        rows.append(_row(f"no store entry, {name}", await _measure(client, uri, line, repeats, False)))
    rows.append(
        _row("after an edit (re-parse), 5000 lines", await _after_edits(client, *documents["5000 lines"], repeats))
    )
    uri, _ = documents["small"]
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="ncpu.solve", arguments=[uri, "greet", 1])
    )
    for name, (uri, line) in documents.items():
        await _measure(client, uri, line, 5, True)
        rows.append(_row(f"store hit (edit in hand), {name}", await _measure(client, uri, line, repeats, True)))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    print("| case | requests | p50 (ms) | p95 (ms) |")
    print("|---|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=200)
    asyncio.run(main(parser.parse_args().repeats))
