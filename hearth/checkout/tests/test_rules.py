"""Basket quantity rules, as a table of cases (discount rules: hearth/discounts/tests)."""

from __future__ import annotations

import pytest

from hearth.checkout import rules
from hearth.checkout.rules import Refusal


@pytest.mark.parametrize(
    ("quantity", "stock", "availability", "expected"),
    [
        (1, 5, "in_stock", None),
        (5, 5, "in_stock", None),
        (6, 5, "in_stock", Refusal("quantity_above_stock", {"stock": "5"})),
        (1, 0, "in_stock", Refusal("quantity_above_stock", {"stock": "0"})),
        (3, 0, "preorder", None),
        (3, 0, "backorder", None),
        (0, 5, "in_stock", Refusal("invalid_quantity", {"max": "10"})),
        (11, 50, "in_stock", Refusal("invalid_quantity", {"max": "10"})),
        (11, 0, "preorder", Refusal("invalid_quantity", {"max": "10"})),
    ],
)
def test_basket_quantity_is_limited_by_stock_and_per_line(
    quantity: int, stock: int, availability: str, expected: Refusal | None
) -> None:
    assert (
        rules.quantity_refusal(quantity=quantity, stock_on_hand=stock, availability=availability)
        == expected
    )
