"""Soak the language server: thousands of mixed requests against one server, then its memory and latency.

A plain pygls client over stdio (loopback only, the scripted fake backend) sends edits, code actions,
hovers, store-hit solves and requests it cancels at once, a few in flight at a time, in a fixed random
order. It reports throughput, p50/p99 latency of the requests that get answers, the server process's
peak RSS and how its RSS moved after warm-up. Bounded: it stops by itself after ``--requests``.

    python benchmarks/soak.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled
from pygls.lsp.client import LanguageClient

STUB = '''def greet(name):
    """Greet someone.

    >>> greet("Ann")
    'Hello, Ann!'
    """
    pass
'''
RIGHT = "def greet(name):\n    return f'Hello, {name}!'\n"
FILLER = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n\n" for i in range(50))
MIX = (("edit", 25), ("code_action", 35), ("hover", 10), ("solve", 10), ("cancel", 15), ("closed", 5))


@dataclass
class SoakResult:
    """What one soak run measured."""

    requests: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    """Server RSS sampled after warm-up and then every tenth of the run."""
    peak_rss_kib: int = 0
    log: list[str] = field(default_factory=list)
    """What the server logged or showed (``window/logMessage``, ``window/showMessage``)."""

    @property
    def throughput(self) -> float:
        """Requests (notifications included) per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """Latency percentile in ms over answered requests."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def summary(self) -> dict[str, Any]:
        """The headline figures."""
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "throughput_per_s": round(self.throughput, 1),
            "p50_ms": round(statistics.median(self.latencies_ms), 2) if self.latencies_ms else 0.0,
            "p99_ms": round(self.percentile(0.99), 2),
            "peak_rss_mib": round(self.peak_rss_kib / 1024, 1),
            "rss_after_warmup_mib": round(self.rss_kib[0] / 1024, 1) if self.rss_kib else 0.0,
            "rss_end_mib": round(self.rss_kib[-1] / 1024, 1) if self.rss_kib else 0.0,
            "kinds": self.kinds,
            "errors": len(self.errors),
        }


def _status(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


async def _drain(stream: asyncio.StreamReader | None) -> None:
    """Read the server's stderr so a chatty log can never fill the pipe and stall it."""
    while stream is not None and await stream.read(1 << 16):
        pass


async def soak(requests: int, workdir: Path, *, seed: int = 7, in_flight: int = 8) -> SoakResult:
    """Run ``requests`` mixed requests against a fresh server; never raises for what the server answers."""
    script = workdir / "script.json"
    script.write_text(json.dumps({"greet": [RIGHT], "*": [RIGHT]}))
    path = workdir / "mod.py"
    path.write_text(STUB + "\n\n" + FILLER)
    uri = path.as_uri()
    client = LanguageClient("soak", "1")

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return types.ApplyWorkspaceEditResult(applied=True)  # the text stays a stub: later solves hit the store

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def log_message(params: types.LogMessageParams) -> None:
        result.log.append(params.message)

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: types.PublishDiagnosticsParams) -> None:
        pass

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def show_message(params: types.ShowMessageParams) -> None:
        result.log.append(params.message)

    result = SoakResult(requests=requests, seconds=0.0)
    await client.start_io(sys.executable, "-m", "server")
    server = client._server  # type: ignore[attr-defined]
    drain = asyncio.create_task(_drain(server.stderr))
    try:
        settings = {"backend": "fake", "modelPath": str(script), "storePath": str(workdir / "store")}
        await client.initialize_async(
            types.InitializeParams(capabilities=types.ClientCapabilities(), initialization_options=settings)
        )
        client.initialized(types.InitializedParams())
        text = STUB + "\n\n" + FILLER
        client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text)))
        solve = types.ExecuteCommandParams(command="ncpu.solve", arguments=[uri, "greet", 1])
        await client.workspace_execute_command_async(solve)  # the first solve fills the store
        action = types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(0, 0), types.Position(0, 0)),
            types.CodeActionContext(diagnostics=[]),
        )
        hover = types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 4))
        closed = types.CodeActionParams(
            types.TextDocumentIdentifier((workdir / "never-opened.py").as_uri()), action.range, action.context
        )
        result.rss_kib.append(_status(server.pid, "VmRSS"))
        rng = random.Random(seed)
        kinds = [kind for kind, weight in MIX for _ in range(weight)]
        plan = [rng.choice(kinds) for _ in range(requests)]
        version = [1]
        gate = asyncio.Semaphore(in_flight)

        async def one(kind: str) -> None:
            async with gate:
                started = time.perf_counter()
                try:
                    if kind == "edit":
                        version[0] += 1
                        body = STUB + f"\n# edit {version[0]}\n" + FILLER
                        change = types.TextDocumentContentChangeWholeDocument(text=body)
                        identifier = types.VersionedTextDocumentIdentifier(uri=uri, version=version[0])
                        client.text_document_did_change(types.DidChangeTextDocumentParams(identifier, [change]))
                        return
                    if kind == "code_action":
                        await client.text_document_code_action_async(action)
                    elif kind == "hover":
                        await client.text_document_hover_async(hover)
                    elif kind == "closed":
                        await client.text_document_code_action_async(closed)
                    elif kind == "solve":
                        await client.workspace_execute_command_async(solve)
                    else:  # a request cancelled as soon as it is sent
                        pending = client.protocol.send_request_async(types.TEXT_DOCUMENT_CODE_ACTION, action)
                        msg_id = next(reversed(client.protocol._request_futures))
                        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
                        with contextlib.suppress(JsonRpcRequestCancelled):
                            await pending
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)
                except (JsonRpcException, asyncio.CancelledError) as exc:
                    result.errors.append(f"{kind}: {exc!r}")
                finally:
                    result.kinds[kind] = result.kinds.get(kind, 0) + 1

        started = time.perf_counter()
        step = max(1, requests // 10)
        for start in range(0, requests, step):
            await asyncio.gather(*(one(kind) for kind in plan[start : start + step]))
            result.rss_kib.append(_status(server.pid, "VmRSS"))
        result.seconds = time.perf_counter() - started
        result.peak_rss_kib = _status(server.pid, "VmHWM")
        await client.shutdown_async(None)
        client.exit(None)
    finally:
        await client.stop()
        drain.cancel()
    return result


def main() -> None:
    """Run the soak and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ncpu-soak-") as tmp:
        result = asyncio.run(soak(args.requests, Path(tmp)))
    print(json.dumps(result.summary(), indent=2))
    if result.errors:
        print("errors:", *result.errors[:10], sep="\n  ")


if __name__ == "__main__":
    main()
