"""The checkout review and the order confirmation give the same dates (TOS-20): one computation.

Before: Express plus a backordered item showed the Express estimate on review and the
backorder's date on the confirmation."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from hearth.catalog.models import Availability
from hearth.checkout.services import quote_checkout
from hearth.orders.services import place_order
from hearth.orders.tests.conftest import (  # noqa: F401  (fixtures: orders' setup and speaker)
    APPROVE_VISA,
    T0,
    card_token,
    draft,
    make_variant,
    quick_setup,
    speaker,
)


@pytest.mark.promise("TOS-20")
@pytest.mark.usefixtures("speaker")
@pytest.mark.parametrize("method", ["standard", "express"])
@pytest.mark.parametrize(
    ("expected", "ship"),
    [
        (dt.date(2026, 4, 15), dt.date(2026, 4, 15)),
        (dt.date(2026, 3, 1), dt.date(2026, 3, 2)),  # date already past: ordinary estimate
        (None, None),
    ],
)
def test_review_and_confirmation_give_the_same_dates_with_a_backordered_item(
    method, expected, ship
):
    make_variant(
        "EO-SUB-WAL",
        "499.00",
        0,
        availability=Availability.BACKORDER,
        expected_ship_date=expected,
        name="Ember Sub",
    )
    lines = [("EO-ONE-OAK", 1), ("EO-SUB-WAL", 1)]
    quote = quote_checkout(
        lines=lines,
        province="ON",
        shipping_method_code=method,
        discount_code=None,
        email="ada@example.com",
        shopper="test",
        at=T0,
    )
    order = place_order(
        draft=dataclasses.replace(draft(lines), shipping_method=method),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key=f"k-{method}",
        channel="web",
        at=T0,
    )
    review = (quote.dates.ship_date, quote.dates.delivery_earliest, quote.dates.delivery_latest)
    assert review == (order.ship_date, order.delivery_earliest, order.delivery_latest)
    assert quote.dates.ship_date == ship
    if expected is not None and expected > T0.date():
        assert quote.estimate.ship_date < quote.dates.ship_date  # the old review was earlier
