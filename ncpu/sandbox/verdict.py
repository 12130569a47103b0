"""What the sandbox says about a candidate: one result per check, and an overall verdict."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check against one candidate."""

    passed: bool
    actual: str | None = None
    """``repr`` of the value the candidate produced (truncated), when it produced one."""
    error: str | None = None
    """The exception the candidate raised (``"ZeroDivisionError: division by zero"``) or why it failed."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Everything the sandbox learnt from running one candidate against the checks."""

    results: tuple[CheckResult, ...] = ()
    total: int = 0
    error: str | None = None
    """A failure of the whole candidate: syntax error, import-time exception, timeout, memory, crash."""
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> int:
        """How many checks passed."""
        return sum(1 for r in self.results if r.passed)

    @property
    def ok(self) -> bool:
        """Whether every check passed (and there was at least one)."""
        return self.error is None and self.total > 0 and self.passed == self.total

    def summary(self) -> str:
        """Return ``"3 of 4 checks passed"`` or the whole-candidate error."""
        if self.error is not None:
            return f"0 of {self.total} checks passed ({self.error})"
        return f"{self.passed} of {self.total} checks passed"

    def first_failure(self) -> tuple[int, CheckResult] | None:
        """Return the index and result of the first failing check, if any."""
        for index, result in enumerate(self.results):
            if not result.passed:
                return index, result
        return None

    @classmethod
    def failed(cls, total: int, error: str, seconds: float = 0.0) -> Verdict:
        """Build a verdict for a candidate that failed as a whole."""
        return cls(results=(), total=total, error=error, seconds=seconds)
