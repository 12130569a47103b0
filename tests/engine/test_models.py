from __future__ import annotations

import hashlib
import types
from pathlib import Path

import pytest

from ncpu.backends.base import BackendError
from ncpu.models import EMBEDDED_DEFAULT, LARGE_TIER, PackagedModel, ensure_model


def _fake_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blobs: list[bytes]) -> PackagedModel:
    import sys

    for index, blob in enumerate(blobs, start=1):
        path = tmp_path / f"part{index:02d}.bin"
        path.write_bytes(blob)
        module = types.ModuleType(f"fake_chunk_part{index}")
        module.get_part_path = lambda p=path: str(p)  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, f"fake_chunk_part{index}", module)
    whole = b"".join(blobs)
    monkeypatch.setenv("NCPU_MODELS_DIR", str(tmp_path / "models"))
    return PackagedModel(
        "test", "tiny", "fake_chunk_part", len(blobs), len(whole), hashlib.sha256(whole).hexdigest(), "x"
    )


def test_assembles_in_order_and_verifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _fake_chunks(tmp_path, monkeypatch, [b"abc", b"def", b"g"])
    seen: list[int] = []
    path = ensure_model(model, lambda done, total: seen.append(done))
    assert path.read_bytes() == b"abcdefg"
    assert seen[-1] == 7
    assert ensure_model(model) == path  # second call reuses the file


def test_hash_mismatch_is_refused_and_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _fake_chunks(tmp_path, monkeypatch, [b"abc", b"def"])
    bad = PackagedModel(model.tier, model.name, model.module_prefix, model.parts, model.size, "0" * 64, "x")
    with pytest.raises(BackendError, match="does not match its published hash"):
        ensure_model(bad)
    assert not list((tmp_path / "models").glob("*.gguf"))
    assert not list((tmp_path / "models").glob("*.part"))


def test_missing_chunk_package_names_the_extra() -> None:
    missing = PackagedModel("test", "none", "no_such_chunk_module_part", 2, 1, "0" * 64, "model")
    with pytest.raises(BackendError, match=r"pip install 'ncpu\[model\]'"):
        missing.part_paths()


def test_published_facts() -> None:
    assert EMBEDDED_DEFAULT.size == 491_400_064 and EMBEDDED_DEFAULT.parts == 6
    assert EMBEDDED_DEFAULT.sha256.startswith("1d961463")
    assert LARGE_TIER.size == 1_117_320_768 and LARGE_TIER.parts == 22


def test_a_file_is_hashed_block_by_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ncpu import hashing
    from ncpu.models import verify_file

    data = bytes(range(256)) * 5
    path = tmp_path / "model.gguf"
    path.write_bytes(data)
    monkeypatch.setattr(hashing, "BLOCK", 100)  # several blocks and a short last one
    assert hashing.file_sha256(path) == hashlib.sha256(data).hexdigest()
    assert verify_file(path, hashlib.sha256(data).hexdigest()) and not verify_file(path, "0" * 64)
