from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


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
