"""Warranty replacement orders: zero-priced, released at once, one per reference (issue #13)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hearth.catalog.models import Variant
from hearth.core.errors import DomainError
from hearth.orders import rules, selectors, services
from hearth.orders.models import Order, OrderStatus
from hearth.orders.tests.conftest import APPROVE_VISA, T0, card_token, draft, make_variant


def _original() -> Order:
    order = services.place_order(
        draft=draft(),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key="original-1",
        channel="web",
        at=T0,
    )
    return services.release_order(order=order, actor=None, at=T0)


@pytest.mark.promise("TOS-23")
def test_a_replacement_order_ships_one_unit_free_to_the_original_address_and_is_released(
    speaker: Variant,
) -> None:
    original = _original()
    replacement = services.place_replacement_order(
        reference="RMA-ABCDEFGH",
        sku="EO-ONE-OAK",
        recipient=services.recipient_of(original),
        ship_by=dt.date(2026, 3, 4),
        note="Warranty replacement for RMA-ABCDEFGH",
        actor=None,
        at=T0,
    )
    assert replacement.channel == rules.Channel.REPLACEMENT
    assert replacement.status == OrderStatus.RELEASED
    assert (replacement.grand_total, replacement.total_tax) == (Decimal("0.00"), Decimal("0.00"))
    assert replacement.payment_id == ""
    assert replacement.postal_code == original.postal_code
    assert replacement.contact_name == original.contact_name
    assert replacement.ship_date == dt.date(2026, 3, 2)  # before noon: today, within ship_by
    assert [(line.sku, line.quantity, line.unit_price) for line in replacement.lines.all()] == [
        ("EO-ONE-OAK", 1, Decimal("0.00"))
    ]
    assert replacement in selectors.orders_to_ship()
    speaker.refresh_from_db()
    assert speaker.stock_on_hand == 3  # one sold, one replacement


def test_a_second_replacement_for_the_same_reference_is_the_first(speaker: Variant) -> None:
    original = _original()
    kwargs = {
        "reference": "RMA-ABCDEFGH",
        "sku": "EO-ONE-OAK",
        "recipient": services.recipient_of(original),
        "ship_by": None,
        "note": "",
        "actor": None,
        "at": T0,
    }
    first = services.place_replacement_order(**kwargs)  # type: ignore[arg-type]
    second = services.place_replacement_order(**kwargs)  # type: ignore[arg-type]
    assert first.pk == second.pk
    speaker.refresh_from_db()
    assert speaker.stock_on_hand == 3


def test_a_replacement_out_of_stock_is_refused_and_nothing_is_kept(speaker: Variant) -> None:
    original = _original()
    make_variant("EO-TWO-OAK", "299.00", 0)
    before = Order.objects.count()
    with pytest.raises(DomainError) as refused:
        services.place_replacement_order(
            reference="RMA-ABCDEFGH",
            sku="EO-TWO-OAK",
            recipient=services.recipient_of(original),
            ship_by=None,
            note="",
            actor=None,
            at=T0,
        )
    assert refused.value.code == "out_of_stock"
    assert Order.objects.count() == before


def test_the_replacement_channel_cannot_place_a_sale(speaker: Variant) -> None:
    with pytest.raises(DomainError) as refused:
        services.place_order(
            draft=draft(),
            payment_token=card_token(APPROVE_VISA),
            payment_method="card",
            idempotency_key="sale-as-replacement",
            channel="replacement",
            at=T0,
        )
    assert refused.value.code == "unknown_channel"


def test_the_customer_cannot_cancel_a_warranty_replacement(speaker: Variant) -> None:
    original = _original()
    replacement = services.place_replacement_order(
        reference="RMA-ABCDEFGH",
        sku="EO-ONE-OAK",
        recipient=services.recipient_of(original),
        ship_by=None,
        note="",
        actor=None,
        at=T0,
    )
    assert not replacement.customer_may_cancel
    with pytest.raises(DomainError) as refused:
        services.cancel_by_customer(order=replacement, actor=None, at=T0)
    assert refused.value.code == "cancel_too_late"
    replacement.refresh_from_db()
    assert replacement.status == OrderStatus.RELEASED
