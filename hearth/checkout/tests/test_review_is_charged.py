"""Through HTTP: the total on the review page, whose hidden ``basket_version`` field the place form
posts back, is exactly what is authorised, stored and printed on the tax invoice, in every
province and territory, with a discount code, express shipping and a backordered line (issue #12
item 4: one pricing path)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client

from hearth.checkout.tests.conftest import make_code, make_variant
from hearth.checkout.tests.test_web_checkout import add, hidden, pay_on_provider_page, place, text
from hearth.orders.invoices import render_invoice_pdf
from hearth.orders.models import Order
from hearth.orders.selectors import money_of

pytestmark = pytest.mark.usefixtures("frozen_clock", "speaker")

CONTACT = {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "613-555-0101"}
# One real address in each of the 13 jurisdictions (postal code matching the province).
WHERE = {
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


def shown_total(page: str) -> Decimal:
    match = re.search(r"<strong>\$([0-9,]+\.[0-9]{2})</strong>", page)
    assert match, "no total on the review page"
    return Decimal(match.group(1).replace(",", ""))


@pytest.mark.promise("TOS-1", "TOS-2", "TOS-11", "TOS-15")
@pytest.mark.parametrize("province", sorted(WHERE))
def test_the_total_reviewed_is_the_total_charged_and_invoiced(client: Client, province: str):
    make_code("SPRING10")
    make_variant(
        "EO-SUB-WAL",
        price="499.00",
        stock=0,
        availability="backorder",
        expected_ship_date=dt.date(2026, 12, 1),
        slug="ember-sub",
    )
    add(client)
    add(client, "EO-SUB-WAL")
    client.post("/checkout/age/", {"adult": "yes"})
    client.post("/checkout/contact/", CONTACT)
    city, postal_code = WHERE[province]
    address = {
        "lines": "1 Main Street",
        "city": city,
        "province": province,
        "postal_code": postal_code,
        "country": "CA",
    }
    assert client.post("/checkout/address/", address).url == "/checkout/delivery/"
    delivered = client.post(
        "/checkout/delivery/", {"shipping_method": "express", "discount_code": "spring10"}
    )
    assert delivered.url == "/checkout/payment/", text(delivered)
    assert pay_on_provider_page(client).url == "/checkout/review/"
    page = text(client.get("/checkout/review/"))
    reviewed = shown_total(page)
    assert "Discount SPRING10 (10% off)" in page and "$74.80" in page  # 10% of 748.00
    assert "$24.95" in page  # express

    placed = place(client, page)
    assert placed.status_code == 302, text(placed)
    order = Order.objects.get()
    assert order.province == province
    assert (order.discount, order.shipping, order.shipping_method) == (
        Decimal("74.80"),
        Decimal("24.95"),
        "express",
    )
    assert order.grand_total == reviewed
    assert money_of(order).authorised == reviewed
    pdf = render_invoice_pdf(order)
    assert f"(${reviewed:,.2f}) Tj".encode() in pdf  # the invoice's total line
    assert hidden(page, "basket_version")  # the reviewed price travelled in the form
