from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Keep every test away from the user's real store and model cache locations unless a test opts in.
os.environ.setdefault("NCPU_TEST", "1")


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture(scope="session")
def sandbox() -> Iterator[object]:
    from ncpu.config import SandboxLimits
    from ncpu.sandbox import Sandbox

    box = Sandbox(SandboxLimits(wall_seconds=5.0))
    yield box
    box.close()
