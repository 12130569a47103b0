"""The compounding store of verified programs."""

from ncpu.store.keys import prompt_key
from ncpu.store.records import Attempt, StoredProgram
from ncpu.store.stats import StoreStats, format_stats
from ncpu.store.store import Store, default_store_path

__all__ = ["Attempt", "Store", "StoreStats", "StoredProgram", "default_store_path", "format_stats", "prompt_key"]
