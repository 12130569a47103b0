"""Small numeric helpers, each written as a stub with examples for `ncpu solve examples/`."""


def add(a: int, b: int) -> int:
    """Return the sum of a and b.

    >>> add(2, 3)
    5
    >>> add(-1, 1)
    0
    >>> add(10, 5)
    15
    """


def factorial(n: int) -> int:
    """Return n! for a non-negative integer n.

    factorial(0) -> 1
    factorial(5) -> 120
    factorial(6) -> 720
    """
    raise NotImplementedError


def count_vowels(text: str) -> int:
    """Count the vowels (a, e, i, o, u, either case) in text.

    count_vowels("hello") returns 2
    count_vowels("AEIOU xyz") returns 5
    """
    ...
