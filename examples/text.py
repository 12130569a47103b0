"""String helpers with examples in different styles."""


def reverse_words(sentence: str) -> str:
    """Reverse the order of the words in a sentence, separated by single spaces.

    >>> reverse_words("hello big world")
    'world big hello'
    >>> reverse_words("one")
    'one'
    """
    pass


def is_palindrome(text: str) -> bool:
    """Whether text reads the same backwards, ignoring case and non-letters.

    >>> is_palindrome("A man, a plan, a canal: Panama")
    True
    >>> is_palindrome("hello")
    False
    """
    # TODO


class Stack:
    """A last-in, first-out stack."""

    def __init__(self) -> None:
        self.items: list[int] = []

    def push_all(self, values: list[int]) -> int:
        """Push every value in order and return the new size of the stack.

        >>> Stack().push_all([1, 2, 3])
        3
        """
