"""The compounding store: every verified solve, so the same stub resolves instantly forever after.

The fact log (``solved_programs.jsonl``) is the source of truth; the ``diskcache`` index under
``cache/`` is derived from it. Processes sharing one store (a language server and a batch run) see
each other's facts because every miss, ``library`` and ``stats`` call first folds whatever the log
gained since the index last looked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import platformdirs

from ncpu.store.index import CacheIndex, is_corruption
from ncpu.store.log import FactLog
from ncpu.store.records import Attempt, StoredProgram
from ncpu.store.stats import CostLine, StoreStats

__all__ = ["Store", "default_store_path"]

logger = logging.getLogger("ncpu.store")

_T = TypeVar("_T")


def default_store_path() -> Path:
    """The store under the user's cache directory."""
    return Path(platformdirs.user_cache_dir("ncpu")) / "store"


class Store:
    """Verified programs by key; open with ``Store.open(path)`` and close when done (or use ``with``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.warnings: list[str] = []
        """Problems found and repaired (a corrupt cache moved aside), for the caller to show."""
        self._log = FactLog(root)
        self._index = CacheIndex(root, self.warnings.append)
        self._guarded(lambda: self._index.sync(self._log))

    @classmethod
    def open(cls, path: Path | None = None) -> Store:
        """Open (creating if needed) the store at ``path``, or under the user cache dir when ``None``."""
        return cls(path if path is not None else default_store_path())

    @property
    def log_path(self) -> Path:
        """The fact log, the store's source of truth."""
        return self._log.path

    def _guarded(self, operation: Callable[[], _T]) -> _T:
        """Run a cache operation; if the cache turns out damaged, rebuild it from the log and retry once."""
        try:
            self._index.reopen_if_replaced()
            return operation()
        except Exception as exc:
            if not is_corruption(exc):
                raise
            self._index.recover(exc)
            self._index.sync(self._log)
            return operation()

    # -- lookups -----------------------------------------------------------------------------

    def peek(self, key: str) -> StoredProgram | None:
        """The verified program for ``key``, without counting a lookup."""

        def find() -> StoredProgram | None:
            program = self._index.program(key)
            if program is None:
                self._index.sync(self._log)  # another process may have stored it
                program = self._index.program(key)
            return program

        return self._guarded(find)

    def get(self, key: str) -> StoredProgram | None:
        """The verified program for ``key``; the lookup counts towards the hit rate."""
        program = self.peek(key)
        # Not fsynced: losing the last few lookups in a power cut only nudges the hit rate.
        self._log.append({"type": "lookup", "hit": program is not None}, durable=False)
        return program

    def library(self, arity: int, limit: int = 200) -> list[StoredProgram]:
        """Verified programs with ``arity`` parameters, newest first, one per distinct body."""

        def collect() -> list[StoredProgram]:
            self._index.sync(self._log)
            return self._index.library(arity, limit)

        return self._guarded(collect)

    # -- facts -------------------------------------------------------------------------------

    def put(self, program: StoredProgram) -> bool:
        """Store a verified program durably; ``False`` if this body was already stored for its key.

        Returns only once the fact is fsynced to the log. Raises ``ValueError`` for a program that
        passed no checks: only verified programs are ever stored.
        """
        if program.checks_passed <= 0:
            raise ValueError(f"refusing to store {program.entry_point}: it passed no checks")
        with self._log.exclusive():  # check and append atomically across processes: no duplicate facts

            def check() -> StoredProgram | None:
                self._index.sync(self._log)
                return self._index.program(program.key)

            existing = self._guarded(check)
            if existing is not None and existing.body == program.body:
                return False
            self._log.append(program.to_json(), durable=True)
            try:
                self._guarded(lambda: self._index.sync(self._log))
            except Exception as exc:  # the fact is durable; the index catches up on the next call
                logger.warning("store index not updated after put: %s", exc)
        return True

    def record_attempt(self, attempt: Attempt) -> None:
        """Add one entry to the ledger of attempts."""
        self._log.append(attempt.to_json(), durable=True)

    # -- statistics ----------------------------------------------------------------------------

    def stats(self) -> StoreStats:
        """Counts, hit rate, per-layer solves and per model/temperature cost, from every process."""

        def fold() -> StoreStats:
            self._index.sync(self._log)
            return self._index.stats()

        return self._guarded(fold)

    def temperature_order(self, temperatures: Sequence[float], model: str | None) -> tuple[float, ...]:
        """``temperatures`` by past solves per sample (Laplace-smoothed), best first; ties keep the given order.

        With ``model`` ``None`` the attempts of every model count. With no data the order is unchanged.
        """
        per_model = self.stats().per_model

        def rate(temperature: float) -> float:
            lines = [
                line
                for (name, temp), line in per_model.items()
                if temp is not None and temp == temperature and (model is None or name == model)
            ]
            return CostLine(
                samples=sum(line.samples for line in lines), solves=sum(line.solves for line in lines)
            ).smoothed_rate

        ranked = sorted(enumerate(temperatures), key=lambda pair: (-rate(pair[1]), pair[0]))
        return tuple(temperature for _, temperature in ranked)

    def tier_order(self, labels: Sequence[str], prior_seconds: float = 60.0) -> list[str]:
        """Escalation tiers by past solves per second spent on escalated stubs, best first.

        Smoothed like ``temperature_order``: one solve per ``prior_seconds`` before any data, so an untried tier
        goes after one that solves faster than that and before one that has only failed; ties, and no data at
        all, keep the given order.
        """
        per_tier = self.stats().per_tier

        def rate(label: str) -> float:
            line = per_tier.get(label, CostLine())
            return (line.solves + 1) / (line.seconds + prior_seconds)

        ranked = sorted(enumerate(labels), key=lambda pair: (-rate(pair[1]), pair[0]))
        return [label for _, label in ranked]

    # -- maintenance -------------------------------------------------------------------------

    def rebuild(self) -> int:
        """Delete the cache and rebuild it from the log; return the number of programs restored."""
        with self._log.exclusive():
            self._index.reset()
            self._guarded(lambda: self._index.sync(self._log))
            return self._index.stats().programs

    def clear(self) -> None:
        """Forget everything: remove the log and the cache (the directory stays)."""
        with self._log.exclusive():
            self._log.remove()
            self._index.reset()

    def close(self) -> None:
        """Close the cache."""
        self._index.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
