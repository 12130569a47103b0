"""The warm worker: a long-lived process that judges candidates, each forked by its clean zygote.

Started once by ``Sandbox`` (``python -m ncpu.sandbox.worker``) with the harness and common stdlib
modules already imported. Before its first request it forks the zygote (``zygote.py``), which forks
every candidate in the kernel's namespaces; so a candidate costs a ``fork()`` instead of a fresh
interpreter, and what it can find in its memory never held another request. The worker talks to its
parent over stdin/stdout with length-prefixed JSON frames, writes each candidate's request straight to
that candidate's pipe, and judges its report itself (``judge.py``). Candidate code never runs here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import importlib
import os
import secrets
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from extraction.check import Check
from ncpu.config import SandboxLimits
from ncpu.sandbox import namespaces, report
from ncpu.sandbox.isolation import Isolation
from ncpu.sandbox.judge import as_judged, for_child
from ncpu.sandbox.protocol import ProtocolError, checks_from_wire, checks_to_wire, read_frame, write_frame
from ncpu.sandbox.seccomp import Filter, compile_filter
from ncpu.sandbox.watch import Outcome, ZygoteLost, settle, watch
from ncpu.sandbox.zygote import Plan, Zygote

# Imported once here so that candidates using them do not pay for the import after each fork.
_WARM_MODULES = (
    "bisect",
    "collections",
    "copy",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "fractions",
    "functools",
    "hashlib",
    "heapq",
    "itertools",
    "math",
    "operator",
    "random",
    "re",
    "statistics",
    "string",
    "typing",
)


class _ControlClosed(Exception):
    """The caller went away while a candidate was running."""


@dataclass(slots=True)
class _Spare:
    """The worker's ends of the next candidate's pipes (the zygote forked it; it waits for its request)."""

    number: int
    request_w: int
    result_r: int
    output_r: int

    def close(self) -> None:
        for fd in (self.request_w, self.result_r, self.output_r):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.request_w = self.result_r = self.output_r = -1


class Runner:
    """Runs one candidate at a time through the zygote; always keeps the next one forked and waiting."""

    def __init__(self, zygote: Zygote, control_fd: int) -> None:
        self.zygote = zygote
        self.control_fd = control_fd
        self.last: Outcome | None = None
        self.spare = self._spawn()

    def _spawn(self) -> _Spare:
        request_r, request_w = os.pipe()
        result_r, result_w = os.pipe()
        output_r, output_w = os.pipe()
        try:
            number = self.zygote.spawn((request_r, result_w, output_w))
        finally:
            for fd in (request_r, result_w, output_w):
                os.close(fd)
        return _Spare(number, request_w, result_r, output_r)

    def run(self, request: dict[str, Any], deadline: float) -> tuple[Outcome, str]:
        """Hand ``request`` (what the candidate may see) to the waiting candidate; watch it to the end."""
        if self.last is not None:  # the previous candidate's exit, then a fresh fork for this one
            self.next()
        spare, token = self.spare, secrets.token_hex(16)
        outcome = Outcome(spare.number, stopped="error")  # until watch() says otherwise
        try:
            with contextlib.suppress(BrokenPipeError):  # it died early: its exit status tells why
                write_frame(spare.request_w, {**request, "token": token})
            os.close(spare.request_w)
            spare.request_w = -1
            pipes = (spare.result_r, spare.output_r, self.control_fd)
            cap = int(request["limits"]["output_bytes"])
            accept = lambda data: report.parse(data, token) is not None  # noqa: E731
            outcome = watch(self.zygote, spare.number, pipes, deadline, cap, accept)
        finally:
            spare.close()
            self.last = outcome  # whatever happened, the next run gets a fresh candidate
        if outcome.stopped == "closed":
            raise _ControlClosed()
        return outcome, token

    def next(self) -> None:
        """Fork the next candidate (after replying: off the latency).

        A candidate killed after a clean report is not waited for (its teardown overlaps the next fork);
        one stopped by a limit is, so that a zygote that stopped answering is found out (``ZygoteLost``).
        """
        if self.last is not None:
            last, self.last = self.last, None
            self.spare = self._spawn()
            if last.stopped is not None:
                settle(self.zygote, last)


def _candidate_request(
    checks: Sequence[Check], limits: dict[str, Any], program: str, module: dict[str, Any] | None
) -> dict[str, Any]:
    """What one candidate is told: no expected outcome of a check the worker judges itself."""
    request = {"program": program, "checks": checks_to_wire([for_child(c) for c in checks]), "limits": limits}
    if isinstance(module, dict):
        request["module"] = module
    return request


def handle(request: dict[str, Any], runner: Runner, isolation: Isolation) -> dict[str, Any]:
    """Answer one ``verify`` or ``first`` request (each program in a fresh candidate, judged here)."""
    checks = [as_judged(check) for check in checks_from_wire(request["checks"])]
    programs: Sequence[str] = request["programs"]
    if isolation.mode == "refused":
        return report.failed(len(checks), isolation.refusal)
    deadline = time.monotonic() + float(request["limits"]["wall_seconds"])
    first = request["op"] == "first"
    for index, program in enumerate(programs):
        outcome, token = runner.run(
            _candidate_request(checks, request["limits"], program, request.get("module")), deadline
        )
        module = request.get("module")
        pending = [str(name) for name in module.get("pending", ())] if isinstance(module, dict) else []
        response = report.response(outcome, token, checks, request["limits"], program, pending)
        if not first:
            return response
        verdict = response.get("verdict")
        if isinstance(verdict, dict) and verdict.get("error") is None and report.passed(response, len(checks)):
            return {**response, "index": index}
        if outcome.stopped is not None:  # out of time for the whole batch, or cancelled
            break
    return {"index": None}


def serve(in_fd: int, out_fd: int, runner: Runner, isolation: Isolation) -> None:
    """Answer requests until the caller closes the channel."""
    write_frame(out_fd, {"ready": True, "isolation": isolation.to_wire()})
    while True:
        try:
            request = read_frame(in_fd)
        except ProtocolError:
            return
        if request.get("op") == "cancel":  # arrived after its candidate had already finished
            continue
        try:
            response = handle(request, runner, isolation)
        except _ControlClosed:
            return
        except ZygoteLost:
            write_frame(out_fd, {"done": True, **report.failed(len(request.get("checks", [])), report.LOST)})
            return  # the caller starts a fresh worker: a new zygote must not come from this heap
        except Exception as exc:
            response = report.failed(len(request.get("checks", [])), f"sandbox error: {type(exc).__name__}: {exc}")
        write_frame(out_fd, {"done": True, **response})
        try:
            runner.next()
        except ZygoteLost:
            return


def python_paths() -> tuple[str, ...]:
    """The Python installation candidates may read: the prefixes (stdlib) and site-packages in ``sys.path``.

    Not the other entries of ``sys.path`` (the project, an editable install's source): the worker has
    imported what candidates need from there before the zygote was forked.
    """
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.update(p for p in sys.path if p.rstrip(os.sep).endswith(("site-packages", "dist-packages")))
    return tuple(sorted(p for p in paths if os.path.isabs(p) and p != os.sep))


def _plan(refuse: frozenset[str], seccomp_filter: Filter | None) -> Plan:
    extra = [p for p in os.environ.get("NCPU_SANDBOX_READONLY", "").split(os.pathsep) if p]
    binds, links = namespaces.plan_mounts((*namespaces.SYSTEM_PATHS, *python_paths(), *extra))
    return Plan(
        allow_network=os.environ.get("NCPU_SANDBOX_NETWORK") == "1",
        binds=tuple(binds),
        links=tuple(links),
        readable=tuple(extra),
        tmp_mb=int(os.environ.get("NCPU_SANDBOX_TMP_MB", "64")),
        host_tmp=os.environ.get("NCPU_SANDBOX_HOST_TMP", "/tmp"),
        filter=seccomp_filter,
        refuse=refuse,
        hook=os.environ.get("NCPU_SANDBOX_TEST_NO_HOOK") != "1",
    )


def _start(plan: Plan) -> tuple[Zygote, Plan]:
    """The zygote, in namespaces when the kernel allows them, else without (and ``ready`` says why)."""
    zygote = Zygote.start(plan)
    failed = zygote.ready.get("failed")
    if failed:  # got part of the way: start over without namespaces
        zygote.close()
        plan = dataclasses.replace(plan, refuse=plan.refuse | {"user_ns"})
        zygote = Zygote.start(plan)
        zygote.ready["reason"] = f"the sandbox could not be set up ({str(failed)[:300]})"
    return zygote, plan


def _probe(runner: Runner) -> dict[str, Any]:
    """What a candidate sees of its own confinement (seccomp mode, no_new_privs, capabilities)."""
    limits = dataclasses.asdict(SandboxLimits(wall_seconds=10.0))
    outcome, token = runner.run({"op": "probe", "limits": limits}, time.monotonic() + 10.0)
    return report.parse(outcome.result, token) or {}


def _isolation(zygote: Zygote, plan: Plan, probe: dict[str, Any], why: str) -> Isolation:
    in_ns = zygote.ready.get("namespaces") is True
    reasons = [str(zygote.ready.get("reason", "")), why]
    return Isolation(
        user_ns=in_ns,
        mount_ns=in_ns,
        pid_ns=in_ns,
        net_ns=in_ns and not plan.allow_network,
        ipc_ns=in_ns,
        uts_ns=in_ns,
        proc=zygote.ready.get("proc") is True,
        seccomp=probe.get("seccomp") == 2,
        no_new_privs=probe.get("no_new_privs") == 1,
        no_capabilities=probe.get("capabilities") == 0,
        network_allowed=plan.allow_network,
        allow_unsafe=os.environ.get("NCPU_SANDBOX_ALLOW_UNSAFE") == "1",
        reason="; ".join(r for r in reasons if r),
    )


def _ready(plan: Plan, why: str, control_fd: int) -> tuple[Zygote, Runner, Isolation]:
    """A zygote whose candidates can be sealed as planned, else one with less (and ``reason`` says why).

    A probe candidate that cannot seal itself (a kernel that refuses the filter or a mount) steps down:
    first without the seccomp filter, then without namespaces. The worker has seen no request yet, so
    each new zygote is as clean as the first.
    """
    reasons = [why] if why else []
    while True:
        zygote, plan = _start(plan)
        runner = Runner(zygote, control_fd)
        try:
            probe = _probe(runner)
        except ZygoteLost:
            probe = {}
        last_step = {"seccomp", "user_ns"} <= plan.refuse
        if probe or last_step:
            isolation = _isolation(zygote, plan, probe, "; ".join(reasons))
            runner.next()
            return zygote, runner, isolation
        zygote.close()
        step = "seccomp" if "seccomp" not in plan.refuse else "user_ns"
        reasons.append(f"a candidate could not be sealed ({'seccomp filter' if step == 'seccomp' else 'namespaces'})")
        plan = dataclasses.replace(plan, refuse=plan.refuse | {step})


def _filter() -> tuple[Filter | None, str]:
    """The filter the caller compiled (``NCPU_SANDBOX_FILTER``), else one compiled here (needs libseccomp)."""
    program = os.environ.get("NCPU_SANDBOX_FILTER")
    if program is None:
        return compile_filter()
    if not program:
        return None, os.environ.get("NCPU_SANDBOX_FILTER_ERROR", "") or "no seccomp filter"
    try:
        return Filter(bytes.fromhex(program)), ""
    except ValueError:
        return None, "the seccomp filter was garbled on its way to the worker"


def main() -> None:
    """Warm up, start the zygote (before any request: its memory stays clean), and serve."""
    # The channel moves to bare fds; 0 and 1 become /dev/null so that stray prints cannot corrupt it.
    in_fd, out_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    refuse = frozenset(p for p in os.environ.get("NCPU_SANDBOX_TEST_REFUSE", "").split(",") if p)
    if os.environ.get("NCPU_SANDBOX_NAMESPACES") == "0":  # an escape hatch for kernels that misbehave
        refuse |= {"user_ns"}
    for name in _WARM_MODULES:
        importlib.import_module(name)
    namespaces.libc()
    seccomp_filter, why = (None, "seccomp refused for a test") if "seccomp" in refuse else _filter()
    if "filter" in refuse:  # tests: a kernel that takes no filter (an invalid program is refused with EINVAL)
        seccomp_filter = Filter(bytes(8))
    plan = _plan(refuse, seccomp_filter)
    gc.freeze()  # the warm heap is never collected in a child, so fewer copy-on-write page faults
    zygote, runner, isolation = _ready(plan, why, in_fd)
    # From here on the heap holds requests: no /proc/<pid>/mem or environ for a process without
    # CAP_SYS_PTRACE (it matters where candidates share our uid: no user namespace). Not before: the
    # zygote's helper inherits it, and an unprivileged worker must still write its id maps.
    with contextlib.suppress(AttributeError, OSError):
        namespaces.not_dumpable()
    try:
        serve(in_fd, out_fd, runner, isolation)
    finally:
        zygote.close()
    with contextlib.suppress(ChildProcessError):  # the zygote's helper, if any is left
        while os.waitpid(-1, 0)[0] > 0:
            pass


if __name__ == "__main__":
    main()
