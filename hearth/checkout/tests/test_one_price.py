"""The price the customer reviewed is exactly the one charged and invoiced (issue #12 item 4):
in every province and territory, with a discount code, express shipping and a backordered line,
the checkout's review (whose total the hidden ``basket_version`` field carries), the phone quote,
the authorised amount, the stored order and the invoice's price are one ``price_order`` answer."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest

from hearth.catalog.models import Availability
from hearth.checkout.services import quote_checkout
from hearth.discounts.tests.factories import make_code
from hearth.orders.selectors import money_of, order_price
from hearth.orders.services import place_order, quote_order
from hearth.orders.tests.conftest import (  # noqa: F401  (fixtures: orders' setup and speaker)
    APPROVE_VISA,
    T0,
    card_token,
    draft,
    make_variant,
    quick_setup,
    speaker,
)


@pytest.fixture
def ten_percent_off():
    return make_code("TENOFF", kind="percent", value=D("10.00"))


# One real address in each of the 13 jurisdictions (postal code matching the province).
ADDRESSES = {
    "AB": ("Calgary", "T2P 1J9"),
    "BC": ("Vancouver", "V6B 1A1"),
    "MB": ("Winnipeg", "R3C 0V8"),
    "NB": ("Fredericton", "E3B 1B2"),
    "NL": ("St. John's", "A1C 5M2"),
    "NS": ("Halifax", "B3J 3A5"),
    "NT": ("Yellowknife", "X1A 2P8"),
    "NU": ("Iqaluit", "X0A 0H0"),
    "ON": ("Toronto", "M5H 2N2"),
    "PE": ("Charlottetown", "C1A 4P3"),
    "QC": ("Montréal", "H2W 1Z5"),
    "SK": ("Regina", "S4P 3Y2"),
    "YT": ("Whitehorse", "Y1A 1B2"),
}


@pytest.mark.promise("TOS-1", "TOS-2", "TOS-11", "TOS-15")
@pytest.mark.usefixtures("speaker")
@pytest.mark.parametrize("province", sorted(ADDRESSES))
def test_reviewed_price_is_the_price_charged_and_invoiced_in_every_province(
    ten_percent_off, province
):
    make_variant(
        "EO-SUB-WAL",
        "499.00",
        0,
        availability=Availability.BACKORDER,
        expected_ship_date=dt.date(2026, 4, 15),
        name="Ember Sub",
    )
    city, postal_code = ADDRESSES[province]
    address = {
        "lines": ["1 Main Street"],
        "city": city,
        "province": province,
        "postal_code": postal_code,
        "country": "CA",
    }
    lines = [("EO-ONE-OAK", 2), ("EO-SUB-WAL", 1)]
    reviewed = quote_checkout(
        lines=lines,
        province=province,
        shipping_method_code="express",
        discount_code="TENOFF",
        email="ada@example.com",
        shopper="review",
        at=T0,
    ).summary
    order_draft = dataclasses.replace(
        draft(lines, address=address), discount_code="TENOFF", shipping_method="express"
    )
    phone = quote_order(draft=order_draft, channel="phone", at=T0)
    order = place_order(
        draft=order_draft,
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key=f"price-{province}",
        channel="web",
        at=T0,
    )
    invoiced = order_price(order)

    assert reviewed.price is not None
    assert reviewed.discount > 0 and reviewed.shipping > 0  # a discount and express were priced
    assert order.discount == reviewed.discount
    assert order.shipping == reviewed.shipping
    assert order.grand_total == reviewed.total == phone.price.total.amount
    assert invoiced == reviewed.price == phone.price
    assert order.tax_components == reviewed.price.components()
    assert money_of(order).authorised == order.grand_total  # authorised: what was reviewed
