"""Finding Python files in a repo, and replacing one atomically without losing anybody's edit."""

from __future__ import annotations

import codecs
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

SKIPPED_DIRS = {
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "env",
    "node_modules",
    "__pycache__",
    "site-packages",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "build",
    "dist",
}


class FileChanged(Exception):
    """The file on disk is no longer the text the solve started from."""


def python_files(paths: list[Path]) -> Iterator[Path]:
    """Yield ``.py`` files named directly or found under directories, in a stable order."""
    seen: set[Path] = set()
    for path in paths:
        if path.is_file():
            candidates: list[Path] = [path]
        else:
            candidates = []
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
                candidates.extend(Path(root) / name for name in sorted(files) if name.endswith(".py"))
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved not in seen:
                seen.add(resolved)
                yield candidate


def digest(data: bytes) -> str:
    """Content hash used to detect concurrent edits."""
    return hashlib.sha256(data).hexdigest()


def replace_atomically(path: Path, new_text: str, expected_digest: str) -> None:
    """Write ``new_text`` to ``path`` only if the file still has ``expected_digest``.

    The new content goes to a temporary file in the same directory, is fsynced, and replaces the
    original with one ``os.replace``: a crash leaves either the old file or the new one, never half.
    """
    current = path.read_bytes()
    if digest(current) != expected_digest:
        raise FileChanged(f"{path} changed while it was being solved; not written")
    mode = path.stat().st_mode & 0o7777
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".ncpu", dir=path.parent)
    try:
        data = new_text.encode()
        if current.startswith(codecs.BOM_UTF8) and not data.startswith(codecs.BOM_UTF8):
            data = codecs.BOM_UTF8 + data  # reading dropped it; keep the file's byte order mark
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        if digest(path.read_bytes()) != expected_digest:
            raise FileChanged(f"{path} changed while it was being solved; not written")
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
