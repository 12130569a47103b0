r"""A scripted backend for deterministic tests of the cascade, the server and the editors.

The script is a JSON file (passed as the model path)::

    {"add": ["def add(a, b):\\n    return a - b\\n", "def add(a, b):\\n    return a + b\\n"],
     "*": ["def f():\\n    pass\\n"],
     "__delay__": 0.0}

Generations for an entry point return its completions in order, repeating the last one. ``*`` is
used for entry points without their own list, except a request that is not for a body (its entry point has
a ``#`` suffix, such as ``add#inputs`` for proposed inputs): unscripted, it gets an empty answer. ``__delay__`` (seconds) is slept per generation,
in small steps that honour cancellation, to let tests cancel a solve in flight.

``__crash_file__`` names a file of crash directives, one per line, for tests of the model host: each
load and each generation takes the first line off the file and acts on it: ``segv`` (the process kills
itself with ``SIGSEGV``), ``exit`` (``os._exit(1)``), ``oom`` (allocates until memory runs out), ``load:``
followed by one of those (acts only at load), ``ok`` (nothing). The file outlives a crashed process, so a
test can script "crash, then work". Directives act only inside a model host process (``NCPU_MODEL_HOST``),
never in a test's own process.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from ncpu.backends.base import BackendBase, BackendError, Generation, GenerationRequest, past
from ncpu.backends.registry import register_backend
from ncpu.cancel import Cancelled, CancelToken
from ncpu.config import ModelSettings


class ScriptedBackend(BackendBase):
    """Replays scripted completions; never loads a model."""

    def __init__(
        self, script: dict[str, list[str]], delay: float = 0.0, name: str = "fake", crash_file: Path | None = None
    ) -> None:
        self._script = script
        self._delay = delay
        self._crash_file = crash_file
        self._crash("load")
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
        crash_file = data.pop("__crash_file__", None)
        script = {key: [value] if isinstance(value, str) else list(value) for key, value in data.items()}
        return cls(script, delay=delay, crash_file=Path(crash_file) if crash_file else None)

    def _crash(self, moment: str) -> None:
        """Act on the next crash directive (see the module docstring), inside a model host only."""
        if self._crash_file is None or os.environ.get("NCPU_MODEL_HOST") != "1":
            return
        try:
            lines = self._crash_file.read_text(encoding="utf-8").splitlines()
        except OSError:
            return
        if not lines:
            return
        directive = lines[0].strip()
        if directive.startswith("load:") != (moment == "load"):
            return
        self._crash_file.write_text("".join(line + "\n" for line in lines[1:]), encoding="utf-8")
        directive = directive.removeprefix("load:")
        if directive == "segv":
            os.kill(os.getpid(), signal.SIGSEGV)
        elif directive == "exit":
            os._exit(1)
        elif directive == "oom":
            resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
            hog = []
            while True:
                hog.append(bytearray(64 << 20))

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
            if past(request.deadline):
                return Generation(text="", tokens=1, seconds=time.perf_counter() - started)
            if cancel is None:
                time.sleep(0.01)
        if cancel is not None:
            cancel.raise_if_cancelled()
        self._crash("generate")
        with self._lock:
            self.requests.append(request)
            fallback = None if "#" in request.entry_point else self._script.get("*")
            completions = self._script.get(request.entry_point) or fallback or [""]
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
