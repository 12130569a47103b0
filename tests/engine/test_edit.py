from __future__ import annotations

import ast

from extraction import find_stubs
from ncpu.edit import solution_note, splice

SOURCE = '''import math


class Shape:
    def area(self) -> float:
        """Area.

        >>> Shape().area()
        1.0
        """
        pass

    def name(self) -> str:
        """Name."""


def add(a, b):
    """Add.

    >>> add(1, 2)
    3
    """
    ...
'''


def test_splice_replaces_only_the_placeholder_and_keeps_indentation() -> None:
    stubs = {s.qualified_name: s for s in find_stubs(SOURCE)}
    text = splice(SOURCE, stubs["Shape.area"], "return 1.0\n", solution_note("greedy", 1, 1, True))
    assert '        """\n        # ncpu: verified (greedy, 1/1 checks passed)\n        return 1.0\n' in text
    assert "        pass\n" not in text
    ast.parse(text)
    assert (
        text.replace("        # ncpu: verified (greedy, 1/1 checks passed)\n        return 1.0", "        pass")
        == SOURCE
    )


def test_docstring_only_body_gets_a_new_line() -> None:
    stubs = {s.qualified_name: s for s in find_stubs(SOURCE)}
    text = splice(SOURCE, stubs["Shape.name"], "return 'shape'\n")
    assert '        """Name."""\n        return \'shape\'\n' in text
    ast.parse(text)


def test_multi_line_body_is_indented_and_blank_lines_stay_empty() -> None:
    stubs = {s.qualified_name: s for s in find_stubs(SOURCE)}
    text = splice(SOURCE, stubs["add"], "total = a\n\nreturn total + b\n")
    assert "    total = a\n\n    return total + b\n" in text
    ast.parse(text)


def test_unverified_note_says_so() -> None:
    assert "UNVERIFIED" in solution_note("greedy", 3, 4, False)
    assert "3 of 4" in solution_note("greedy", 3, 4, False)
