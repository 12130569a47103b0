"""Money as integer cents."""

from decimal import ROUND_HALF_UP, Decimal


def to_cents(amount: Decimal) -> int:
    """Round a decimal amount of money to whole cents.

    >>> to_cents(Decimal("1.25"))
    125
    >>> to_cents(Decimal("0.105"))
    11
    """
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
