"""``ncpu.solve`` and ``ncpu.solveFile``: the cascade off the event loop, with progress and cancellation.

The engine runs in a worker thread with its own ``CancelToken``: ``$/cancelRequest`` of the command
(``ncpu.solve`` and ``ncpu.solveFile`` alike) and ``window/workDoneProgress/cancel`` both set it. Each
layer and step goes out twice: as ``$/progress`` text and as the structured ``ncpu/status``. When the
solve ends, the stub is looked up again in the document's current text, so edits made meanwhile are
kept: the body lands where the stub is now, or not at all. The first passing body may already be in the
document, marked "checking", while agreement runs (``server.first_pass``); the answer then settles it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ncpu.cancel import Cancelled, CancelToken
from ncpu.cascade.solution import Ambiguity, LayerEvent, Solution
from server import first_pass
from server.contract import SOLVE_COMMAND, SOLVE_FILE_COMMAND, AmbiguityWire, AnswerWire, SolveSummary
from server.edits import body_edit
from server.features.diagnostics import publish

if TYPE_CHECKING:
    from ncpu.problem import Problem
    from server.server import NcpuServer


class _Progress:
    """One work-done progress, created if the client supports it; ``end`` always runs."""

    def __init__(self, ls: NcpuServer, title: str, cancel: CancelToken) -> None:
        self.ls = ls
        self.title = title
        self.cancel = cancel
        self.token: str | None = None
        self.loop = asyncio.get_running_loop()

    async def __aenter__(self) -> _Progress:
        window = self.ls.client_capabilities.window
        if window is None or not window.work_done_progress:
            return self
        token = f"ncpu-{uuid.uuid4().hex}"
        try:
            await self.ls.work_done_progress.create_async(token)
        except Exception:
            return self
        self.token = token
        self.ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=self.title, cancellable=True))
        future = self.ls.work_done_progress.tokens.get(token)
        if future is not None:
            future.add_done_callback(lambda f: self.cancel.cancel() if f.cancelled() else None)
        return self

    def report(self, message: str) -> None:
        """Report from any thread."""
        if self.token is not None:
            report = types.WorkDoneProgressReport(message=message, cancellable=True)
            self.loop.call_soon_threadsafe(self.ls.work_done_progress.report, self.token, report)

    async def __aexit__(self, *exc: object) -> None:
        if self.token is not None:
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message="done"))
            self.ls.work_done_progress.tokens.pop(self.token, None)


async def _run_engine(
    ls: NcpuServer,
    problem: Problem,
    cancel: CancelToken,
    report: Callable[[str], None],
    on_first_pass: Callable[[Solution], None] | None = None,
) -> Solution:
    """Solve in a worker thread, reporting each event as progress text and as ``ncpu/status``."""
    loop = asyncio.get_running_loop()
    solve_id = ls.status.begin(problem.stub.qualified_name)
    error: str | None = None

    def on_event(event: LayerEvent) -> None:
        report(event.message)
        ls.status.event(solve_id, event)
        if event.warning:  # the model process crashed: a message the user sees, not only a progress line
            loop.call_soon_threadsafe(ls.tell, f"ncpu: {event.message}", types.MessageType.Warning)

    try:
        engine = ls.engine
        solution = await asyncio.to_thread(
            engine.solve, problem, cancel=cancel, on_event=on_event, on_first_pass=on_first_pass
        )
        if solution.status == "failed" and engine.model_state.startswith("error"):
            error = solution.message  # the model could not be had: the editor shows an error until fixed
        return solution
    except asyncio.CancelledError:
        cancel.cancel()
        raise
    except Cancelled:
        return Solution(status="cancelled", key=problem.key, message="cancelled")
    except Exception as exc:
        error = str(exc)
        raise
    finally:
        ls.status.end(solve_id, error)


async def _apply(ls: NcpuServer, uri: str, name: str, key: str, solution: Solution) -> str:
    """Insert a verified body into the document as it is now; return what happened."""
    document = ls.open_document(uri)
    if document is None:
        return f"the document was closed while solving {name}: nothing inserted"
    entry = ls.documents.get(document)
    stub = entry.stub_named(name)
    if stub is None:
        return f"{name} is no longer a stub (edited or removed while solving): nothing inserted"
    if entry.problem(stub).key != key:
        return f"{name} changed while solving (signature, docstring or examples): solve it again"
    result = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=body_edit(document, stub, solution), label=f"ncpu: solve {name}")
    )
    if not result.applied:
        return f"the editor refused the edit for {name}: {result.failure_reason or 'no reason given'}"
    return ""


class _FirstPass:
    """The first passing body of one solve, shown while agreement runs (``server.first_pass``), if enabled.

    ``settle`` is called once, when the solve ends however it ends; a body the worker hands over after that
    (a cancelled solve still running) is not shown, so none is left marked "checking".
    """

    def __init__(self, ls: NcpuServer, uri: str, name: str, key: str) -> None:
        self.ls = ls
        self.uri = uri
        self.name = name
        self.key = key
        self.loop = asyncio.get_running_loop()
        self.showing: concurrent.futures.Future[first_pass.Shown | None] | None = None
        self.settled = False
        self.lock = threading.Lock()
        self.callback = self._show if ls.config.show_first_pass else None
        """For ``Engine.solve``'s ``on_first_pass`` (called from the worker thread)."""

    def _show(self, checking: Solution) -> None:
        with self.lock:
            if self.settled or self.loop.is_closed():
                return
            self.showing = asyncio.run_coroutine_threadsafe(
                first_pass.show(self.ls, self.uri, self.name, self.key, checking), self.loop
            )

    async def settle(self, answer: Solution) -> str | None:
        """Settle what was shown: what went wrong, or an empty string; ``None`` if nothing reached the document."""
        with self.lock:
            self.settled, showing = True, self.showing
        if showing is None:
            return None
        try:
            shown = await asyncio.wrap_future(showing)
        except Exception as exc:  # the edit could not be sent: nothing is in the document
            self.ls.log(f"{self.name}: the first passing body was not shown: {exc}", types.MessageType.Warning)
            return None
        if shown is None:
            return None
        try:
            return await first_pass.settle(self.ls, shown, answer)
        except Exception as exc:  # the client went away mid-edit, say: the solve's answer still stands
            self.ls.log(f"{self.name}: the body shown while checking was not settled: {exc}", types.MessageType.Warning)
            return f"the body shown for {self.name} could not be settled ({exc})"


