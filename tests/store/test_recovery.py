"""The store survives a lost or damaged cache, garbage in the log, and a writer killed mid-loop."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ncpu.cli.main import main
from ncpu.store import Store, StoredProgram

ROOT = Path(__file__).resolve().parents[2]


def program(key: str, body: str = "return a + b") -> StoredProgram:
    return StoredProgram(key, "add", ("a", "b"), body, f"def add(a, b):\n    {body}\n", "greedy", "m", 0.0, 1, 0.0)


def fill(store_dir: Path, count: int) -> None:
    with Store.open(store_dir) as store:
        for i in range(count):
            store.put(program(f"k{i}", f"return a + {i}"))


def test_rebuild_after_deleting_the_cache(store_dir: Path) -> None:
    fill(store_dir, 10)
    shutil.rmtree(store_dir / "cache")
    with Store.open(store_dir) as store:
        assert store.peek("k7") is not None
        assert store.rebuild() == 10
        assert store.peek("k9") is not None
        assert len(store.library(2)) == 10


def test_corrupt_cache_is_moved_aside_and_rebuilt(store_dir: Path) -> None:
    fill(store_dir, 10)
    (store_dir / "cache" / "cache.db").write_bytes(b"this is not a sqlite database" * 100)
    for name in ("cache.db-wal", "cache.db-shm"):
        (store_dir / "cache" / name).unlink(missing_ok=True)
    with Store.open(store_dir) as store:
        assert store.warnings and "unreadable" in store.warnings[0]
        assert store.stats().programs == 10
        assert store.get("k3") is not None
    assert list(store_dir.glob("cache.corrupt-*"))
    with Store.open(store_dir) as store:  # repaired for good: no warning the second time
        assert store.warnings == []
        assert store.stats().programs == 10


def test_truncated_cache_file_is_recovered(store_dir: Path) -> None:
    fill(store_dir, 50)
    with Store.open(store_dir):
        pass
    db = store_dir / "cache" / "cache.db"
    with open(db, "r+b") as handle:
        handle.truncate(db.stat().st_size // 3)
    with Store.open(store_dir) as store:
        assert store.warnings
        assert store.stats().programs == 50
        assert store.peek("k49") is not None


def test_corrupt_and_truncated_log_lines_are_skipped_and_counted(store_dir: Path) -> None:
    fill(store_dir, 3)
    log = store_dir / "solved_programs.jsonl"
    with open(log, "ab") as handle:
        handle.write(b"not json at all\n[1, 2]\n\n")
        handle.write(b'{"type": "program", "key": "half"}\n')  # JSON, but not a readable program
        handle.write(b'{"type": "program", "key": "k9", "entry_p')  # a writer died mid-line
    shutil.rmtree(store_dir / "cache")
    with Store.open(store_dir) as store:
        assert store.stats().programs == 3
        assert store.stats().corrupt_lines == 4
        assert store.put(program("k4"))  # appends after the remnant, on a line of its own
        assert store.stats().corrupt_lines == 4
    shutil.rmtree(store_dir / "cache")
    with Store.open(store_dir) as store:  # a full re-read counts the same lines once
        assert store.stats().programs == 4
        assert store.stats().corrupt_lines == 4
        assert store.peek("k4") is not None


WRITER = """
import sys, time
from pathlib import Path
from ncpu.store import Store, StoredProgram

with Store.open(Path(sys.argv[1])) as store:
    i = 0
    while True:
        body = "return a + " + str(i) + "  # " + "x" * 2000
        store.put(StoredProgram(f"w{i}", "add", ("a", "b"), body, body, "greedy", "m", 0.0, 1, time.time()))
        print(f"ack w{i}", flush=True)
        i += 1
"""


def test_kill_9_mid_loop_loses_nothing_acknowledged(store_dir: Path) -> None:
    store_dir.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(store_dir)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env
    )
    assert writer.stdout is not None
    acknowledged: list[str] = []
    deadline = time.monotonic() + 20
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        line = writer.stdout.readline()
        if not line:
            break
        acknowledged.append(line.split()[1])
    writer.send_signal(signal.SIGKILL)
    acknowledged += [line.split()[1] for line in writer.stdout.read().splitlines() if line.startswith("ack ")]
    writer.wait()
    assert len(acknowledged) >= 40
    with Store.open(store_dir) as store:
        assert all("unreadable line" in warning for warning in store.warnings)  # at most the cut-off line
        missing = [key for key in acknowledged if store.peek(key) is None]
        assert missing == []
        stats = store.stats()
        assert stats.programs >= len(acknowledged)
        assert stats.corrupt_lines <= 1
        assert store.put(program("after"))
        programs = store.stats().programs
    shutil.rmtree(store_dir / "cache.corrupt-none", ignore_errors=True)
    assert main(["store", "rebuild", "--store", str(store_dir)]) == 0  # the CLI restores the cache from the log
    with Store.open(store_dir) as store:
        assert store.stats().programs == programs
        assert all(store.peek(key) is not None for key in acknowledged)


REBUILDER = """
import sys
from pathlib import Path
from ncpu.store import Store

with Store.open(Path(sys.argv[1])) as store:
    print("ready", flush=True)
    while True:
        store.rebuild()
"""


def test_kill_9_during_rebuild_leaves_a_readable_store(store_dir: Path) -> None:
    fill(store_dir, 150)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for delay in (0.05, 0.3):
        rebuilder = subprocess.Popen(
            [sys.executable, "-c", REBUILDER, str(store_dir)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env
        )
        assert rebuilder.stdout is not None and rebuilder.stdout.readline() == "ready\n"
        time.sleep(delay)
        rebuilder.send_signal(signal.SIGKILL)
        rebuilder.wait()
        with Store.open(store_dir) as store:  # whatever state the cache was left in, it answers in full
            assert store.stats().programs == 150
            assert store.peek("k149") is not None and len(store.library(2)) == 150


@pytest.mark.parametrize("damage", ["file-instead-of-dir", "empty-db", "garbage-files", "unreadable-log-lines"])
def test_damage_is_detected_reported_and_repaired_once(store_dir: Path, damage: str) -> None:
    fill(store_dir, 5)
    cache = store_dir / "cache"
    if damage == "file-instead-of-dir":
        shutil.rmtree(cache)
        cache.write_bytes(b"\x00" * 100)
    elif damage == "empty-db":
        for path in cache.iterdir():
            path.unlink() if path.is_file() else shutil.rmtree(path)
        (cache / "cache.db").write_bytes(b"")
    elif damage == "garbage-files":
        (cache / "cache.db").write_bytes(os.urandom(4096))
        (cache / "cache.db-wal").write_bytes(os.urandom(4096))
    else:
        with open(store_dir / "solved_programs.jsonl", "ab") as handle:
            handle.write(b"\xff\xfe not text\n{broken\n")
    for attempt in range(3):  # repaired on the first open; later opens find nothing to report
        with Store.open(store_dir) as store:
            assert store.stats().programs == 5 + attempt
            assert store.peek("k4") is not None
            # An empty cache.db is a valid empty database: silently refilled from the log.
            assert bool(store.warnings) == (attempt == 0 and damage != "empty-db"), store.warnings
            assert store.put(program(f"new{attempt}"))
