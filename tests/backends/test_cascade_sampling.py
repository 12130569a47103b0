"""Best-of-N asks the backend for each temperature's samples in one ``sample`` call, and pulls no more than needed."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from extraction import find_stubs
from ncpu.backends import registry
from ncpu.backends.base import Backend, BackendBase, BackendError, Generation, GenerationRequest
from ncpu.backends.fake import ScriptedBackend
from ncpu.cancel import CancelToken
from ncpu.config import Budget, ModelSettings, Settings
from ncpu.engine import Engine
from ncpu.problem import Problem
from ncpu.sandbox import Sandbox
from ncpu.store import Store

SOURCE = '''def mul(a, b):
    """Multiply.

    >>> mul(2, 3)
    6
    """
'''
WRONG, RIGHT = "def mul(a, b):\n    return 0\n", "def mul(a, b):\n    return a * b\n"


def _solve(backend: Backend, store_dir: Path, sandbox: Sandbox, **budget: object) -> tuple[str, str | None]:
    budget.setdefault("agreement_passes", 1)  # best-of-N's own stopping: the first pass ends it
    settings = Settings(layers=("best_of_n",), budget=dataclasses.replace(Budget(), **budget))  # type: ignore[arg-type]
    engine = Engine(settings, store=Store.open(store_dir), sandbox=sandbox, backends=[backend])
    solution = engine.solve(Problem.from_source(SOURCE, find_stubs(SOURCE)[0]))
    return solution.status, solution.layer


def test_one_sample_call_per_temperature_and_early_stop(store_dir: Path, sandbox: Sandbox) -> None:
    backend = ScriptedBackend({"*": [WRONG] * 5 + [RIGHT]})
    assert _solve(backend, store_dir, sandbox) == ("verified", "best_of_n")
    assert backend.batches == [4, 4]
    assert len(backend.requests) == 6  # the second batch stopped at its passing sample
    seeds = [r.seed for r in backend.requests]
    assert seeds[1:4] == [seeds[0] + 1, seeds[0] + 2, seeds[0] + 3] and len(set(seeds)) == 6


def test_the_budget_caps_the_batch(store_dir: Path, sandbox: Sandbox) -> None:
    backend = ScriptedBackend({"*": [WRONG]})
    assert _solve(backend, store_dir, sandbox, max_samples=6)[0] == "failed"
    assert backend.batches == [4, 2] and len(backend.requests) == 6


class _GenerateOnly(BackendBase):
    """A plugin that writes only ``name`` and ``generate``: ``BackendBase`` supplies the rest."""

    @property
    def name(self) -> str:
        return "small"

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        return Generation(RIGHT, 3, 0.0)


class _FirstInterface:
    """A plugin written before ``sample`` and ``describe`` existed (never released): refused, not patched up."""

    name = "old"
    closed = False

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        return Generation(RIGHT, 3, 0.0)

    def close(self) -> None:
        _FirstInterface.closed = True


def test_a_plugin_on_backend_base_gets_the_default_sample(store_dir: Path, sandbox: Sandbox) -> None:
    backend = _GenerateOnly()
    assert isinstance(backend, Backend) and backend.describe() == "_GenerateOnly small"
    assert _solve(backend, store_dir, sandbox) == ("verified", "best_of_n")


def test_a_plugin_without_the_whole_interface_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_FACTORIES", {"old": lambda path, settings: _FirstInterface()})
    with pytest.raises(BackendError, match=r"'old' does not implement the backend interface.*BackendBase"):
        registry.create_backend("old", None, ModelSettings())
    assert _FirstInterface.closed


def test_the_engine_and_server_import_without_torch() -> None:
    code = (
        "import sys, ncpu.engine, server.server, ncpu.backends.hf, ncpu.backends.openai_compat\n"
        "assert not {'torch', 'transformers'} & set(sys.modules), 'imported eagerly'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
