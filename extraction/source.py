"""Reading a file as Python source, with one clear error for anything that is not."""

from __future__ import annotations

from pathlib import Path

from extraction.errors import SourceError

MAX_BYTES = 20 * 1024 * 1024


def decode_source(data: bytes, name: str) -> str:
    """Decode UTF-8 Python source (a BOM is allowed); refuse binary data."""
    if b"\x00" in data[:8192] or b"\x00" in data:
        raise SourceError(f"{name}: binary file (contains NUL bytes), not Python source")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{name}: not UTF-8 (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def read_source(path: Path) -> str:
    """Read ``path`` as UTF-8 Python source."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SourceError(f"{path}: too large ({size} bytes) to be Python source")
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return decode_source(data, str(path))
