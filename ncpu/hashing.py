"""The SHA-256 of a file, read in blocks (model files run to gigabytes)."""

from __future__ import annotations

import hashlib
from pathlib import Path

BLOCK = 8 << 20


def file_sha256(path: Path) -> str:
    """The file's SHA-256, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()
