"""Checkout's business rules, as pure functions of plain values (no ORM, no clock reads).

Basket quantities: :func:`quantity_refusal`. Discount codes' rules are in
:mod:`hearth.discounts.rules` (below orders, so that checkout -> orders runs one way).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal("0.00")

#: Most units of one SKU in one basket line (a household, not a reseller: TOS-3 "end user").
MAX_LINE_QUANTITY = 10
#: Most lines (distinct SKUs) one quote or order may name: far above any household's order,
#: low enough that a request cannot make the server price thousands of lines.
MAX_LINES = 50


class Availability(StrEnum):
    """Mirror of the catalogue's availability values (kept here so rules import no Django)."""

    IN_STOCK = "in_stock"
    PREORDER = "preorder"
    BACKORDER = "backorder"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why something was refused: a machine code and the values its message needs."""

    code: str
    params: dict[str, str] = field(default_factory=dict)


def quantity_refusal(
    *, quantity: int, stock_on_hand: int, availability: str, max_quantity: int = MAX_LINE_QUANTITY
) -> Refusal | None:
    """Why a basket line of ``quantity`` units is not possible, or None.

    In-stock items are limited by the stock on hand; pre-order and backorder items are not
    (they ship later, TOS-20), but every line is limited to ``max_quantity``.
    """
    if quantity < 1:
        return Refusal("invalid_quantity", {"max": str(max_quantity)})
    if quantity > max_quantity:
        return Refusal("invalid_quantity", {"max": str(max_quantity)})
    if availability == Availability.IN_STOCK and quantity > stock_on_hand:
        return Refusal("quantity_above_stock", {"stock": str(max(stock_on_hand, 0))})
    return None


# --- Checkout session upkeep (issue #10 item 11, PP-13): what the shopper typed lives in the
# session only while they are checking out. Idle this long, it is purged.

CHECKOUT_IDLE = dt.timedelta(minutes=30)


def checkout_abandoned(touched_at: dt.datetime | None, *, now: dt.datetime) -> bool:
    """Whether a checkout last touched at ``touched_at`` is abandoned at ``now`` (an unknown
    time counts as abandoned: keep nothing whose age we cannot tell)."""
    return touched_at is None or now - touched_at >= CHECKOUT_IDLE


#: A page that only shows the checkout (review) refreshes its idle clock at most this often:
#: a session write per page view otherwise. Every step that changes the checkout saves at once.
CHECKOUT_TOUCH_EVERY = dt.timedelta(minutes=1)


def checkout_touch_due(touched_at: dt.datetime | None, *, now: dt.datetime) -> bool:
    """Whether a checkout last touched at ``touched_at`` should be touched again at ``now``."""
    return touched_at is None or now - touched_at >= CHECKOUT_TOUCH_EVERY
