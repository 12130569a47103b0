"""Finding stubs and turning the user's examples into executable checks. No model involved."""

from extraction.check import Check
from extraction.checks import extract_checks
from extraction.errors import SourceError
from extraction.source import read_source
from extraction.stub import Span, Stub
from extraction.stubs import find_stub, find_stubs

__all__ = ["Check", "SourceError", "Span", "Stub", "extract_checks", "find_stub", "find_stubs", "read_source"]
