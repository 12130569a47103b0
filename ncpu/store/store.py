"""The compounding store: verified programs by key, reuse by arity, and the ledger of attempts.

The fact log is the source of truth; the ``diskcache`` index under ``cache/`` is derived from it,
brought up to date by tailing the log (so a server and a batch run sharing one store see each other's
facts), and rebuilt from scratch by ``rebuild()`` or when it is found corrupt.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import diskcache
import platformdirs

from ncpu.store.log import FactLog
from ncpu.store.records import Attempt, StoredProgram
from ncpu.store.stats import StoreStats, apply_fact, empty_stats, stats_from

_OFFSET = "meta:offset"
_STATS = "meta:stats"


def default_store_path() -> Path:
    """The user cache dir's store."""
    return Path(platformdirs.user_cache_dir("ncpu")) / "store"


class Store:
    """Open with ``Store.open(path)``; close when done (or use as a context manager)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.log = FactLog(root)
        self.warnings: list[str] = []
        self._cache = self._open_cache()

    @classmethod
    def open(cls, path: Path | None = None) -> Store:
        """Open (creating if needed) the store at ``path`` or the default location."""
        return cls(path if path is not None else default_store_path())

    # -- the derived cache -----------------------------------------------------------------

    def _open_cache(self) -> diskcache.Cache:
        directory = self.root / "cache"
        try:
            cache = diskcache.Cache(str(directory))
            cache.get(_OFFSET)
            return cache
        except (sqlite3.DatabaseError, OSError) as exc:
            aside = self.root / f"cache.corrupt-{int(time.time())}"
            shutil.move(str(directory), str(aside))
            self.warnings.append(f"store cache at {directory} was unreadable ({exc}); moved to {aside} and rebuilt")
            cache = diskcache.Cache(str(directory))
            return cache

    def _sync(self) -> None:
        """Apply facts appended to the log since the cache last saw it."""
        offset = int(self._cache.get(_OFFSET, 0))
        try:
            size = self.log.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size == offset:
            return
        if size < offset:  # the log was replaced (clear, restore): start over
            self._reset_cache()
            offset = 0
        entries, corrupt = self.log.read(offset)
        if not entries and not corrupt:
            return
        with self._cache.transact():
            if int(self._cache.get(_OFFSET, 0)) != offset:
                return  # another process applied them meanwhile
            stats = self._cache.get(_STATS) or empty_stats()
            stats["corrupt_lines"] = stats.get("corrupt_lines", 0) + corrupt
            for entry in entries:
                self._apply(entry.fact, stats)
            self._cache.set(_STATS, stats)
            self._cache.set(_OFFSET, entries[-1].end_offset if entries else offset)

    def _apply(self, fact: dict[str, Any], stats: dict[str, Any]) -> None:
        kind = fact.get("type")
        if kind == "program":
            try:
                program = StoredProgram.from_json(fact)
            except (KeyError, TypeError, ValueError):
                stats["corrupt_lines"] = stats.get("corrupt_lines", 0) + 1
                return
            existing = self._cache.get("program:" + program.key)
            self._cache.set("program:" + program.key, program.to_json())
            if existing is not None:
                return  # the same problem solved again (e.g. by two processes at once): one fact
            library_key = f"lib:{len(program.params)}"
            self._cache.set(library_key, [*self._cache.get(library_key, []), program.key])
        apply_fact(stats, fact)

    def _reset_cache(self) -> None:
        self._cache.clear()

    # -- public API ------------------------------------------------------------------------

    def peek(self, key: str) -> StoredProgram | None:
        """The verified program for ``key``, without counting a lookup."""
        item = self._cache.get("program:" + key)
        if item is None:
            self._sync()
            item = self._cache.get("program:" + key)
        return StoredProgram.from_json(item) if item is not None else None

    def get(self, key: str) -> StoredProgram | None:
        """The verified program for ``key``; the lookup counts towards the hit rate."""
        program = self.peek(key)
        self.log.append({"type": "lookup", "hit": program is not None, "at": time.time()})
        return program

    def put(self, program: StoredProgram) -> bool:
        """Record a verified program durably; ``False`` if this exact body was already stored for the key."""
        if program.checks_passed <= 0:
            raise ValueError("only verified programs (at least one check passed) can be stored")
        existing = self.peek(program.key)
        if existing is not None and existing.body == program.body:
            return False
        self.log.append(program.to_json())
        self._sync()
        return True

    def library(self, arity: int, limit: int = 200) -> list[StoredProgram]:
        """Verified programs with ``arity`` parameters, newest first, distinct bodies."""
        self._sync()
        keys = list(reversed(self._cache.get(f"lib:{arity}", [])))
        programs: list[StoredProgram] = []
        bodies: set[str] = set()
        for key in keys:
            item = self._cache.get("program:" + key)
            if item is None:
                continue
            program = StoredProgram.from_json(item)
            if program.body not in bodies:
                bodies.add(program.body)
                programs.append(program)
            if len(programs) >= limit:
                break
        return programs

    def record_attempt(self, attempt: Attempt) -> None:
        """Add one ledger entry."""
        self.log.append(attempt.to_json())

    def stats(self) -> StoreStats:
        """Counts, hit rate, per-layer and per-model/temperature statistics."""
        self._sync()
        return stats_from(self._cache.get(_STATS) or empty_stats())

    def temperature_order(self, temperatures: Sequence[float], model: str | None) -> tuple[float, ...]:
        """Temperatures by past success per sample (Laplace-smoothed); ties keep the given order."""
        per = self.stats().per_model_temperature

        def rate(temperature: float) -> float:
            line = per.get(f"{model}|{temperature:g}")
            if line is None:
                return 0.5
            return (line["solves"] + 1) / (line["samples"] + 2)

        ranked = sorted(enumerate(temperatures), key=lambda pair: (-rate(pair[1]), pair[0]))
        return tuple(t for _, t in ranked)

    def rebuild(self) -> int:
        """Throw the cache away and rebuild it from the log; return the number of programs."""
        self._cache.close()
        shutil.rmtree(self.root / "cache", ignore_errors=True)
        self._cache = diskcache.Cache(str(self.root / "cache"))
        self._sync()
        return self.stats().programs

    def clear(self) -> None:
        """Forget everything: the log and the cache."""
        self._cache.close()
        shutil.rmtree(self.root / "cache", ignore_errors=True)
        self.log.path.unlink(missing_ok=True)
        self.log = FactLog(self.root)
        self._cache = diskcache.Cache(str(self.root / "cache"))

    def close(self) -> None:
        """Close the cache."""
        self._cache.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
