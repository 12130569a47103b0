"""Two processes sharing one store see each other's facts, without duplicates."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from ncpu.store import Store, StoredProgram


def program(key: str, body: str) -> StoredProgram:
    return StoredProgram(key, "f", ("a",), body, f"def f(a):\n    {body}\n", "greedy", "m", 0.0, 1, 0.0)


def write_many(root: str, name: str, count: int, shared: int) -> None:
    with Store.open(Path(root)) as store:
        for i in range(count):
            store.put(program(f"{name}-{i}", f"return a + {i}  # {name}"))
            if i < shared:  # both writers solve these: the store must keep one fact each
                store.put(program(f"shared-{i}", f"return a * {i}"))


def test_two_processes_write_concurrently(store_dir: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with Store.open(store_dir) as store:  # create it first; also a live reader while the others write
        workers = [context.Process(target=write_many, args=(str(store_dir), name, 200, 20)) for name in ("p1", "p2")]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
            assert worker.exitcode == 0
        assert store.stats().programs == 420  # seen live, through the log tail
        assert store.peek("p2-199") is not None
    facts = [json.loads(line) for line in (store_dir / "solved_programs.jsonl").read_text().splitlines()]
    keys = [fact["key"] for fact in facts if fact["type"] == "program"]
    assert len(keys) == len(set(keys)) == 420
    with Store.open(store_dir) as fresh:
        assert fresh.stats().programs == 420
        assert all(fresh.peek(f"{name}-{i}") is not None for name in ("p1", "p2") for i in range(200))
        assert len(fresh.library(1, limit=1000)) == 420
        assert fresh.rebuild() == 420


def serve_like(root: str, count: int) -> None:
    """What the language server does: look up, miss, solve, store, record the attempt; sometimes from two threads."""
    import threading

    from ncpu.store import Attempt

    with Store.open(Path(root)) as store:

        def work(offset: int) -> None:
            for i in range(offset, count, 2):
                if store.get(f"mixed-{i}") is None:
                    store.put(program(f"mixed-{i}", f"return a + {i}  # mixed"))  # the body the batch finds
                store.record_attempt(Attempt("greedy", "m", 0.2, 1, 10, 0.01, True))

        threads = [threading.Thread(target=work, args=(offset,)) for offset in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def test_a_server_and_a_batch_run_share_one_store(store_dir: Path) -> None:
    context = multiprocessing.get_context("spawn")
    Store.open(store_dir).close()
    server = context.Process(target=serve_like, args=(str(store_dir), 150))
    batch = context.Process(target=write_many, args=(str(store_dir), "batch", 150, 0))
    for process in (server, batch):
        process.start()
    write_many(str(store_dir), "mixed", 150, 0)  # the same keys as the server, from a third process
    for process in (server, batch):
        process.join(60)
        assert process.exitcode == 0
    facts = [json.loads(line) for line in (store_dir / "solved_programs.jsonl").read_text().splitlines()]
    keys = [fact["key"] for fact in facts if fact["type"] == "program"]
    assert sorted(set(keys)) == sorted(keys), "a key solved by two processes is stored once"
    assert len(keys) == 300
    assert sum(fact["type"] == "attempt" for fact in facts) == 150
    with Store.open(store_dir) as store:
        stats = store.stats()
        assert stats.programs == 300 and stats.lookups == 150 and stats.corrupt_lines == 0
        assert all(store.peek(f"{name}-{i}") is not None for name in ("mixed", "batch") for i in range(150))
