"""Prompt lookup drafts: what followed the latest earlier occurrence of the longest matching n-gram."""

from __future__ import annotations

import pytest

from ncpu.backends.lookup import PromptLookup


def test_the_tokens_after_an_earlier_occurrence_are_drafted() -> None:
    lookup = PromptLookup([1, 2, 3, 4, 5, 9, 1, 2])
    assert lookup.draft(3) == [3, 4, 5]
    assert lookup.draft(10) == [3, 4, 5, 9, 1, 2]  # as far as the tokens go
    assert lookup.draft(0) == []


def test_the_latest_occurrence_and_the_longest_ngram_win() -> None:
    latest = PromptLookup([7, 8, 1, 7, 8, 2, 7, 8])
    assert latest.draft(1) == [2]
    longest = PromptLookup([5, 7, 8, 1, 6, 7, 8, 2, 5, 7, 8])  # "7 8" last led to 2; "5 7 8" led to 1
    assert longest.draft(1) == [1]


def test_nothing_is_drafted_without_a_match_and_appended_tokens_are_indexed() -> None:
    lookup = PromptLookup([1, 2, 3])
    assert lookup.draft(4) == []  # "2 3" never occurred before its own end
    for token in (4, 2, 3):
        lookup.append(token)
    assert lookup.draft(4) == [4, 2, 3]
    assert len(lookup) == 6


def test_the_ngram_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="n-gram sizes"):
        PromptLookup([], longest=1, shortest=2)
    single = PromptLookup([3, 9, 4, 3], longest=1, shortest=1)
    assert single.draft(2) == [9, 4]
