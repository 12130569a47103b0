"""A small stock-keeping package: items, an inventory, money in cents."""

from .core import Inventory, Item, restock_list

__all__ = ["Inventory", "Item", "restock_list"]
