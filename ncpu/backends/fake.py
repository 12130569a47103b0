r"""A scripted backend for deterministic tests of the cascade, the server and the editors.

The script is a JSON file (passed as the model path)::

    {"add": ["def add(a, b):\\n    return a - b\\n", "def add(a, b):\\n    return a + b\\n"],
     "*": ["def f():\\n    pass\\n"],
     "__delay__": 0.0}

Generations for an entry point return its completions in order, repeating the last one. ``*`` is
used for entry points without their own list. ``__delay__`` (seconds) is slept per generation,
in small steps that honour cancellation, to let tests cancel a solve in flight.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from ncpu.backends.base import BackendBase, BackendError, Generation, GenerationRequest
from ncpu.backends.registry import register_backend
from ncpu.cancel import Cancelled, CancelToken
from ncpu.config import ModelSettings


class ScriptedBackend(BackendBase):
    """Replays scripted completions; never loads a model."""

    def __init__(self, script: dict[str, list[str]], delay: float = 0.0, name: str = "fake") -> None:
        self._script = script
        self._delay = delay
        self._name = name
        self._calls: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self.requests: list[GenerationRequest] = []
        self.batches: list[int] = []
        """``n`` of every ``sample`` call, so tests can see how the caller batched."""

    @classmethod
    def from_file(cls, path: Path) -> ScriptedBackend:
        """Load a script file (see the module docstring)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BackendError(f"cannot read fake backend script {path}: {exc}") from exc
        delay = float(data.pop("__delay__", 0.0))
        script = {key: [value] if isinstance(value, str) else list(value) for key, value in data.items()}
        return cls(script, delay=delay)

    @property
    def name(self) -> str:
        """The ledger name."""
        return self._name

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        """Return the next scripted completion for the request's entry point."""
        started = time.perf_counter()
        deadline = started + self._delay
        while time.perf_counter() < deadline:
            if cancel is not None and cancel.wait(0.01):
                raise Cancelled()
        if cancel is not None:
            cancel.raise_if_cancelled()
        with self._lock:
            self.requests.append(request)
            completions = self._script.get(request.entry_point) or self._script.get("*") or [""]
            index = min(self._calls[request.entry_point], len(completions) - 1)
            self._calls[request.entry_point] += 1
        text = completions[index]
        return Generation(text=text, tokens=max(1, len(text) // 4), seconds=time.perf_counter() - started)

    def sample(self, request: GenerationRequest, n: int, cancel: CancelToken | None = None) -> Iterator[Generation]:
        """Scripted completions one after another, as the caller pulls them."""
        with self._lock:
            self.batches.append(n)
        yield from super().sample(request, n, cancel)

    def describe(self) -> str:
        """Says it is scripted."""
        return f"fake (scripted) {self._name}"

    def close(self) -> None:
        """Nothing to free."""


def _factory(path: Path | None, settings: ModelSettings) -> ScriptedBackend:
    if path is None:
        raise BackendError("the fake backend needs a script file as its model path")
    return ScriptedBackend.from_file(path)


register_backend("fake", _factory)
