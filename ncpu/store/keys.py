"""The store key: what makes two stubs "the same problem"."""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Sequence

from extraction.check import Check

__all__ = ["KEY_VERSION", "prompt_key"]

KEY_VERSION = "1"
"""Part of every key: bump it when normalization changes, so old entries stop matching instead of misleading."""


def _normalize_signature(signature: str) -> str:
    return re.sub(r"\s+", " ", signature).strip()


def _normalize_docstring(docstring: str | None) -> str:
    if not docstring:
        return ""
    return "\n".join(line.rstrip() for line in inspect.cleandoc(docstring).splitlines()).strip()


def prompt_key(signature: str, docstring: str | None, checks: Sequence[Check], entry_point: str) -> str:
    """SHA-256 hex of the normalized signature, docstring, sorted check fingerprints and entry point.

    Whitespace in the signature is collapsed; the docstring is dedented, stripped and loses trailing
    spaces; checks are order-free and only what decides their verdict counts (``Check.fingerprint``).
    """
    parts = [
        KEY_VERSION,
        _normalize_signature(signature),
        _normalize_docstring(docstring),
        *sorted(check.fingerprint() for check in checks),
        entry_point,
    ]
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()
