"""Finding stubs and turning the user's examples into executable checks. No model involved.

The names below load on first use: the sandbox worker imports ``extraction.check`` alone, with the
standard library only (it may run under the project's interpreter, which has no tree-sitter).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from extraction.check import Check
    from extraction.checks import extract_checks
    from extraction.errors import SourceError
    from extraction.source import read_source
    from extraction.stub import Span, Stub
    from extraction.stubs import find_stub, find_stubs

_HOMES = {
    "Check": "extraction.check",
    "SourceError": "extraction.errors",
    "Span": "extraction.stub",
    "Stub": "extraction.stub",
    "extract_checks": "extraction.checks",
    "find_stub": "extraction.stubs",
    "find_stubs": "extraction.stubs",
    "read_source": "extraction.source",
}

__all__ = ["Check", "SourceError", "Span", "Stub", "extract_checks", "find_stub", "find_stubs", "read_source"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'extraction' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
