"""Errors the extraction layer reports to users (one clear line, never a traceback)."""

from __future__ import annotations


class SourceError(Exception):
    """A file could not be read as Python source (binary, not UTF-8, unreadable)."""
