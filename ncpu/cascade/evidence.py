"""Whether the checks say enough to trust a candidate that no model wrote from the docstring.

Library reuse and template synthesis pick programs by behaviour alone. With two examples, far too many
programs agree with them (``len(s) % 2 == 0`` "is" a palindrome test), and a wrong body that passes the
checks would pre-empt the model and be reported as verified. These layers therefore run only when the
examples carry enough evidence to pin the behaviour down.
"""

from __future__ import annotations

from collections.abc import Sequence

from extraction.check import Check
from ncpu.sandbox.values import parse_expected

MIN_EXAMPLES_TO_REUSE = 3
"""Examples with a stated outcome, not all the same, before the library layer may reuse a body."""
MIN_BOOLEAN_EXAMPLES_TO_REUSE = 4
"""Yes/no examples the library layer needs before it reuses a body.

Counts every stated check (values, printed output, exceptions). Fewer than ``MIN_BOOLEAN_EXAMPLES_TO_SYNTHESIZE``
because a reused body was verified elsewhere already: the examples only have to tell it apart from the
store's other verified bodies of the same arity, not from every predicate a search could build.
"""
MIN_BOOLEAN_EXAMPLES_TO_SYNTHESIZE = MIN_BOOLEAN_EXAMPLES_TO_REUSE + 1
"""Yes/no examples before the template layer offers a predicate (``templates._trusted_boolean``).

Counts only the examples the search can use (literal arguments and a ``bool`` expectation), both answers
among them. One more than ``MIN_BOOLEAN_EXAMPLES_TO_REUSE``: a synthesized body has no evidence but these
examples, and the search tries thousands of predicates, so it also needs few rival fits. The two rules are
kept apart on purpose: making them one would change which bodies either layer offers.
"""


def _expected_value(check: Check) -> object:
    """The expected outcome as a value where it is one (``True``, ``[1, 2]``), else as written."""
    ok, value = parse_expected(check.expected)
    return value if ok else check.expected


def strong_enough_for_behavioural_match(checks: Sequence[Check]) -> bool:
    """At least three examples with a stated outcome, not all the same; four (both ways) for booleans."""
    stated = [c for c in checks if c.mode in ("value", "output", "raises")]
    if len(stated) < MIN_EXAMPLES_TO_REUSE:
        return False
    values = [_expected_value(c) for c in stated]
    distinct = {repr(v) for v in values}
    if len(distinct) < 2:
        return False
    if all(isinstance(v, bool) for v in values):
        return len(stated) >= MIN_BOOLEAN_EXAMPLES_TO_REUSE
    return True
