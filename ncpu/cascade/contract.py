"""What a docstring rules out about its inputs, so generated inputs keep to it (trust issue 15, §1).

Candidates that pass every example often differ only on inputs the docstring excludes: the empty list where
it says "given a non-empty list", a negative number where it says "given a positive integer n". Agreement
would split right bodies there and ask the user a question that has no right answer
(``benchmarks/probe_power.py``). Only plain, common phrasings are read, and only in a sentence that speaks
of the input ("given", "takes", "supplied", "input", "operand") before the phrase and returns nothing
before it: "Return only positive numbers in the list" describes the output, and rules out nothing.

- "non-empty" / "not empty": empty lists, tuples and strings;
- "length at least two", "at least 2 elements": lists and tuples shorter than that;
- "positive integer(s) / number(s)" and "non-negative ...": numbers below 1 (floats: at or below 0) or below
  0; of the parameters named right after the phrase ("a positive integer n"), else of every argument and
  the items of every list. A bound written out (``0 <= k <= len(arr)``, ``n >= 1``) wins over the words.

Anything the docstring does not say this way admits every value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_INPUT = re.compile(r"\b(?:given|takes?|supplied|input|operand|accepts?|receives?)\b", re.IGNORECASE)
_RETURN = re.compile(r"\breturns?\b", re.IGNORECASE)
_NON_EMPTY = re.compile(r"\bnon[- ]?empty\b|\bnot empty\b", re.IGNORECASE)
_AT_LEAST = re.compile(
    r"\b(?:length|size|len)\s+(?:of\s+)?at\s+least\s+(\d+|one|two|three|four|five)\b"
    r"|\bat\s+least\s+(\d+|one|two|three|four|five)\s+(?:elements|items|numbers|integers|values)\b",
    re.IGNORECASE,
)
_BOUND = re.compile(r"(-?\d+)\s*<=?\s*([A-Za-z_]\w*)\b|\b([A-Za-z_]\w*)\s*>=?\s*(-?\d+)")
"""A bound the docstring writes out (``0 <= k <= len(arr)``, ``n >= 1``): it wins over the words."""
_SIGNED = re.compile(
    r"\b(non[- ]?negative|positive)\s+(?:whole\s+)?(?:integer|int|number|float)s?"
    r"(?:\s+(?:number\s+)?([A-Za-z_]\w*)(?:\s*(?:,|and)\s*([A-Za-z_]\w*))?)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Contract:
    """The values a docstring rules out."""

    no_empty: bool = False
    min_length: int = 0
    minimum: int | None = None
    """Every number must be at least this (1: positive, 0: non-negative); ``None``: any number."""
    minimum_of: dict[str, int] = field(default_factory=dict)
    """The same, for the parameters the docstring names."""

    @classmethod
    def read(cls, docstring: str | None, params: tuple[str, ...] = ()) -> Contract:
        """The contract of a docstring, for a stub with these parameters."""
        no_empty = False
        lengths: list[int] = []
        minimum: int | None = None
        minimum_of: dict[str, int] = {}
        text = " ".join((docstring or "").split())
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            no_empty = no_empty or _about_input(sentence, _NON_EMPTY.search(sentence))
            lengths += [
                _number(match.group(1) or match.group(2))
                for match in _AT_LEAST.finditer(sentence)
                if _about_input(sentence, match)
            ]
            for match in _SIGNED.finditer(sentence):
                if not _about_input(sentence, match):
                    continue
                bound = 0 if match.group(1).lower().startswith("non") else 1
                named = [name for name in match.group(2, 3) if name and name in params]
                for name in named:
                    minimum_of[name] = min(bound, minimum_of.get(name, bound))
                if not named:
                    minimum = bound if minimum is None else min(minimum, bound)
        for low, name, other, high in _BOUND.findall(text):
            if (name or other) in params:
                minimum_of[name or other] = int(low or high)
        return cls(no_empty, min(lengths) if lengths else 0, minimum, minimum_of)

    def admits(self, value: Any, param: str | None = None) -> bool:
        """Whether ``value``, given for ``param``, keeps to what the docstring says."""
        if isinstance(value, bool):
            return True
        if isinstance(value, str):
            return not (self.no_empty and not value)
        minimum = self.minimum_of.get(param or "", self.minimum)
        if isinstance(value, list | tuple):
            if (self.no_empty and not value) or len(value) < self.min_length:
                return False
            return all(_at_least(item, minimum) for item in value)
        return _at_least(value, minimum)


def _about_input(sentence: str, match: re.Match[str] | None) -> bool:
    """Whether the phrase at ``match`` speaks of the input: an input word before it, no "return" before it."""
    if match is None:
        return False
    before = sentence[: match.start()]
    return bool(_INPUT.search(before)) and not _RETURN.search(before)


def _at_least(value: Any, minimum: int | None) -> bool:
    if minimum is None or isinstance(value, bool) or not isinstance(value, int | float):
        return True
    if isinstance(value, float) and minimum == 1:
        return value > 0
    return value >= minimum


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _WORDS[word.lower()]
