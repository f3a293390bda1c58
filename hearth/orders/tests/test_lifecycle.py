"""The order lifecycle through the database: the warehouse's moves, holds and refused moves."""

from __future__ import annotations

import pytest

from hearth.core.errors import DomainError
from hearth.orders import services
from hearth.orders.models import Order, OrderStatus
from hearth.orders.services import (
    mark_delivered,
    mark_exception,
    mark_packed,
    mark_shipped,
    place_order,
    release_order,
    start_picking,
)
from hearth.orders.tests.conftest import APPROVE_VISA, DECLINE_STOLEN, REVIEW, T0, card_token, draft


def place(number: str = APPROVE_VISA, key: str = "k", **kwargs) -> Order:
    return place_order(
        draft=draft(**kwargs),
        payment_token=card_token(number),
        payment_method="card",
        idempotency_key=key,
        channel="web",
        at=T0,
    )


def released(key: str = "k") -> Order:
    return release_order(order=place(key=key), actor=None, at=T0)


@pytest.mark.promise("TOS-8")
def test_a_released_order_goes_through_picking_packing_shipping_and_delivery(speaker, customer):
    order = released()
    start_picking(order=order, actor=customer, at=T0)
    mark_packed(order=order, actor=customer, at=T0)
    mark_shipped(order=order, actor=customer, at=T0, carrier="Canada Post", tracking_number="123")
    mark_delivered(order=order, actor=None, at=T0)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert order.shipped_at == T0
    assert order.delivered_at == T0
    events = list(order.events.values_list("from_status", "to_status", "actor_id", "note"))
    assert events[-4:] == [
        ("released", "picking", customer.pk, ""),
        ("picking", "packed", customer.pk, ""),
        ("packed", "shipped", customer.pk, "Canada Post 123"),
        ("shipped", "delivered", None, ""),
    ]


@pytest.mark.parametrize("kind", ["returned_to_sender", "lost"])
def test_a_shipped_parcel_can_be_returned_to_sender_or_lost(speaker, kind):
    order = released()
    for move in (start_picking, mark_packed, mark_shipped):
        move(order=order, actor=None, at=T0)
    mark_exception(order=order, kind=kind, actor=None, at=T0)
    order.refresh_from_db()
    assert order.status == kind


def test_an_unknown_shipment_exception_is_refused_and_changes_nothing(speaker):
    order = released()
    for move in (start_picking, mark_packed, mark_shipped):
        move(order=order, actor=None, at=T0)
    with pytest.raises(DomainError) as caught:
        mark_exception(order=order, kind="delivered", actor=None, at=T0)
    assert caught.value.code == "unknown_shipment_exception"
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


@pytest.mark.promise("TOS-21")
@pytest.mark.parametrize(("card", "reason"), [(REVIEW, "review")])
def test_nothing_on_hold_can_be_picked_or_shipped(speaker, card, reason):
    order = place(card)
    assert (order.status, order.hold_reason) == ("on_hold", reason)
    events_before = order.events.count()
    for move in (start_picking, mark_packed, mark_shipped):
        with pytest.raises(DomainError) as caught:
            move(order=order, actor=None, at=T0)
        assert caught.value.code == "status_move_not_allowed"
        assert "On hold" in str(caught.value.message)
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD
    assert order.shipped_at is None
    assert order.events.count() == events_before


def test_a_stolen_card_is_declined_and_no_order_kept(speaker):
    with pytest.raises(DomainError):
        place(DECLINE_STOLEN)
    assert Order.objects.count() == 0


@pytest.mark.promise("TOS-6")
def test_shipping_a_cancelled_order_is_refused(speaker):
    order = released()
    services.cancel_order(order=order, reason="manifest_error", actor=None, at=T0)
    with pytest.raises(DomainError) as caught:
        mark_shipped(order=order, actor=None, at=T0)
    assert "Cancelled" in str(caught.value.message)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.shipped_at is None


@pytest.mark.promise("TOS-6")
def test_cancelling_a_picked_order_cancels_the_shipment_first(speaker):
    calls: list[tuple[str, str]] = []

    def cancel_shipment(order, actor, at):
        calls.append((order.number, Order.objects.get(pk=order.pk).status))

    services.on_shipment_cancelled(cancel_shipment)
    try:
        order = released()
        start_picking(order=order, actor=None, at=T0)
        services.cancel_order(order=order, reason="manifest_error", actor=None, at=T0)
    finally:
        services._SHIPMENT_CANCELLERS.remove(cancel_shipment)
    assert calls == [(order.number, "cancelled")]


def test_cancelling_before_release_calls_no_shipment_canceller(speaker):
    calls: list[str] = []

    def cancel_shipment(order, actor, at):
        calls.append(order.number)

    services.on_shipment_cancelled(cancel_shipment)
    try:
        services.cancel_order(order=place(), reason="manifest_error", actor=None, at=T0)
    finally:
        services._SHIPMENT_CANCELLERS.remove(cancel_shipment)  # fulfilment's own stays
    assert calls == []


@pytest.mark.promise("TOS-9")
@pytest.mark.promise("TOS-21")
def test_a_discounted_order_from_a_customer_flagged_for_code_guessing_is_held(speaker):
    import dataclasses
    import datetime as dt
    from decimal import Decimal

    from hearth.core import clock
    from hearth.discounts import selectors as discount_selectors
    from hearth.discounts import services as discounts
    from hearth.discounts.tests.factories import make_code

    make_code()
    earlier = T0 - dt.timedelta(hours=2)
    with clock.frozen(earlier):
        for guess in ["AAAA", "BBBB", "CCCC", "DDDD", "EEEE"]:
            with pytest.raises(DomainError):
                discounts.preview(
                    code=guess,
                    subtotal=Decimal("100"),
                    at=earlier,
                    shopper="s1",
                    email="ada@example.com",
                )
    assert discount_selectors.misuse_flagged(email="ada@example.com") is True
    order = place_order(
        draft=dataclasses.replace(draft(), discount_code="SPRING10"),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key="flagged",
        channel="web",
        at=T0,
    )
    assert order.discount == Decimal("19.90")
    assert (order.status, order.hold_reason) == ("on_hold", "discount_misuse")
    with pytest.raises(DomainError):
        start_picking(order=order, actor=None, at=T0)


def test_an_unflagged_customer_s_discounted_order_is_not_held(speaker):
    import dataclasses

    from hearth.discounts.tests.factories import make_code

    make_code()
    order = place_order(
        draft=dataclasses.replace(draft(), discount_code="SPRING10"),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key="clean",
        channel="web",
        at=T0,
    )
    assert (order.status, order.hold_reason) == ("placed", "")