def _cancel_on_request_cancel(ls: NcpuServer) -> CancelToken:
    """A token set when the client cancels the ``workspace/executeCommand`` request being served."""
    cancel = CancelToken()
    ls.protocol.on_cancel(cancel.cancel)
    return cancel


async def solve_stub(
    ls: NcpuServer,
    uri: str,
    name: str,
    progress: _Progress | None = None,
    cancel: CancelToken | None = None,
) -> SolveSummary:
    """Solve one stub and apply a verified body; return a summary for the caller."""
    document = ls.open_document(uri)
    if document is None:
        ls.tell(f"ncpu: {uri} is not open in the editor; open it to solve {name}", types.MessageType.Warning)
        return {"status": "not_open", "message": "the document is not open"}
    entry = ls.documents.get(document)
    stub = entry.stub_named(name)
    if stub is None:
        ls.tell(f"ncpu: no stub named {name} in this file", types.MessageType.Warning)
        return {"status": "no_stub", "message": f"no stub named {name}"}
    problem = entry.problem(stub)
    if cancel is None:
        cancel = progress.cancel if progress is not None else CancelToken()
    shown = _FirstPass(ls, uri, name, problem.key)
    ls.last_solve = time.monotonic()
    try:
        if progress is None:
            async with _Progress(ls, f"ncpu: solving {stub.name}", cancel) as own:
                solution = await _run_engine(ls, problem, cancel, own.report, shown.callback)
        else:
            solution = await _run_engine(
                ls, problem, cancel, lambda m: progress.report(f"{stub.name}: {m}"), shown.callback
            )
    except (
        asyncio.CancelledError,
        Exception,
    ):  # the request was cancelled, or the engine failed: a shown body goes back
        await shown.settle(Solution(status="cancelled", key=problem.key, message="cancelled"))
        raise
    ls.last_solve = time.monotonic()
    summary: SolveSummary = {"status": solution.status, "layer": solution.layer, "message": solution.message}
    if solution.evidence:
        summary["evidence"] = solution.evidence
    if solution.ambiguity is not None:
        summary["ambiguity"] = ambiguity_wire(solution.ambiguity)
    settled = await shown.settle(solution)
    if settled is not None:  # the first passing body was shown: it is now the answer's, or the stub again
        if settled:
            ls.tell(f"ncpu: {settled}", types.MessageType.Warning)
            if solution.verified:
                summary["status"], summary["message"] = "not_applied", settled
        if solution.verified:
            ls.log(f"{name}: {solution.message} ({solution.samples} samples, {solution.seconds:.1f} s)")
            return summary
    if solution.status in ("verified", "unverified") and solution.body is not None:
        problem_now = await _apply(ls, uri, name, problem.key, solution)
        if problem_now:
            ls.tell(f"ncpu: {problem_now}", types.MessageType.Warning)
            summary["status"], summary["message"] = "not_applied", problem_now
        else:
            ls.log(f"{name}: {solution.message} ({solution.samples} samples, {solution.seconds:.1f} s)")
    elif solution.status == "partial":
        ls.partials.keep(uri, name, problem.key, solution)
        ls.tell(f"ncpu: {name}: {solution.message}; an unverified body is offered as a separate action")
    elif solution.status == "unconfirmed":
        ls.partials.keep(uri, name, problem.key, solution)
        ls.tell(
            f"ncpu: {name}: {solution.message}; it is offered as a separate action "
            "(an example of a case the docstring leaves open would settle it)"
        )
    elif solution.ambiguity is not None:
        # Nothing is inserted: the user picks the behaviour meant ("Add example"), and the solve runs again.
        ls.partials.keep(uri, name, problem.key, solution)
        publish(ls, uri)
        ls.tell(
            f"ncpu: {name}: the passing candidates disagree on {solution.ambiguity.question()}; "
            'choose the answer you mean with an "Add example" code action'
        )
    elif solution.status != "cancelled":
        ls.tell(f"ncpu: {name}: {solution.message}", types.MessageType.Warning)
    return summary


