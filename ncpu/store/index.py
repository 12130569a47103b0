"""The derived index: a ``diskcache`` under the store dir, folded from the fact log.

It holds key → program, a per-arity list for the library, the statistics fold and the log offset it
has read up to. All of it is shared by every process that opens the store and can be thrown away:
``sync`` tails the log from the offset, so facts written by another process show up here, and a
corrupt or unopenable cache is moved aside and rebuilt from the log.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import diskcache

from ncpu.store.log import FactLog, LogChunk
from ncpu.store.records import Attempt, StoredProgram
from ncpu.store.stats import StoreStats, apply_fact, empty_fold, stats_from

__all__ = ["CacheIndex", "is_corruption"]

logger = logging.getLogger("ncpu.store")

INDEX_VERSION = 2  # 2: the fold has per_tier
_VERSION = "meta:version"
_OFFSET = "meta:offset"
_FOLD = "meta:stats"
_GENERATION = "meta:generation"
"""A fresh token whenever the index is emptied, so memoized answers from before are never reused."""
_KEEP_ASIDE = 2
"""Corrupt caches kept for inspection; older ones are deleted so repeated corruption cannot fill the disk."""


def is_corruption(exc: BaseException, *, opening: bool = False) -> bool:
    """Whether ``exc`` means the cache is damaged: a busy database is not; an unopenable directory is."""
    if isinstance(exc, sqlite3.OperationalError):
        return "locked" not in str(exc) and "busy" not in str(exc)
    if isinstance(exc, sqlite3.DatabaseError):
        return True
    return opening and isinstance(exc, OSError)


class CacheIndex:
    """Owns the ``diskcache.Cache``; opens, repairs, syncs and answers queries."""

    def __init__(self, root: Path, warn: Callable[[str], None]) -> None:
        self.directory = root / "cache"
        self._warn = warn
        self._library_memo: dict[tuple[int, int], tuple[tuple[object, int], list[StoredProgram]]] = {}
        self._cache = self._open()

    # -- opening and repair -------------------------------------------------------------------

    def _open(self) -> diskcache.Cache:
        try:
            return self._open_once()
        except Exception as exc:
            if not is_corruption(exc, opening=True):
                raise
            self.recover(exc)
            return self._cache

    def _open_once(self) -> diskcache.Cache:
        # Never evict: the index must hold every program the log has, or lookups would silently miss.
        cache = diskcache.Cache(str(self.directory), eviction_policy="none", size_limit=2**62)
        try:
            if cache.get(_VERSION) != INDEX_VERSION:
                _empty(cache)
            cache.get(_OFFSET)
            cache.get(_FOLD)
        except BaseException:
            cache.close()
            raise
        self._inode = _inode(self.directory)
        return cache

    def recover(self, exc: BaseException) -> None:
        """Move the damaged cache aside and start an empty one (the caller re-syncs it from the log)."""
        old = getattr(self, "_cache", None)
        if old is not None:
            old.close()
        aside = self.directory.with_name(f"cache.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
        try:
            os.replace(self.directory, aside)
        except FileNotFoundError:
            pass
        except OSError:
            _remove(self.directory)
        self._prune_aside()
        message = f"store cache at {self.directory} was unreadable ({exc}); moved it to {aside.name} and rebuilt it"
        logger.warning(message)
        self._warn(message)
        self._cache = self._open_once()  # a second failure here is not corruption: let it raise

    def _prune_aside(self) -> None:
        asides = sorted(self.directory.parent.glob("cache.corrupt-*"), key=lambda p: p.stat().st_mtime)
        for path in asides[:-_KEEP_ASIDE]:
            _remove(path)

    def reopen_if_replaced(self) -> None:
        """Follow another process's ``rebuild``/``clear``, which replace the cache directory."""
        if _inode(self.directory) != self._inode:
            self._cache.close()
            self._cache = self._open()

    def reset(self) -> None:
        """Delete the cache directory and start an empty one."""
        self._cache.close()
        _remove(self.directory)
        self._cache = self._open()

    def close(self) -> None:
        """Close the cache."""
        self._cache.close()

    # -- folding the log ---------------------------------------------------------------------

    def sync(self, log: FactLog) -> None:
        """Fold the facts appended since the offset the cache has seen (from any process)."""
        for _ in range(5):
            offset = int(self._cache.get(_OFFSET, 0))
            size = log.size()
            if size == offset:
                return
            start = 0 if size < offset else offset  # a shorter log was cleared or replaced
            chunk = log.read(start)  # outside the transaction: readers never hold sqlite while waiting on flock
            with self._cache.transact():
                if int(self._cache.get(_OFFSET, 0)) != offset:
                    continue  # another process folded these meanwhile; look again
                if start != offset:
                    _empty(self._cache)
                self._fold(chunk)
                return

    def _fold(self, chunk: LogChunk) -> None:
        fold = self._cache.get(_FOLD) or empty_fold()
        skipped = chunk.corrupt
        counts: dict[int, int] = {}
        for fact in chunk.facts:
            try:
                new_program = self._apply(fact, counts)
            except (KeyError, TypeError, ValueError):
                skipped += 1  # valid JSON, but not a fact this version can read
                continue
            apply_fact(fold, fact, new_program=new_program)
        if skipped:
            fold["corrupt_lines"] += skipped
            message = (
                f"store log: skipped {skipped} unreadable line(s) (a crashed writer or damage); the rest is intact"
            )
            logger.warning(message)
            self._warn(message)
        for arity, count in counts.items():
            self._cache.set(f"libn:{arity}", count)
        self._cache.set(_FOLD, fold)
        self._cache.set(_OFFSET, chunk.end)

    def _apply(self, fact: dict[str, Any], counts: dict[int, int]) -> bool:
        """Index one fact; return whether it is a program for a key not seen before."""
        kind = fact.get("type")
        if kind == "attempt":
            Attempt.from_json(fact)  # validate
            return False
        if kind != "program":
            return False
        program = StoredProgram.from_json(fact)
        existing = self._cache.get("p:" + program.key)
        if existing is not None and existing["program"]["body"] == program.body:
            return False  # the same body acknowledged twice: one fact
        arity = len(program.params)
        if arity not in counts:
            counts[arity] = int(self._cache.get(f"libn:{arity}", 0))
        position = counts[arity]
        counts[arity] += 1
        self._cache.set(f"lib:{arity}:{position}", program.key)
        self._cache.set("p:" + program.key, {"program": program.to_json(), "position": position})
        return existing is None

    # -- queries -----------------------------------------------------------------------------

    def program(self, key: str) -> StoredProgram | None:
        """The newest verified program for ``key`` the index has folded."""
        entry = self._cache.get("p:" + key)
        return None if entry is None else StoredProgram.from_json(entry["program"])

    def library(self, arity: int, limit: int) -> list[StoredProgram]:
        """Programs with ``arity`` parameters, newest first, one per distinct body."""
        # Walking the list costs a lookup per entry; it changes only when a program of this arity arrives.
        count = int(self._cache.get(f"libn:{arity}", 0))
        version = (self._cache.get(_GENERATION), count)
        memo = self._library_memo.get((arity, limit))
        if memo is not None and memo[0] == version:
            return list(memo[1])
        programs = self._walk_library(arity, limit, count)
        self._library_memo[(arity, limit)] = (version, programs)
        return list(programs)

    def _walk_library(self, arity: int, limit: int, position: int) -> list[StoredProgram]:
        programs: list[StoredProgram] = []
        bodies: set[str] = set()
        while position > 0 and len(programs) < limit:
            position -= 1
            key = self._cache.get(f"lib:{arity}:{position}")
            entry = None if key is None else self._cache.get("p:" + key)
            if entry is None or entry["position"] != position:
                continue  # superseded by a newer body for the same key
            program = StoredProgram.from_json(entry["program"])
            if program.body not in bodies:
                bodies.add(program.body)
                programs.append(program)
        return programs

    def stats(self) -> StoreStats:
        """The statistics folded so far."""
        return stats_from(self._cache.get(_FOLD) or empty_fold())


def _empty(cache: diskcache.Cache) -> None:
    cache.clear()
    cache.set(_VERSION, INDEX_VERSION)
    cache.set(_GENERATION, uuid.uuid4().hex)


def _inode(directory: Path) -> int:
    try:
        return (directory / "cache.db").stat().st_ino
    except OSError:
        return -1


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
