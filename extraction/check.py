"""The executable check: one example the user wrote, turned into something the sandbox can run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Origin = Literal["doctest", "assert", "arrow", "prose", "io_block", "workspace_test", "generated"]
"""``generated``: an input ncpu made up (``ncpu.cascade.probes``), observed only, never the user's."""

CompareMode = Literal["value", "output", "raises", "statement"]
"""How a check decides pass or fail.

- ``value``: ``call`` is an expression; ``expected`` is an expression (usually a literal).
  Passes when the two values are equal; floats (also nested in containers) compare with a tolerance.
- ``output``: doctest semantics for outputs that are not literals. ``call`` is an expression;
  the check passes when captured stdout plus ``repr(value)`` (if the value is not ``None``)
  equals ``expected`` text, compared with trailing whitespace on each line ignored.
- ``raises``: ``call`` is an expression that must raise; ``expected`` is the exception class name
  (``ValueError``); any class in the raised exception's MRO with that name passes.
- ``statement``: ``call`` holds statements (an ``assert`` line, a whole test function call);
  passes when they run without an exception. ``expected`` is ``None``.
"""


@dataclass(frozen=True, slots=True)
class Check:
    """One executable example, and where the user wrote it."""

    origin: Origin
    """Which syntax the example was written in."""
    call: str
    """Python source evaluated in the candidate module's namespace (see ``CompareMode``)."""
    expected: str | None
    """Expected value source, expected output text, or exception name; ``None`` for statements."""
    mode: CompareMode = "value"
    setup: tuple[str, ...] = ()
    """Statements run (in order, in the same namespace) before ``call``; e.g. doctest ``>>> x = 3``."""
    line: int | None = None
    """1-based line of the example in the file it came from, when known."""
    text: str = ""
    """The example as the user wrote it, for messages, hover and feedback prompts."""
    path: str | None = None
    """File the example came from when it is not the stub's own file (workspace tests)."""
    options: tuple[str, ...] = ()
    """``doctest`` option flags for an ``output`` check (``ELLIPSIS``, ``NORMALIZE_WHITESPACE``...)."""

    def describe(self) -> str:
        """Return a one-line human description: the user's text, or a rendering of the check."""
        if self.text:
            return self.text.strip().splitlines()[0] if "\n" not in self.text.strip() else self.text.strip()
        if self.mode == "statement":
            return self.call
        if self.mode == "raises":
            return f"{self.call} raises {self.expected}"
        return f"{self.call} == {self.expected}"

    def fingerprint(self) -> str:
        """Return a stable text for hashing: only what decides the verdict, not where it was written."""
        setup = "\n".join(self.setup)
        options = f"\x1f{','.join(self.options)}" if self.options else ""  # keys of checks without options unchanged
        return f"{self.mode}\x1f{setup}\x1f{self.call}\x1f{self.expected}{options}"
