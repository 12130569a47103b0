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
    waiting: str | None = None
    """The other stub of the module this check could not run without (it raised its placeholder's
    ``NotImplementedError``): neither a pass nor evidence against the candidate."""
    skipped: str | None = None
    """Why the test skipped itself while running (``unittest.SkipTest``, ``pytest.skip``): as pytest counts it,
    neither a pass nor a failure."""
    timed_out: bool = False
    """The check ran past its own clock (generated inputs have one); it says nothing about the value."""
    shown: str | None = None
    """For an ``output`` check that returned: what a doctest session would show (the printed text, then the
    value's ``repr`` unless it is ``None``), truncated."""


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
    def waiting(self) -> tuple[str, ...]:
        """The other stubs that checks wait for (each once, in order)."""
        return tuple(dict.fromkeys(r.waiting for r in self.results if r.waiting is not None and not r.passed))

    @property
    def ok(self) -> bool:
        """Whether every check passed, waits for another stub or skipped itself, with at least one passed."""
        if self.error is not None or self.total <= 0 or len(self.results) != self.total or self.passed == 0:
            return False
        return all(r.passed or r.waiting is not None or r.skipped is not None for r in self.results)

    def summary(self) -> str:
        """Return ``"3 of 4 checks passed"`` or the whole-candidate error."""
        if self.error is not None:
            return f"0 of {self.total} checks passed ({self.error})"
        waits = sum(1 for r in self.results if r.waiting is not None and not r.passed)
        skips = sum(1 for r in self.results if r.skipped is not None and not r.passed)
        text = f"{self.passed} of {self.total} checks passed"
        if waits:
            text += f", {waits} waiting for {', '.join(self.waiting)} (still a stub)"
        if skips:
            text += f", {skips} skipped by the test itself"
        return text

    def first_failure(self) -> tuple[int, CheckResult] | None:
        """Return the index and result of the first failing check (one waiting for another stub is not)."""
        for index, result in enumerate(self.results):
            if not result.passed and result.waiting is None and result.skipped is None:
                return index, result
        return None

    @classmethod
    def failed(cls, total: int, error: str, seconds: float = 0.0) -> Verdict:
        """Build a verdict for a candidate that failed as a whole."""
        return cls(results=(), total=total, error=error, seconds=seconds)
