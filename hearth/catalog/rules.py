"""Pure catalogue rules: what a variant's availability means, and how order lines are normalised.

No Django, no database, no clock: plain values in, plain values out.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Availability(StrEnum):
    """How a variant is sold (the model's TextChoices use the same values)."""

    IN_STOCK = "in_stock"
    PREORDER = "preorder"
    BACKORDER = "backorder"


class StockState(StrEnum):
    """What the shopper is told about a variant."""

    IN_STOCK = "in_stock"
    OUT_OF_STOCK = "out_of_stock"
    PREORDER = "preorder"
    BACKORDER = "backorder"


class LineError(ValueError):
    """An order line is malformed: ``sku`` names the line, ``reason`` says why."""

    def __init__(self, sku: str, reason: str) -> None:
        super().__init__(f"{sku}: {reason}")
        self.sku = sku
        self.reason = reason


def is_stock_checked(availability: str) -> bool:
    """Only in-stock variants are reserved against stock on hand; pre-orders and backorders are
    sold outside it (TOS-20)."""
    return Availability(availability) is Availability.IN_STOCK


def stock_state(availability: str, stock_on_hand: int) -> StockState:
    """What the product page says about a variant."""
    kind = Availability(availability)
    if kind is Availability.PREORDER:
        return StockState.PREORDER
    if kind is Availability.BACKORDER:
        return StockState.BACKORDER
    return StockState.IN_STOCK if stock_on_hand > 0 else StockState.OUT_OF_STOCK


def is_purchasable(availability: str, stock_on_hand: int) -> bool:
    """Whether a shopper may put the variant in a basket now."""
    return stock_state(availability, stock_on_hand) is not StockState.OUT_OF_STOCK


def normalise_lines(lines: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Merge repeated SKUs and sort by SKU (the fixed lock order of stock reservation).

    Raises :class:`LineError` for an empty SKU or a quantity that is not a positive integer.
    """
    merged: dict[str, int] = {}
    for sku, quantity in lines:
        if not isinstance(sku, str) or not sku.strip():
            raise LineError(str(sku), "empty SKU")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise LineError(sku, "quantity must be a whole number of at least 1")
        merged[sku] = merged.get(sku, 0) + quantity
    return sorted(merged.items())
