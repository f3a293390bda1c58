"""Money moves only through the order: capture at release, void or refund at cancellation,
partial refunds after shipment with a reason and an email (TOS-6, TOS-8, TOS-9)."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hearth.catalog.models import Variant
from hearth.core.errors import DomainError
from hearth.core.models import AuditEvent
from hearth.orders import services
from hearth.orders.models import Order, OrderRefund, OrderStatus
from hearth.orders.services import (
    cancel_by_customer,
    cancel_order,
    mark_delivered,
    mark_packed,
    mark_shipped,
    place_order,
    refund_order,
    release_order,
    start_picking,
)
from hearth.orders.tests.conftest import APPROVE_VISA, T0, card_token, draft, make_variant
from hearth.payments.selectors import payment

TOTAL = Decimal("224.87")  # 199.00 + 0.00 shipping + 13% HST... as placed by conftest's draft


def place(key: str = "k", **kwargs) -> Order:
    return place_order(
        draft=draft(**kwargs),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key=key,
        channel="web",
        at=T0,
    )


def shipped(key: str = "k") -> Order:
    order = release_order(order=place(key), actor=None, at=T0)
    for move in (start_picking, mark_packed, mark_shipped):
        move(order=order, actor=None, at=T0)
    order.refresh_from_db()
    return order


@pytest.mark.promise("TOS-6")
def test_a_partial_refund_after_shipment_has_a_reason_and_an_email(
    speaker, customer, smtp_server, django_capture_on_commit_callbacks
):
    order = shipped()
    with django_capture_on_commit_callbacks(execute=True):
        made = refund_order(
            order=order, amount=Decimal("25.00"), reason="Scratched box", actor=customer, at=T0
        )
    assert (made.amount, made.reason, made.actor) == (Decimal("25.00"), "Scratched box", customer)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED  # a goodwill refund does not end the order
    paid = payment(order.payment_id)
    assert (paid.refunded_amount, paid.refundable) == (Decimal("25.00"), TOTAL - Decimal("25.00"))
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == f"A refund on your order {order.number}"
    body = mail.get_body(("plain",)).get_content()
    assert "We refunded $25.00" in body
    assert "Scratched box" in body
    assert (
        AuditEvent.objects.filter(
            action="money_moved", object_type="orders.Order", object_id=str(order.pk)
        ).count()
        == 1
    )


@pytest.mark.promise("TOS-6")
def test_refunding_the_rest_after_shipment_ends_the_order_as_refunded(speaker):
    order = shipped()
    mark_delivered(order=order, actor=None, at=T0)
    refund_order(order=order, amount=Decimal("24.87"), reason="Late", actor=None, at=T0)
    refund_order(order=order, amount=None, reason="Broken on arrival", actor=None, at=T0)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert [r.amount for r in order.refunds.all()] == [Decimal("24.87"), Decimal("200.00")]
    assert payment(order.payment_id).refundable == Decimal("0.00")


@pytest.mark.promise("TOS-6")
@pytest.mark.parametrize("amount", ["224.88", "0.00", "-5.00"])
def test_refunding_more_than_captured_or_nothing_is_refused_and_changes_nothing(
    speaker, smtp_server, django_capture_on_commit_callbacks, amount
):
    order = shipped()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as caught:
        refund_order(order=order, amount=Decimal(amount), reason="Too much", actor=None, at=T0)
    assert caught.value.code == "refund_refused"
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert OrderRefund.objects.count() == 0
    assert payment(order.payment_id).refunded_amount == Decimal("0.00")
    assert smtp_server.messages == []


def test_a_second_refund_past_the_balance_is_refused(speaker):
    order = shipped()
    refund_order(order=order, amount=Decimal("200.00"), reason="Goodwill", actor=None, at=T0)
    with pytest.raises(DomainError) as caught:
        refund_order(order=order, amount=Decimal("24.88"), reason="Again", actor=None, at=T0)
    assert "At most $24.87" in str(caught.value.message)
    assert payment(order.payment_id).refunded_amount == Decimal("200.00")


def test_a_refund_needs_a_reason(speaker):
    order = shipped()
    with pytest.raises(DomainError) as caught:
        refund_order(order=order, amount=Decimal("1.00"), reason="  ", actor=None, at=T0)
    assert caught.value.code == "reason_required"
    assert payment(order.payment_id).refunded_amount == Decimal("0.00")


@pytest.mark.promise("TOS-6")
def test_a_refund_while_packed_cancels_the_shipment_first_and_refunds_in_full(
    speaker, smtp_server, django_capture_on_commit_callbacks
):
    seen: list[str] = []

    def cancel_shipment(order, actor, at):
        seen.append(order.number)

    services.on_shipment_cancelled(cancel_shipment)
    try:
        order = release_order(order=place(), actor=None, at=T0)
        start_picking(order=order, actor=None, at=T0)
        mark_packed(order=order, actor=None, at=T0)
        with django_capture_on_commit_callbacks(execute=True):
            refund_order(order=order, amount=None, reason="Customer phoned", actor=None, at=T0)
    finally:
        services._SHIPMENT_CANCELLERS.remove(cancel_shipment)  # fulfilment's own stays
    assert seen == [order.number]
    order.refresh_from_db()
    assert (order.status, order.cancellation_reason) == ("cancelled", "refunded_before_shipment")
    assert payment(order.payment_id).refunded_amount == TOTAL
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == f"Your order {order.number} is cancelled"
    assert f"We refunded ${TOTAL}" in mail.get_body(("plain",)).get_content()


def test_a_partial_refund_before_shipment_is_refused(speaker):
    order = release_order(order=place(), actor=None, at=T0)
    with pytest.raises(DomainError) as caught:
        refund_order(order=order, amount=Decimal("10.00"), reason="Part", actor=None, at=T0)
    assert caught.value.code == "refund_refused"
    order.refresh_from_db()
    assert order.status == OrderStatus.RELEASED
    assert payment(order.payment_id).refunded_amount == Decimal("0.00")


@pytest.mark.promise("TOS-6")
@pytest.mark.promise("TOS-9")
def test_cancel_and_refund_works_on_a_normal_released_order(
    speaker, smtp_server, django_capture_on_commit_callbacks
):
    order = release_order(order=place(), actor=None, at=T0)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(order=order, reason="manifest_error", actor=None, at=T0)
    order.refresh_from_db()
    assert (order.status, order.cancellation_reason) == ("cancelled", "manifest_error")
    assert payment(order.payment_id).refunded_amount == TOTAL
    [mail] = smtp_server.wait_for(1)
    body = mail.get_body(("plain",)).get_content()
    assert "A manifest error in a product's price or description" in body
    assert "Ember & Oak Audio" in body  # plain text: nothing HTML-escaped


def test_the_customer_cancels_a_placed_order_and_the_authorisation_is_voided(
    speaker, customer, smtp_server, django_capture_on_commit_callbacks
):
    order = place(customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_by_customer(order=order, actor=customer, at=T0)
    order.refresh_from_db()
    assert (order.status, order.cancellation_reason) == ("cancelled", "customer_request")
    assert payment(order.payment_id).status == "voided"
    assert speaker.__class__.objects.get(pk=speaker.pk).stock_on_hand == 5
    [mail] = smtp_server.wait_for(1)
    assert "Your payment was not taken" in mail.get_body(("plain",)).get_content()


def test_the_customer_cannot_cancel_once_picking_started(speaker, customer, smtp_server):
    order = release_order(order=place(customer=customer), actor=None, at=T0)
    start_picking(order=order, actor=None, at=T0)
    with pytest.raises(DomainError) as caught:
        cancel_by_customer(order=order, actor=customer, at=T0)
    assert caught.value.code == "cancel_too_late"
    assert "picking" in str(caught.value.message)
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKING
    assert payment(order.payment_id).refunded_amount == Decimal("0.00")
    assert smtp_server.messages == []


# --- The property: no sequence of moves ships an unreleased order or refunds more than captured.

MOVES = st.lists(
    st.one_of(
        st.sampled_from(
            ["release", "pick", "pack", "ship", "deliver", "lost", "cancel", "customer_cancel"]
        ),
        st.tuples(st.just("refund"), st.decimals(min_value=-10, max_value=300, places=2)),
    ),
    max_size=8,
)


def _apply(order: Order, move: object) -> None:
    if isinstance(move, tuple):
        refund_order(order=order, amount=move[1], reason="property", actor=None, at=T0)
        return
    calls = {
        "release": lambda: release_order(order=order, actor=None, at=T0),
        "pick": lambda: start_picking(order=order, actor=None, at=T0),
        "pack": lambda: mark_packed(order=order, actor=None, at=T0),
        "ship": lambda: mark_shipped(order=order, actor=None, at=T0),
        "deliver": lambda: mark_delivered(order=order, actor=None, at=T0),
        "lost": lambda: services.mark_exception(order=order, kind="lost", actor=None, at=T0),
        "cancel": lambda: cancel_order(order=order, reason="suspected_fraud", actor=None, at=T0),
        "customer_cancel": lambda: cancel_by_customer(order=order, actor=None, at=T0),
    }
    calls[str(move)]()


@pytest.mark.promise("TOS-6")
@pytest.mark.promise("TOS-8")
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(moves=MOVES)
def test_no_sequence_of_moves_ships_unreleased_or_refunds_more_than_captured(moves):
    if not Variant.objects.filter(sku="EO-ONE-OAK").update(stock_on_hand=10_000):
        make_variant("EO-ONE-OAK", "199.00", 10_000)
    order = place(key=f"prop-{Order.objects.count()}")
    for move in moves:
        with contextlib.suppress(DomainError):
            _apply(order, move)
        order.refresh_from_db()
        statuses = list(order.events.values_list("to_status", flat=True))
        if order.status in ("shipped", "delivered", "lost", "refunded") or order.shipped_at:
            assert "released" in statuses
            assert statuses.index("released") < statuses.index("shipped")
            assert order.payment_confirmed_at is not None
        paid = payment(order.payment_id)
        captured = paid.captured_amount or Decimal("0.00")
        refunds = sum((r.amount for r in order.refunds.all()), Decimal("0.00"))
        assert refunds == paid.refunded_amount
        assert refunds <= captured
