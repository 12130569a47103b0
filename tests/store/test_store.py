"""The store's behaviour in one process: keys, round trips, library, ledger, statistics."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from extraction.check import Check
from ncpu.store import Attempt, Store, StoredProgram, format_stats, prompt_key


def program(
    key: str, body: str = "return a + b", params: tuple[str, ...] = ("a", "b"), **changes: object
) -> StoredProgram:
    fields: dict[str, object] = {
        "key": key,
        "entry_point": "add",
        "params": params,
        "body": body,
        "function_source": f"def add({', '.join(params)}):\n    {body}\n",
        "layer": "greedy",
        "model": "qwen-0.5b",
        "temperature": 0.0,
        "checks_passed": 2,
        "created": time.time(),
    }
    fields.update(changes)
    return StoredProgram(**fields)  # type: ignore[arg-type]


CHECKS = [Check("doctest", "add(1, 2)", "3"), Check("assert", "add(2, 2)", "4", line=7, text="assert add(2, 2) == 4")]


def test_key_is_stable_and_normalized() -> None:
    key = prompt_key("def add(a, b):", "Add two numbers.\n\n    More.  ", CHECKS, "add")
    assert len(key) == 64 and set(key) <= set("0123456789abcdef")
    # Whitespace in the signature, docstring indentation and trailing spaces, check order and where a
    # check was written do not matter.
    same = prompt_key(
        "def  add(a,\n        b):",
        "  Add two numbers.\n\n    More.",
        [Check("assert", "add(2, 2)", "4", line=99), CHECKS[0]],
        "add",
    )
    assert same == key
    assert key == prompt_key("def add(a, b):", "Add two numbers.\n\nMore.", list(reversed(CHECKS)), "add")
    # A literal value keeps the key stable across processes and runs (nothing salted, like ``hash()``, goes
    # in). A change of normalization changes it: bump ``KEY_VERSION`` with it, and this value.
    assert key == "8919cf43b969b520aca9c83aa92c851385c5bab75e9dab30c566b94c48940cd5"


def test_key_is_sensitive() -> None:
    key = prompt_key("def add(a, b):", "Add.", CHECKS, "add")
    assert prompt_key("def add(a, b):", "Add.", [CHECKS[0], Check("assert", "add(2, 2)", "5")], "add") != key
    assert prompt_key("def add(a, b):", "Add.", CHECKS[:1], "add") != key
    assert prompt_key("def add(a, c):", "Add.", CHECKS, "add") != key
    assert prompt_key("def add(a, b):", "Sum.", CHECKS, "add") != key
    assert prompt_key("def add(a, b):", "Add.", CHECKS, "Calc.add") != key
    assert prompt_key("def add(a, b):", None, CHECKS, "add") != key


def test_put_get_round_trip(store_dir: Path) -> None:
    with Store.open(store_dir) as store:
        stored = program("k1", params=("x", "y"), temperature=None, model=None, layer="template")
        assert store.put(stored)
        assert store.get("k1") == stored
        assert store.peek("k1") == stored
        assert store.get("missing") is None
        assert not store.put(stored)  # the same body again: no duplicate fact
        assert store.put(program("k1", body="return y + x", params=("x", "y")))  # a new body supersedes
        assert store.peek("k1") is not None and store.peek("k1").body == "return y + x"  # type: ignore[union-attr]
        assert store.stats().programs == 1
    facts = [json.loads(line) for line in (store_dir / "solved_programs.jsonl").read_text().splitlines()]
    assert [f["type"] for f in facts if f["type"] == "program"] == ["program", "program"]
    assert all(f["version"] == 1 for f in facts if f["type"] == "program")


def test_refuses_unverified(store_dir: Path) -> None:
    with Store.open(store_dir) as store:
        with pytest.raises(ValueError):
            store.put(program("k", checks_passed=0))
        assert store.peek("k") is None
        assert store.stats().programs == 0


def test_durable_across_instances(store_dir: Path) -> None:
    with Store.open(store_dir) as store:
        for i in range(5):
            store.put(program(f"k{i}", body=f"return a + b + {i}"))
    with Store.open(store_dir) as again:
        assert again.get("k3") is not None and again.get("k3").body == "return a + b + 3"  # type: ignore[union-attr]
        assert again.stats().programs == 5


def test_peek_is_fast_and_does_not_count(store_dir: Path) -> None:
    with Store.open(store_dir) as store:
        store.put(program("k"))
        start = time.perf_counter()
        for _ in range(200):
            assert store.peek("k") is not None
            assert store.peek("nope") is None
        assert (time.perf_counter() - start) / 400 < 0.001
        assert store.stats().lookups == 0


def test_library_by_arity_newest_first_distinct(store_dir: Path) -> None:
    with Store.open(store_dir) as store:
        store.put(program("two-a", body="return a + b"))
        store.put(program("one-a", body="return a", params=("a",)))
        store.put(program("two-b", body="return a * b"))
        store.put(program("two-c", body="return a + b"))  # same body as two-a: listed once
        store.put(program("two-a", body="return a - b"))  # supersedes two-a's body and becomes newest
        assert [p.body for p in store.library(2)] == ["return a - b", "return a + b", "return a * b"]
        assert [p.key for p in store.library(1)] == ["one-a"]
        assert store.library(3) == []
        assert len(store.library(2, limit=2)) == 2


def test_temperature_order(store_dir: Path) -> None:
    with Store.open(store_dir) as store:
        assert store.temperature_order([0.2, 0.8, 0.5], "m") == (0.2, 0.8, 0.5)  # no data: as given
        for _ in range(3):
            store.record_attempt(Attempt("best_of_n", "m", 0.8, samples=2, tokens=50, seconds=0.5, solved=True))
            store.record_attempt(Attempt("best_of_n", "m", 0.2, samples=4, tokens=90, seconds=0.9, solved=False))
        store.record_attempt(Attempt("best_of_n", "other", 0.2, samples=1, tokens=9, seconds=0.1, solved=True))
        assert store.temperature_order([0.2, 0.8, 0.5], "m") == (0.8, 0.5, 0.2)
        assert store.temperature_order([0.5, 0.2], "other") == (0.2, 0.5)
        assert store.temperature_order([0.2, 0.5], "unknown") == (0.2, 0.5)
        stats = store.stats()
        line = stats.per_model[("m", 0.8)]
        assert (line.attempts, line.samples, line.solves, line.tokens) == (3, 6, 3, 150)
        assert stats.per_layer_cost["best_of_n"].attempts == 7


def test_tier_order_by_solves_per_second_on_escalated_stubs(store_dir: Path) -> None:
    with Store.open(store_dir) as store:
        assert store.tier_order(["mid", "big"]) == ["mid", "big"]  # no data: as given
        store.record_attempt(Attempt("escalate", "mid", 0.0, samples=2, tokens=200, seconds=20.0, solved=False))
        store.record_attempt(Attempt("escalate", "big", 0.0, samples=1, tokens=90, seconds=30.0, solved=True))
        store.record_attempt(
            Attempt("greedy", "mid", 0.0, samples=1, tokens=9, seconds=1.0, solved=True)
        )  # not a tier run
        # One solve per 60 s before any data: an untried tier goes before one that has only failed.
        assert store.tier_order(["mid", "big", "new"]) == ["big", "new", "mid"]
        assert store.stats().per_tier["mid"].samples == 2 and "mid" in format_stats(store.stats())
    with Store.open(store_dir) as store:  # the order comes from the log, so it survives a rebuild
        store.rebuild()
        assert store.tier_order(["mid", "big"]) == ["big", "mid"]


def test_stats_hit_rate_survives_reopen_and_rebuild(store_dir: Path) -> None:
    with Store.open(store_dir) as store:
        store.put(program("k", layer="template"))
        store.get("k")
        store.get("k")
        store.get("other")
        store.get("other")
    with Store.open(store_dir) as store:
        stats = store.stats()
        assert (stats.lookups, stats.hits, stats.hit_rate) == (4, 2, 0.5)
        assert stats.per_layer == {"template": 1}
        store.get("k")
        assert store.stats().hits == 3
        assert store.rebuild() == 1
        assert (store.stats().lookups, store.stats().hits) == (5, 3)


def test_format_stats(store_dir: Path) -> None:
    with Store.open(store_dir) as store:
        assert "verified programs   0" in format_stats(store.stats())
        store.put(program("k"))
        store.get("k")
        store.record_attempt(Attempt("greedy", "qwen-0.5b", 0.0, samples=1, tokens=40, seconds=1.5, solved=True))
        store.record_attempt(Attempt("library", None, None, samples=3, tokens=0, seconds=0.1, solved=False))
        text = format_stats(store.stats())
    assert "100.0% hit rate" in text
    assert "greedy" in text and "library" in text
    assert "qwen-0.5b @ 0" in text


def test_clear_keeps_the_directory(store_dir: Path) -> None:
    with Store.open(store_dir) as store:
        store.put(program("k"))
        store.clear()
        assert store_dir.is_dir()
        assert store.peek("k") is None and store.stats().programs == 0
        assert store.put(program("k"))
    with Store.open(store_dir) as store:
        assert store.stats().programs == 1
