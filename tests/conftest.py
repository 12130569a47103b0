from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Projects ncpu is run on (tests/data/projects/*): their own tests are data here, run by the tests that use them.
collect_ignore_glob = ["data/*"]

# The machine-wide model lock (ncpu.backends.model_lock) of the test session, not the user's: a test must not
# wait for the user's editor, nor make it wait.
os.environ.setdefault("NCPU_MODEL_LOCK", os.path.join(tempfile.mkdtemp(prefix="ncpu-test-lock-"), "model.lock"))


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
