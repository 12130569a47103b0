"""Items and the inventory that holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .money import to_cents


@dataclass(frozen=True)
class Item:
    """One kind of thing on the shelf."""

    sku: str
    price: Decimal
    quantity: int


@dataclass
class Inventory:
    """Items by SKU."""

    items: dict[str, Item] = field(default_factory=dict)

    def add(self, item: Item) -> None:
        """Put an item on the shelf, replacing one with the same SKU."""
        self.items[item.sku] = item

    def total_value_cents(self) -> int:
        """The value of everything on the shelf, in cents.

        >>> inv = Inventory()
        >>> inv.add(Item("a", Decimal("1.25"), 2))
        >>> inv.add(Item("b", Decimal("0.10"), 3))
        >>> inv.total_value_cents()
        280
        """
        raise NotImplementedError

    def low_stock(self, threshold: int) -> list[str]:
        """The SKUs with fewer than ``threshold`` units, sorted.

        >>> inv = Inventory()
        >>> inv.add(Item("b", Decimal("1"), 1))
        >>> inv.add(Item("a", Decimal("1"), 0))
        >>> inv.add(Item("c", Decimal("1"), 9))
        >>> inv.low_stock(2)
        ['a', 'b']
        """
        raise NotImplementedError


def restock_list(inventory: Inventory, threshold: int) -> dict[str, int]:
    """How many units of each low-stock SKU to order to bring it up to ``threshold``.

    >>> inv = Inventory()
    >>> inv.add(Item("a", Decimal("2"), 1))
    >>> inv.add(Item("b", Decimal("2"), 5))
    >>> restock_list(inv, 4)
    {'a': 3}
    """
    raise NotImplementedError
