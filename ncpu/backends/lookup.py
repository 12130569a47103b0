"""Prompt lookup: draft the next tokens of a greedy answer by copying what followed the same n-gram before.

A code model's answer repeats its prompt a great deal: the parameter names, the docstring's words, the
previous attempt a retry shows it, and its own earlier lines. Prompt lookup decoding (Saxena, 2023; the
``prompt_lookup_num_tokens`` of Hugging Face's ``generate``, llama.cpp's ``lookup`` example) takes the last
few tokens, finds where they occurred before, and proposes the tokens that followed them there as a draft.
The model then checks the whole draft in one batch: every drafted token that equals its greedy choice is
kept, so the answer is the greedy answer, produced several tokens per step where the draft is right.

This module only drafts; ``ncpu.backends.llama_batch`` decodes and checks. The most recent occurrence is
used (the nearest context is the likeliest to continue the same way), the longest n-gram first.
"""

from __future__ import annotations

from collections.abc import Iterable

LONGEST_NGRAM = 3
SHORTEST_NGRAM = 2


class PromptLookup:
    """The tokens so far, indexed by their n-grams, and the draft they suggest for what comes next."""

    def __init__(self, tokens: Iterable[int], *, longest: int = LONGEST_NGRAM, shortest: int = SHORTEST_NGRAM) -> None:
        if not 1 <= shortest <= longest:
            raise ValueError(f"n-gram sizes must satisfy 1 <= shortest <= longest, not {shortest} and {longest}")
        self._longest = longest
        self._shortest = shortest
        self._tokens: list[int] = []
        self._follower: dict[tuple[int, ...], int] = {}
        """Each n-gram that has a token after it, mapped to the place of that token after its latest occurrence."""
        for token in tokens:
            self.append(token)

    def __len__(self) -> int:
        return len(self._tokens)

    def append(self, token: int) -> None:
        """Add the next token; the n-grams ending just before it now have a follower."""
        end = len(self._tokens)
        for size in range(self._shortest, min(self._longest, end) + 1):
            self._follower[tuple(self._tokens[end - size : end])] = end
        self._tokens.append(token)

    def draft(self, count: int) -> list[int]:
        """Up to ``count`` tokens that followed the latest earlier occurrence of the longest matching n-gram."""
        if count <= 0:
            return []
        for size in range(min(self._longest, len(self._tokens)), self._shortest - 1, -1):
            follower = self._follower.get(tuple(self._tokens[-size:]))
            if follower is not None:
                return self._tokens[follower : follower + count]
        return []
