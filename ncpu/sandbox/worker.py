"""The warm worker: a long-lived process that forks one child per candidate.

Started once by ``Sandbox`` (``python -m ncpu.sandbox.worker``) with the harness already imported, so a
candidate costs a ``fork()`` instead of a fresh interpreter. It talks to its parent over stdin/stdout
with length-prefixed JSON frames; each candidate's result comes back over a private pipe with a
random token, and anything else (garbage, a missing token, a crash) is a failed candidate.
"""

from __future__ import annotations

import os
import secrets
import select
import shutil
import signal
import sys
import tempfile
import time
from typing import Any

from ncpu.sandbox import child
from ncpu.sandbox.isolation import isolate_network
from ncpu.sandbox.protocol import ProtocolError, read_frame, verdict_to_wire, write_frame
from ncpu.sandbox.verdict import Verdict

_RESULT_LIMIT = 32 * 1024 * 1024


def _describe_exit(status: int, limits: dict[str, Any], output_size: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return f"CPU time limit exceeded ({limits['cpu_seconds']} s)"
        if sig == signal.SIGXFSZ:
            return "output or file size limit exceeded"
        return f"killed by signal {sig} ({signal.Signals(sig).name})"
    code = os.WEXITSTATUS(status)
    if code == 3:
        return f"memory limit exceeded ({limits['memory_mb']} MiB)"
    if output_size >= int(limits["file_size_mb"]) * 1024 * 1024:
        return "output limit exceeded"
    return f"exited with status {code} before reporting a result"


def _read_result(fd: int, deadline: float) -> tuple[bytes, bool]:
    """Read the child's result until EOF or the deadline; return (data, timed_out)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), True
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.5))
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks), False
        size += len(chunk)
        if size > _RESULT_LIMIT:
            return b"", False
        chunks.append(chunk)


def _reap(pid: int, grace: float) -> int:
    deadline = time.monotonic() + grace
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            _kill_group(pid)
            return os.waitpid(pid, 0)[1]
        time.sleep(0.002)


def _kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            continue


def run_request(request: dict[str, Any], out_fd: int) -> dict[str, Any]:
    """Fork a child for one request and turn whatever happens into a response."""
    import json

    limits = request["limits"]
    total = len(request["checks"])
    workdir = tempfile.mkdtemp(prefix="ncpu-candidate-")
    token = secrets.token_hex(16)
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the candidate
        os.close(read_fd)
        os.close(out_fd)
        child.run_candidate(request, workdir, write_fd, token)
    os.close(write_fd)
    write_frame(out_fd, {"started": pid})
    try:
        data, timed_out = _read_result(read_fd, started + float(limits["wall_seconds"]))
    finally:
        os.close(read_fd)
    if timed_out:
        _kill_group(pid)
    else:
        # The child may have left grandchildren in its group: they die with it.
        _kill_group(pid)
    status = _reap(pid, 1.0)
    elapsed = time.monotonic() - started
    try:
        output_size = os.path.getsize(os.path.join(workdir, ".output"))
    except OSError:
        output_size = 0
    shutil.rmtree(workdir, ignore_errors=True)
    if timed_out:
        error = f"timed out after {float(limits['wall_seconds']):g} s"
        return {"index": None, "verdict": verdict_to_wire(Verdict.failed(total, error, elapsed))}
    try:
        message = json.loads(data) if data else None
    except ValueError:
        message = None
    if not isinstance(message, dict) or message.get("token") != token:
        error = _describe_exit(status, limits, output_size)
        return {"index": None, "verdict": verdict_to_wire(Verdict.failed(total, error, elapsed))}
    message.pop("token")
    if isinstance(message.get("verdict"), dict):
        message["verdict"]["seconds"] = elapsed
    return message


def main() -> None:
    """Serve requests until stdin closes."""
    in_fd, out_fd = sys.stdin.fileno(), sys.stdout.fileno()
    # Keep the protocol channel away from anything that prints.
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    isolation = isolate_network() if os.environ.get("NCPU_SANDBOX_NETWORK") != "1" else "none: network allowed"
    write_frame(out_fd, {"ready": True, "isolation": isolation})
    while True:
        try:
            request = read_frame(in_fd)
        except ProtocolError:
            return
        try:
            response = run_request(request, out_fd)
        except Exception as exc:
            response = {
                "index": None,
                "verdict": verdict_to_wire(Verdict.failed(len(request.get("checks", [])), f"sandbox error: {exc}")),
            }
        write_frame(out_fd, {"done": True, **response})


if __name__ == "__main__":
    main()
