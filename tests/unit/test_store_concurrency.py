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