def ambiguity_wire(ambiguity: Ambiguity) -> AmbiguityWire:
    """``SolveSummary.ambiguity``."""
    answers: list[AnswerWire] = [
        {"outcome": a.outcome, "candidates": a.candidates, "example": a.example} for a in ambiguity.answers
    ]
    return {"call": ambiguity.call, "question": ambiguity.question(), "answers": answers}


def setup(server: NcpuServer) -> None:
    """Register the commands.

    pygls reads a command handler's annotations at run time to structure its arguments, and the server's
    class is imported for type checking only: the handlers take the arguments alone and use ``server``.
    """
    ls = server

    @server.command(SOLVE_COMMAND)
    async def solve(*args: Any) -> SolveSummary:
        if len(args) < 2 or not isinstance(args[0], str) or not isinstance(args[1], str):
            ls.tell("ncpu.solve expects [uri, function name, version?]", types.MessageType.Error)
            return {"status": "bad_arguments"}
        cancel = _cancel_on_request_cancel(ls)
        try:
            return await solve_stub(ls, args[0], args[1], cancel=cancel)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            ls.tell(f"ncpu: solving {args[1]} failed: {exc}", types.MessageType.Error)
            return {"status": "error", "message": str(exc)}

    @server.command(SOLVE_FILE_COMMAND)
    async def solve_file(*args: Any) -> dict[str, SolveSummary] | SolveSummary:
        if not args or not isinstance(args[0], str):
            ls.tell("ncpu.solveFile expects [uri]", types.MessageType.Error)
            return {"status": "bad_arguments"}
        uri = args[0]
        document = ls.open_document(uri)
        if document is None:
            ls.tell(f"ncpu: {uri} is not open in the editor", types.MessageType.Warning)
            return {"status": "not_open"}
        names = [s.qualified_name for s in ls.documents.get(document).stubs]
        results: dict[str, SolveSummary] = {}
        cancel = _cancel_on_request_cancel(ls)  # $/cancelRequest stops the file's solves, as for ncpu.solve
        try:
            async with _Progress(ls, f"ncpu: solving {len(names)} stubs", cancel) as progress:
                for name in names:
                    if cancel.cancelled:
                        break
                    results[name] = await solve_stub(ls, uri, name, progress)
        except Exception as exc:
            ls.tell(f"ncpu: solving the file failed: {exc}", types.MessageType.Error)
        return results
