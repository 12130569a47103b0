"""Whether the checks say enough to trust a candidate that no model wrote from the docstring.

Library reuse and template synthesis pick programs by behaviour alone. With two examples, far too many
programs agree with them (``len(s) % 2 == 0`` "is" a palindrome test), and a wrong body that passes the
checks would pre-empt the model and be reported as verified. These layers therefore run only when the
examples carry enough evidence to pin the behaviour down.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from extraction.check import Check

MIN_EXAMPLES = 3
MIN_BOOLEAN_EXAMPLES = 4
"""Yes/no examples a reused body (the library layer) must meet: the body was verified elsewhere already."""
MIN_BOOLEAN_EXAMPLES_TO_SYNTHESIZE = 5
"""Yes/no examples before the template layer proposes a predicate: a synthesized body has no other evidence."""


def _expected_value(check: Check) -> object:
    try:
        return ast.literal_eval(check.expected or "")
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return check.expected


def strong_enough_for_behavioural_match(checks: Sequence[Check]) -> bool:
    """At least three examples with a stated outcome, not all the same; four (both ways) for booleans."""
    stated = [c for c in checks if c.mode in ("value", "output", "raises")]
    if len(stated) < MIN_EXAMPLES:
        return False
    values = [_expected_value(c) for c in stated]
    distinct = {repr(v) for v in values}
    if len(distinct) < 2:
        return False
    if all(isinstance(v, bool) for v in values):
        return len(stated) >= MIN_BOOLEAN_EXAMPLES
    return True
