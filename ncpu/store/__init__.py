"""The compounding store of verified programs: an append-only fact log and a derived index."""

from ncpu.store.keys import prompt_key
from ncpu.store.records import Attempt, StoredProgram
from ncpu.store.stats import CostLine, StoreStats
from ncpu.store.stats_report import format_stats
from ncpu.store.store import Store, default_store_path

__all__ = [
    "Attempt",
    "CostLine",
    "Store",
    "StoreStats",
    "StoredProgram",
    "default_store_path",
    "format_stats",
    "prompt_key",
]
