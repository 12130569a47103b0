"""Unverified bodies kept from the last solve of each stub, offered only as a labelled code action."""

from __future__ import annotations

from dataclasses import dataclass

from ncpu.cascade.solution import Solution


@dataclass(frozen=True)
class PartialResult:
    """The best unverified body of the last solve of a stub, for the problem it was found for."""

    key: str
    """The problem's key when it was solved: a changed stub no longer gets the body."""
    solution: Solution


class Partials:
    """Partial results by document URI and qualified stub name (in memory, never stored)."""

    def __init__(self) -> None:
        self._results: dict[tuple[str, str], PartialResult] = {}

    def keep(self, uri: str, stub: str, key: str, solution: Solution) -> None:
        """Remember the partial result of a solve."""
        self._results[(uri, stub)] = PartialResult(key, solution)

    def get(self, uri: str, stub: str, key: str) -> Solution | None:
        """The kept partial body for the stub, if it was solved as it is now (same problem key)."""
        result = self._results.get((uri, stub))
        if result is None or result.key != key or result.solution.body is None:
            return None
        return result.solution

    def clear(self) -> None:
        """Forget every result."""
        self._results.clear()

    def forget(self, uri: str) -> None:
        """Drop the results of a closed document."""
        for key in [key for key in self._results if key[0] == uri]:
            del self._results[key]
