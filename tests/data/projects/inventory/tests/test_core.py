from decimal import Decimal

from inventory import Inventory, Item, restock_list


def test_total_value_cents_rounds_each_price() -> None:
    inv = Inventory()
    inv.add(Item("a", Decimal("0.105"), 10))
    assert inv.total_value_cents() == 110


def test_empty_inventory_is_worth_nothing() -> None:
    assert Inventory().total_value_cents() == 0


def test_low_stock_and_restock() -> None:
    inv = Inventory()
    inv.add(Item("x", Decimal("1"), 0))
    inv.add(Item("y", Decimal("1"), 3))
    assert inv.low_stock(3) == ["x"]
    assert restock_list(inv, 3) == {"x": 3}
