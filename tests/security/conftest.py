"""The red-team suite's world: things outside the sandbox that an attack must not reach or change.

* canary files and a world-writable canary dir outside ``/tmp`` (so that only the mount namespace hides
  them) and under pytest's ``/tmp`` too, each file readable by anyone;
* a fake home with ``.ssh/id_rsa`` (mode 644: only the boundary keeps it unread);
* a secret in this process's environment;
* listeners that must receive nothing: TCP and UDP on loopback, an abstract and a path ``AF_UNIX`` socket.

Two sandboxes serve the attacks: ``bare`` without the audit hook (what the kernel holds alone) and
``shipped`` as the cascade gets it. Every attack runs through ``Sandbox.verify`` / ``first_passing``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from extraction.check import Check
from ncpu.config import SandboxLimits
from ncpu.sandbox import Sandbox, Verdict

WALL = 2.0
GOOD = "def f(x):\n    return 2 * x\n"
CHECKS = [Check("doctest", "f(2)", "4"), Check("doctest", "f(3)", "6")]


@dataclass
class World:
    """Everything an attack aims at, and how to tell that nothing was touched."""

    root: Path
    home: Path
    id_rsa: Path
    canary: Path
    drop: Path
    """A world-writable dir outside: nothing may appear in it."""
    tmp_canary: Path
    secret_name: str
    secret: str
    key: str
    tcp_port: int
    udp_port: int
    abstract: str
    unix_path: Path
    received: list[str] = field(default_factory=list)
    files: dict[Path, bytes] = field(default_factory=dict)

    def loot(self) -> tuple[str, ...]:
        """Strings that must never show up in a verdict."""
        return (self.secret, self.key, self.canary.read_text())

    def assert_untouched(self) -> None:
        for path, content in self.files.items():
            assert path.read_bytes() == content, f"{path} was changed"
        assert sorted(p.name for p in self.drop.iterdir()) == [], "something was written outside"
        assert sorted(p.name for p in self.home.iterdir()) == [".ssh"], "the fake home was changed"
        time.sleep(0.01)  # let a connection that got through reach the listener threads
        assert self.received == [], f"a listener received {self.received}"


def _listen(world: World) -> list[socket.socket]:
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind("\0" + world.abstract)
    abstract.listen(8)
    path = socket.socket(socket.AF_UNIX)
    path.bind(str(world.unix_path))
    path.listen(8)
    os.chmod(world.unix_path, 0o777)
    world.tcp_port, world.udp_port = tcp.getsockname()[1], udp.getsockname()[1]

    def serve(sock: socket.socket, name: str) -> None:
        while True:
            try:
                if sock.type == socket.SOCK_DGRAM:
                    data, _ = sock.recvfrom(4096)
                    world.received.append(f"{name}: {data[:50]!r}")
                    continue
                conn, _ = sock.accept()
                world.received.append(f"{name}: connection")
                conn.close()
            except OSError:
                return

    sockets = [tcp, udp, abstract, path]
    for sock, name in zip(sockets, ("tcp", "udp", "abstract", "unix"), strict=True):
        threading.Thread(target=serve, args=(sock, name), daemon=True).start()
    return sockets


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = Path("/var/tmp") / f"ncpu-redteam-{secrets.token_hex(4)}"
    home = root / "home" / "user"
    (home / ".ssh").mkdir(parents=True)
    drop = root / "drop"
    drop.mkdir()
    for directory in (root, root / "home", home, home / ".ssh"):
        os.chmod(directory, 0o755)
    os.chmod(drop, 0o777)
    key = "-----BEGIN OPENSSH PRIVATE KEY----- " + secrets.token_hex(16)
    tmp_canary = tmp_path_factory.mktemp("redteam") / "canary.txt"
    world = World(
        root=root,
        home=home,
        id_rsa=home / ".ssh" / "id_rsa",
        canary=root / "canary.txt",
        drop=drop,
        tmp_canary=tmp_canary,
        secret_name="NCPU_REDTEAM_SECRET",
        secret="secret-" + secrets.token_hex(12),
        key=key,
        tcp_port=0,
        udp_port=0,
        abstract=f"ncpu-redteam-{secrets.token_hex(4)}",
        unix_path=root / "service.sock",
    )
    world.id_rsa.write_text(key)
    world.canary.write_text("canary-" + secrets.token_hex(8))
    tmp_canary.write_text("tmp-canary-" + secrets.token_hex(8))
    for path in (world.id_rsa, world.canary, tmp_canary):
        os.chmod(path, 0o666)
        world.files[path] = path.read_bytes()
    sockets = _listen(world)
    os.environ[world.secret_name] = world.secret
    try:
        yield world
    finally:
        for sock in sockets:
            sock.close()
        del os.environ[world.secret_name]
        shutil.rmtree(root, ignore_errors=True)


def _box(world: World, hook: bool) -> Iterator[Sandbox]:
    assert world.secret_name in os.environ  # the secret is there before the worker starts
    previous = os.environ.get("NCPU_SANDBOX_TEST_NO_HOOK")
    if not hook:
        os.environ["NCPU_SANDBOX_TEST_NO_HOOK"] = "1"
    try:
        box = Sandbox(SandboxLimits(wall_seconds=WALL, cpu_seconds=2, memory_mb=512, output_bytes=8192))
        details = box.isolation_details
    finally:
        if previous is None:
            os.environ.pop("NCPU_SANDBOX_TEST_NO_HOOK", None)
    if details.mode != "kernel":
        box.close()
        pytest.skip(f"no kernel boundary on this machine: {details.description}")
    yield box
    box.close()


@pytest.fixture(scope="module")
def bare(world: World) -> Iterator[Sandbox]:
    """Without the audit hook: whatever is contained here, the kernel contained."""
    yield from _box(world, hook=False)


@pytest.fixture(scope="module")
def shipped(world: World) -> Iterator[Sandbox]:
    """As the cascade gets it (audit hook on)."""
    yield from _box(world, hook=True)


@pytest.fixture(params=["bare", "shipped"])
def box(request: pytest.FixtureRequest) -> Sandbox:
    """Each attack against both sandboxes."""
    return request.getfixturevalue(request.param)


def text_of(verdict: Verdict) -> str:
    """All the text a verdict carries (what a candidate could smuggle out through it)."""
    parts = [verdict.error or "", *verdict.notes]
    for result in verdict.results:
        parts += [result.actual or "", result.error or ""]
    return " | ".join(parts)


def carries_on(box: Sandbox) -> None:
    """The next verification on the same sandbox still works, and fast."""
    started = time.monotonic()
    assert box.verify(GOOD, CHECKS).ok, "the sandbox must carry on after an attack"
    assert time.monotonic() - started < 1.0, "the next verification must be fast"


def contained(
    box: Sandbox, world: World, program: str, checks: list[Check] | None = None, reasons: tuple[str, ...] = ()
) -> str:
    """Run one attack: it fails, within the wall limit, says why, leaks nothing, changes nothing outside."""
    started = time.monotonic()
    verdict = box.verify(program, checks or CHECKS)
    assert time.monotonic() - started < WALL + 3
    text = text_of(verdict)
    assert not verdict.ok, f"the attack passed: {text}"
    for loot in world.loot():
        assert loot not in text, f"loot in the verdict: {text[:300]}"
    if reasons:
        assert any(reason in text for reason in reasons), f"no clear reason ({reasons}): {text[:500]}"
    world.assert_untouched()
    carries_on(box)
    return text


def attack(body: str, world: World) -> str:
    """A program whose ``f`` runs ``body`` (indented, may use ``W``: the targets) and returns its result."""
    targets = {
        "id_rsa": str(world.id_rsa),
        "canary": str(world.canary),
        "drop": str(world.drop),
        "tmp_canary": str(world.tmp_canary),
        "home": str(world.home),
        "secret_name": world.secret_name,
        "tcp_port": world.tcp_port,
        "udp_port": world.udp_port,
        "abstract": world.abstract,
        "unix_path": str(world.unix_path),
        "test_pid": os.getpid(),
    }
    lines = "\n".join("    " + line for line in body.strip("\n").splitlines())
    return f"import os, sys\nW = {targets!r}\ndef f(x):\n{lines}\n"
