"""Load a script from ``benchmarks/`` as a module, so tests can call its functions."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_benchmark_script(name: str) -> ModuleType:
    """``benchmarks/<name>.py`` as the module ``ncpu_<name>`` (registered, since dataclasses look it up)."""
    spec = importlib.util.spec_from_file_location(f"ncpu_{name}", ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
