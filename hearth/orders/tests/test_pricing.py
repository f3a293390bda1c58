"""One pricing path (issue #12 item 4): ``price_order`` by a table of cases; an invoice never
shows another price than the charge. (That the reviewed price is the one charged and invoiced, in
every province: hearth/checkout/tests/test_one_price.py, since checkout sits above orders.)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from hearth.core.errors import DomainError
from hearth.core.money import Money
from hearth.core.places import Province
from hearth.orders.pricing import PriceLine, PricingDraft, price_order, province_of
from hearth.orders.selectors import PriceMismatch, order_price
from hearth.orders.services import place_order
from hearth.orders.tests.conftest import APPROVE_VISA, T0, card_token, draft

ON_DAY = dt.date(2026, 3, 2)


def _draft(**overrides: object) -> PricingDraft:
    fields: dict[str, object] = {
        "lines": (PriceLine("EO-ONE-OAK", Money(D("249.00")), 2),),
        "province": Province.ON,
        "on": ON_DAY,
        "shipping_method": "standard",
        "shipping_fee": Money(D("0.00")),
        "discount": Money(D("0.00")),
        "bc_pst_number": None,
    }
    fields.update(overrides)
    return PricingDraft(**fields)  # type: ignore[arg-type]


# (case, draft overrides, goods, subtotal, components (code, amount), total_tax, total)
CASES = [
    ("ontario hst", {}, "498.00", "498.00", [("HST", "64.74")], "64.74", "562.74"),
    (
        "alberta gst only, express fee taxed",
        {"province": Province.AB, "shipping_method": "express", "shipping_fee": Money(D("24.95"))},
        "498.00",
        "522.95",
        [("GST", "26.15")],
        "26.15",
        "549.10",
    ),
    (
        "quebec gst and qst after a discount",
        {"province": Province.QC, "discount": Money(D("49.80"))},
        "498.00",
        "448.20",
        [("GST", "22.41"), ("QST", "44.71")],
        "67.12",
        "515.32",
    ),
    (
        "british columbia gst and pst",
        {"province": Province.BC},
        "498.00",
        "498.00",
        [("GST", "24.90"), ("PST", "34.86")],
        "59.76",
        "557.76",
    ),
    (
        "british columbia resale: pst number drops pst, not gst",
        {"province": Province.BC, "bc_pst_number": "PST-1234-5678"},
        "498.00",
        "498.00",
        [("GST", "24.90")],
        "24.90",
        "522.90",
    ),
    (
        "nova scotia hst 14% from april 2025",
        {"province": Province.NS},
        "498.00",
        "498.00",
        [("HST", "69.72")],
        "69.72",
        "567.72",
    ),
    (
        "half a cent rounds up, once per component",
        {"province": Province.AB, "lines": (PriceLine("EO-X", Money(D("0.10")), 1),)},
        "0.10",
        "0.10",
        [("GST", "0.01")],
        "0.01",
        "0.11",
    ),
    (
        "a discount of the whole lines leaves shipping taxed",
        {
            "province": Province.YT,
            "discount": Money(D("498.00")),
            "shipping_fee": Money(D("24.95")),
        },
        "498.00",
        "24.95",
        [("GST", "1.25")],
        "1.25",
        "26.20",
    ),
]


@pytest.mark.promise("TOS-11", "TOS-2")
@pytest.mark.parametrize(
    ("overrides", "goods", "subtotal", "components", "total_tax", "total"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_price_order_by_table(overrides, goods, subtotal, components, total_tax, total):
    price = price_order(_draft(**overrides))
    assert price.goods == Money(D(goods))
    assert price.subtotal == Money(D(subtotal))
    assert [(c.code, c.amount) for c in price.tax] == [(code, D(a)) for code, a in components]
    assert price.total_tax == Money(D(total_tax))
    assert price.total == Money(D(total))
    assert price.total == price.subtotal + price.total_tax


def test_price_order_refuses_a_discount_above_the_lines():
    with pytest.raises(DomainError) as caught:
        price_order(_draft(discount=Money(D("498.01"))))
    assert caught.value.code == "discount_exceeds_lines"
    assert list(caught.value.fields) == ["discount"]


def test_province_is_one_of_thirteen_and_a_bare_string_outside_them_is_refused():
    assert len(Province) == 13
    assert province_of(" qc ") is Province.QC
    with pytest.raises(DomainError) as caught:
        province_of("XX")
    assert caught.value.code == "unknown_province"
    assert list(caught.value.fields) == ["province"]


def test_an_invoice_never_shows_a_price_other_than_the_charge(speaker):
    order = place_order(
        draft=draft([("EO-ONE-OAK", 1)]),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key="mismatch",
        channel="web",
        at=T0,
    )
    order.grand_total += D("0.01")
    with pytest.raises(PriceMismatch):
        order_price(order)
