"""Received stock goes to the oldest waiting pre-order and backorder lines; the rest are re-dated,
one email each (TOS-20); an order waiting for stock is captured only when it gets it (TOS-8)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hearth.catalog.models import Availability, Variant
from hearth.core.errors import DomainError
from hearth.core.l10n import human_date
from hearth.orders import tasks
from hearth.orders.models import Order, OrderStatus
from hearth.orders.services import allocate_received_stock, place_order
from hearth.orders.tests.conftest import APPROVE_VISA, REVIEW, T0, card_token, draft, make_variant
from hearth.payments.selectors import payment

APRIL = dt.date(2026, 4, 15)
JUNE = dt.date(2026, 6, 10)
RECEIVED_AT = dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC)  # Monday 9 March, 10:00 Toronto
SUB = "EO-SUB-WAL"


@pytest.fixture
def backorder() -> Variant:
    return make_variant(
        SUB, "499.00", 0, availability=Availability.BACKORDER, expected_ship_date=APRIL
    )


def place(key: str, quantity: int, *, at: dt.datetime, card: str = APPROVE_VISA, extra=()):
    return place_order(
        draft=draft(lines=[(SUB, quantity), *extra], email=f"{key}@example.com"),
        payment_token=card_token(card),
        payment_method="card",
        idempotency_key=key,
        channel="web",
        at=at,
    )


def test_an_order_waiting_for_stock_is_not_captured_at_placing(backorder, speaker):
    order = place("a", 1, at=T0, extra=[("EO-ONE-OAK", 1)])
    assert tasks.release_paid_order.call(order.pk) == "waiting_for_stock"
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    assert payment(order.payment_id).captured_amount is None


@pytest.mark.promise("TOS-20")
@pytest.mark.promise("TOS-8")
def test_received_stock_goes_to_the_oldest_orders_and_the_rest_are_re_dated_once_each(
    backorder, smtp_server, django_capture_on_commit_callbacks
):
    oldest = place("oldest", 1, at=T0)
    middle = place("middle", 2, at=T0 + dt.timedelta(hours=1))
    newest = place("newest", 1, at=T0 + dt.timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        result = allocate_received_stock(
            variant=backorder,
            quantity=2,
            actor=None,
            at=RECEIVED_AT,
            next_expected_ship_date=JUNE,
        )
    # The middle order needs 2 and only 1 is left: the newest does not jump the queue.
    assert result.allocated == [oldest.number]
    assert result.waiting == [middle.number, newest.number]
    assert result.left_over == 1
    for order in (oldest, middle, newest):
        order.refresh_from_db()
    assert oldest.status == OrderStatus.RELEASED
    assert payment(oldest.payment_id).captured_amount == Decimal("563.87")
    assert oldest.ship_date == RECEIVED_AT.date()  # in stock now, before the noon cut-off
    assert (middle.status, middle.ship_date) == (OrderStatus.PLACED, JUNE)
    assert (newest.status, newest.ship_date) == (OrderStatus.PLACED, JUNE)
    assert payment(middle.payment_id).captured_amount is None
    mails = smtp_server.wait_for(3)
    by_recipient: dict[str, list[str]] = {}
    for mail in mails:
        by_recipient.setdefault(mail["To"], []).append(mail["Subject"])
    assert by_recipient == {
        "oldest@example.com": [f"Your order {oldest.number}: the item you waited for is in"],
        "middle@example.com": [f"A new expected ship date for your order {middle.number}"],
        "newest@example.com": [f"A new expected ship date for your order {newest.number}"],
    }
    assert f"expected to ship on {human_date(RECEIVED_AT.date(), 'en')}" in (
        mails[[m["To"] for m in mails].index("oldest@example.com")]
        .get_body(("plain",))
        .get_content()
    )


def test_an_allocated_line_keeps_its_date_when_the_catalogue_date_moves(backorder):
    from hearth.catalog.services import set_expected_ship_date

    first = place("first", 1, at=T0)
    second = place("second", 1, at=T0 + dt.timedelta(hours=1))
    allocate_received_stock(variant=SUB, quantity=1, actor=None, at=RECEIVED_AT)
    set_expected_ship_date(sku=SUB, expected_ship_date=JUNE, actor=None, at=RECEIVED_AT)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.ship_date == RECEIVED_AT.date()
    assert second.ship_date == JUNE


def test_a_held_order_gets_its_stock_but_stays_held(backorder):
    held = place("held", 1, at=T0, card=REVIEW)
    result = allocate_received_stock(variant=SUB, quantity=1, actor=None, at=RECEIVED_AT)
    assert result.allocated == [held.number]
    held.refresh_from_db()
    assert held.status == OrderStatus.ON_HOLD
    assert payment(held.payment_id).captured_amount is None


def test_nothing_waiting_leaves_every_unit_over_and_sends_nothing(backorder, smtp_server):
    result = allocate_received_stock(variant=SUB, quantity=4, actor=None, at=RECEIVED_AT)
    assert (result.allocated, result.waiting, result.left_over) == ([], [], 4)
    assert smtp_server.messages == []


@pytest.mark.parametrize("quantity", [-1, 1.5, "2"])
def test_a_bad_received_quantity_is_refused_and_changes_nothing(backorder, quantity):
    order = place("a", 1, at=T0)
    with pytest.raises(DomainError) as caught:
        allocate_received_stock(variant=SUB, quantity=quantity, actor=None, at=RECEIVED_AT)
    assert caught.value.code == "invalid_quantity"
    assert Order.objects.get(pk=order.pk).lines.get().allocated_at is None


@pytest.mark.promise("TOS-21")
def test_clearing_a_held_backorder_waits_for_stock_before_capture(backorder, staff_client):
    held = place("held", 1, at=T0, card=REVIEW)
    response = staff_client("finance").post(f"/back-office/review/{held.number}/clear/")
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == OrderStatus.PLACED
    assert payment(held.payment_id).captured_amount is None
    allocate_received_stock(variant=SUB, quantity=1, actor=None, at=RECEIVED_AT)
    held.refresh_from_db()
    assert held.status == OrderStatus.RELEASED
    assert payment(held.payment_id).captured_amount == Decimal("563.87")


TEN_DAYS_LATER = T0 + dt.timedelta(days=10)


@pytest.mark.promise("TOS-8")
def test_a_long_backorder_is_re_authorised_before_capture(backorder):
    from hearth.core import clock

    order = place("long", 1, at=T0)
    first_payment = order.payment_id
    with clock.frozen(TEN_DAYS_LATER):
        allocate_received_stock(variant=SUB, quantity=1, actor=None, at=TEN_DAYS_LATER)
    order.refresh_from_db()
    assert order.status == OrderStatus.RELEASED
    assert order.payment_id != first_payment
    assert payment(first_payment).status == "voided"
    renewed = payment(order.payment_id)
    assert (renewed.status, renewed.captured_amount) == ("captured", Decimal("563.87"))
    notes = list(order.events.values_list("note", flat=True))
    assert "The payment authorisation lapsed and was renewed." in notes


@pytest.mark.promise("TOS-8")
def test_a_declined_renewal_holds_the_order_and_asks_the_customer_to_pay_again(
    backorder, smtp_server, django_capture_on_commit_callbacks
):
    from hearth.core import clock
    from hearth.payments.models import Payment

    order = place("long", 1, at=T0)
    # The card was declined since (the sandbox's token now behaves as an empty account).
    Payment.objects.get(payment_id=order.payment_id).token.__class__.objects.filter(
        payments__payment_id=order.payment_id
    ).update(behaviour="decline_insufficient_funds")
    with clock.frozen(TEN_DAYS_LATER), django_capture_on_commit_callbacks(execute=True):
        result = allocate_received_stock(variant=SUB, quantity=1, actor=None, at=TEN_DAYS_LATER)
    assert result.allocated == [order.number]
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == ("on_hold", "payment_expired")
    assert payment(order.payment_id).status == "declined"
    assert payment(order.payment_id).captured_amount is None
    mails = [m for m in smtp_server.wait_for(2) if "pay again" in m["Subject"]]
    assert [m["Subject"] for m in mails] == [f"Your order {order.number}: please pay again"]
    assert "Nothing was charged" in mails[0].get_body(("plain",)).get_content()


@pytest.mark.promise("TOS-8")
def test_the_customer_pays_again_from_the_emailed_link_and_the_order_is_released(
    backorder, smtp_server, django_capture_on_commit_callbacks
):
    import re

    from django.test import Client

    from hearth.core import clock
    from hearth.payments.models import PaymentToken

    order = place("long", 1, at=T0)
    PaymentToken.objects.filter(payments__payment_id=order.payment_id).update(
        behaviour="decline_insufficient_funds"
    )
    with clock.frozen(TEN_DAYS_LATER), django_capture_on_commit_callbacks(execute=True):
        allocate_received_stock(variant=SUB, quantity=1, actor=None, at=TEN_DAYS_LATER)
    [mail] = [m for m in smtp_server.wait_for(2) if "pay again" in m["Subject"]]
    link = re.search(
        r"https?://[^/\s]+(/orders/pay-again/\S+/)", mail.get_body(("plain",)).get_content()
    )
    assert link is not None, mail.get_body(("plain",)).get_content()
    path = link.group(1)
    customer = Client()
    with clock.frozen(TEN_DAYS_LATER):
        page = customer.get(path)
        assert page.status_code == 200
        assert "Pay $563.87 again" in page.content.decode()
        started = customer.post(path)
        assert started.status_code == 302
        assert started["Location"].startswith("/pay/sandbox/card/")
        paid = customer.get(f"{path}paid/?payment_token={card_token(APPROVE_VISA)}")
    assert paid.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == ("released", "")
    assert payment(order.payment_id).captured_amount == Decimal("563.87")
    assert customer.get(path).status_code == 404  # the link names the declined payment


def test_a_forged_pay_again_link_is_not_found(backorder):
    from django.test import Client

    assert Client().get("/orders/pay-again/not-a-token/").status_code == 404


@pytest.mark.promise("TOS-20")
def test_backorders_still_waiting_after_the_variant_went_in_stock_are_re_dated_once(
    backorder, smtp_server, django_capture_on_commit_callbacks
):
    first = place("first", 1, at=T0)
    second = place("second", 1, at=T0 + dt.timedelta(hours=1))
    # The product is sold in stock again (no expected date), two backorders still wait.
    Variant.objects.filter(sku=SUB).update(
        availability=Availability.IN_STOCK, expected_ship_date=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = allocate_received_stock(
            variant=SUB, quantity=1, actor=None, at=RECEIVED_AT, next_expected_ship_date=JUNE
        )
    assert (result.allocated, result.waiting) == ([first.number], [second.number])
    second.refresh_from_db()
    assert (second.ship_date, second.lines.get().expected_ship_date) == (JUNE, JUNE)
    variant = Variant.objects.get(sku=SUB)
    assert (variant.availability, variant.expected_ship_date) == (Availability.IN_STOCK, None)
    mails = smtp_server.wait_for(2)
    assert sorted((m["To"], m["Subject"]) for m in mails) == [
        ("first@example.com", f"Your order {first.number}: the item you waited for is in"),
        ("second@example.com", f"A new expected ship date for your order {second.number}"),
    ]
    # The same date again re-dates and tells nobody.
    with django_capture_on_commit_callbacks(execute=True):
        allocate_received_stock(
            variant=SUB, quantity=0, actor=None, at=RECEIVED_AT, next_expected_ship_date=JUNE
        )
    assert len(smtp_server.messages) == 2
