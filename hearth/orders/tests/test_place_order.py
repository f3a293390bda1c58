"""Placing orders through the database with the real sandbox provider's tokens."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hearth.catalog.models import Availability, Variant
from hearth.core.errors import DomainError
from hearth.orders import rules
from hearth.orders.errors import PaymentDeclined
from hearth.orders.models import Order, OrderEvent, OrderStatus
from hearth.orders.services import place_order
from hearth.orders.tests.conftest import (
    APPROVE_AMEX,
    APPROVE_MC,
    APPROVE_VISA,
    BC_ADDRESS,
    DECLINE_FUNDS,
    DECLINE_STOLEN,
    REVIEW,
    T0,
    card_token,
    draft,
    make_variant,
)
from hearth.payments.models import Payment
from hearth.payments.selectors import payment
from hearth.privacy.models import ConsentRecord
from hearth.privacy.selectors import version_keys_in_force


def place(
    number: str = APPROVE_VISA,
    key: str = "key-1",
    channel: str = "web",
    reviewed_price: str = "",
    **kwargs,
) -> Order:
    return place_order(
        draft=draft(**kwargs),
        payment_token=card_token(number),
        payment_method="card",
        idempotency_key=key,
        channel=channel,
        at=T0,
        reviewed_price=reviewed_price,
    )


@pytest.mark.promise("TOS-10")
@pytest.mark.promise("TOS-11")
@pytest.mark.parametrize("number", [APPROVE_VISA, APPROVE_MC, APPROVE_AMEX])
def test_an_approved_card_places_the_order_at_catalogue_prices_with_ontario_hst(speaker, number):
    order = place(number)
    assert order.status == OrderStatus.PLACED
    assert order.number.startswith("EO-") and len(order.number) == 11
    assert (order.subtotal, order.shipping, order.total_tax, order.grand_total) == (
        Decimal("199.00"),
        Decimal("0.00"),
        Decimal("25.87"),
        Decimal("224.87"),
    )
    assert order.tax_components == [{"code": "HST", "rate": "0.13", "amount": "25.87"}]
    assert [(line.sku, line.unit_price, line.quantity) for line in order.lines.all()] == [
        ("EO-ONE-OAK", Decimal("199.00"), 1)
    ]
    assert Variant.objects.get(sku="EO-ONE-OAK").stock_on_hand == 4
    assert payment(order.payment_id).status == "authorised"
    assert payment(order.payment_id).amount == Decimal("224.87")
    # Standard shipping: Monday 10:00 in Toronto ships that day, delivered in 2-3 business days.
    assert (order.ship_date, order.delivery_earliest, order.delivery_latest) == (
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 4),
        dt.date(2026, 3, 5),
    )
    assert list(OrderEvent.objects.filter(order=order).values_list("from_status", "to_status")) == [
        ("", "placed")
    ]


@pytest.mark.promise("TOS-9")
def test_a_declined_card_keeps_no_order_and_leaves_stock_intact(speaker):
    with pytest.raises(PaymentDeclined) as caught:
        place(DECLINE_FUNDS)
    assert caught.value.code == "payment_declined"
    assert caught.value.decline_code == "insufficient_funds"
    assert caught.value.fraud_suspected is False
    assert caught.value.fields == {"payment_token": str(caught.value.message)}
    assert Order.objects.count() == 0
    assert Variant.objects.get(sku="EO-ONE-OAK").stock_on_hand == 5


@pytest.mark.promise("TOS-9")
def test_a_stolen_card_keeps_no_order_and_the_attempt_is_flagged_as_fraud(speaker):
    with pytest.raises(PaymentDeclined) as caught:
        place(DECLINE_STOLEN)
    assert caught.value.decline_code == "stolen_card"
    assert caught.value.fraud_suspected is True
    assert Order.objects.count() == 0
    assert Variant.objects.get(sku="EO-ONE-OAK").stock_on_hand == 5
    flagged = Payment.objects.get(payment_id=caught.value.payment_id)
    assert (flagged.status, flagged.fraud_suspected) == ("declined", True)


@pytest.mark.promise("TOS-21")
def test_a_card_held_for_review_places_the_order_under_review_and_not_released(speaker):
    order = place(REVIEW)
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD
    assert order.payment_confirmed_at is None
    assert order.released_at is None
    assert list(order.events.values_list("to_status", flat=True)) == ["placed", "on_hold"]
    assert payment(order.payment_id).captured_amount is None


def test_a_replay_with_the_same_key_returns_the_same_order_and_charges_once(speaker):
    token = card_token(APPROVE_VISA)
    first = place_order(
        draft=draft(),
        payment_token=token,
        payment_method="card",
        idempotency_key="same",
        channel="web",
        at=T0,
    )
    again = place_order(
        draft=draft(),
        payment_token=token,
        payment_method="card",
        idempotency_key="same",
        channel="web",
        at=T0,
    )
    assert again.pk == first.pk
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert Variant.objects.get(sku="EO-ONE-OAK").stock_on_hand == 4


@pytest.mark.promise("TOS-3")
@pytest.mark.parametrize(
    ("attestations", "field"),
    [
        (rules.Attestations(adult=False, end_user=True, accurate=True), "attestations.adult"),
        (rules.Attestations(adult=True, end_user=False, accurate=True), "attestations.end_user"),
        (rules.Attestations(adult=True, end_user=True, accurate=False), "attestations.accurate"),
    ],
)
def test_an_order_without_every_attestation_is_not_accepted(speaker, attestations, field):
    with pytest.raises(DomainError) as caught:
        place(attestations=attestations)
    assert caught.value.code == "attestation_required"
    assert list(caught.value.fields) == [field]
    assert Order.objects.count() == 0
    assert Payment.objects.count() == 0


@pytest.mark.promise("TOS-3")
def test_the_order_records_when_each_attestation_was_given(speaker):
    order = place()
    assert order.attestations == {
        "adult": T0.isoformat(),
        "end_user": T0.isoformat(),
        "accurate": T0.isoformat(),
    }


@pytest.mark.promise("TOS-1")
@pytest.mark.promise("TOS-25")
@pytest.mark.promise("TOS-26")
def test_the_order_records_the_versions_in_force_and_the_customer_country(speaker):
    order = place()
    keys = version_keys_in_force(T0)
    assert (order.terms_version, order.eula_version, order.privacy_version) == (
        keys["terms"],
        keys["eula"],
        keys["privacy"],
    )
    assert order.terms_version and order.eula_version and order.privacy_version
    assert order.country == "CA"
    assert order.province == "ON"


@pytest.mark.promise("TOS-1")
def test_prices_come_from_the_catalogue_at_placement_never_from_the_client(speaker):
    Variant.objects.filter(sku="EO-ONE-OAK").update(price=Decimal("249.00"))
    order = place()
    assert order.lines.get().unit_price == Decimal("249.00")
    assert order.subtotal == Decimal("249.00")


@pytest.mark.promise("TOS-20")
def test_a_preorder_line_keeps_its_expected_ship_date_and_the_order_ships_then(speaker):
    make_variant(
        "EO-ARC-WAL",
        "499.00",
        0,
        availability=Availability.PREORDER,
        expected_ship_date=dt.date(2026, 4, 15),
        name="Ember Arc",
    )
    order = place(lines=[("EO-ONE-OAK", 1), ("EO-ARC-WAL", 1)])
    lines = {line.sku: line for line in order.lines.all()}
    assert lines["EO-ARC-WAL"].availability == "preorder"
    assert lines["EO-ARC-WAL"].expected_ship_date == dt.date(2026, 4, 15)
    assert lines["EO-ONE-OAK"].expected_ship_date is None
    assert (order.ship_date, order.delivery_earliest, order.delivery_latest) == (
        dt.date(2026, 4, 15),
        dt.date(2026, 4, 17),
        dt.date(2026, 4, 20),
    )


@pytest.mark.promise("TOS-12")
def test_a_bc_pst_number_is_refused_on_the_web(speaker):
    with pytest.raises(DomainError) as caught:
        place(address=BC_ADDRESS, bc_pst_number="PST-1234-5678")
    assert caught.value.code == "bc_pst_number_phone_only"
    assert list(caught.value.fields) == ["bc_pst_number"]


@pytest.mark.promise("TOS-12")
def test_a_bc_resale_by_phone_charges_gst_but_not_pst(speaker):
    order = place(address=BC_ADDRESS, bc_pst_number="PST-1234-5678", channel="phone")
    assert order.tax_components == [{"code": "GST", "rate": "0.05", "amount": "9.95"}]
    assert order.grand_total == Decimal("208.95")
    assert order.bc_pst_number == "PST-1234-5678"


@pytest.mark.promise("TOS-17")
def test_a_po_box_is_refused_with_the_reason_and_nothing_is_charged(speaker):
    address = {**BC_ADDRESS, "lines": ["PO Box 123"]}
    with pytest.raises(DomainError) as caught:
        place(address=address)
    assert caught.value.code == "address_refused"
    assert "shipping_address.lines" in caught.value.fields
    assert Payment.objects.count() == 0


def test_out_of_stock_keeps_no_order_and_charges_nothing(speaker):
    with pytest.raises(DomainError) as caught:
        place(lines=[("EO-ONE-OAK", 6)])
    assert caught.value.code == "out_of_stock"
    assert Order.objects.count() == 0
    assert Payment.objects.count() == 0


def test_the_marketing_choice_at_checkout_lands_in_the_consent_ledger(speaker):
    place(marketing_opt_in=True)
    record = ConsentRecord.objects.get(source="checkout")
    assert (record.purpose, record.granted, record.email) == (
        "marketing_email",
        True,
        "ada@example.com",
    )


def reviewed(total: str, unit_price: str = "199.00", discount: str = "0") -> str:
    """The fingerprint a review page showing these figures carries (one EO-ONE-OAK)."""
    return rules.price_fingerprint(
        [("EO-ONE-OAK", 1, Decimal(unit_price))],
        discount=Decimal(discount),
        shipping=Decimal("0"),
        total=Decimal(total),
    )


def test_the_price_reviewed_is_placed_when_placing_prices_the_same(speaker):
    order = place(key="key-reviewed", reviewed_price=reviewed("224.87"))
    assert order.grand_total == Decimal("224.87")


@pytest.mark.parametrize(
    "what_the_customer_saw",
    [
        reviewed("224.87", unit_price="189.00"),  # the price went up since the review
        reviewed("214.87", discount="10.00"),  # a discount that no longer applies
        reviewed("218.91"),  # another province's tax
    ],
)
def test_a_price_changed_since_the_review_charges_nothing_and_takes_no_stock(
    speaker, what_the_customer_saw
):
    with pytest.raises(DomainError) as caught:
        place(key="key-changed", reviewed_price=what_the_customer_saw)
    assert caught.value.code == "price_changed"
    assert list(caught.value.fields) == ["basket_version"]
    assert not Order.objects.exists()
    assert not Payment.objects.exists()
    assert Variant.objects.get(sku="EO-ONE-OAK").stock_on_hand == 5


def test_the_fingerprint_counts_amounts_to_the_cent():
    assert rules.price_fingerprint(
        [("A", 1, Decimal("5"))], discount=Decimal("0"), shipping=Decimal("0"), total=None
    ) == rules.price_fingerprint(
        [("A", 1, Decimal("5.00"))], discount=Decimal("0.00"), shipping=Decimal("0.0"), total=None
    )
    assert rules.price_fingerprint(
        [("A", 2, Decimal("5"))], discount=Decimal("0"), shipping=Decimal("0"), total=None
    ) != rules.price_fingerprint(
        [("A", 1, Decimal("5"))], discount=Decimal("0"), shipping=Decimal("0"), total=None
    )
