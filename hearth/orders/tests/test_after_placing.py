"""Emails (TOS-7, TOS-11), release with capture (TOS-8), cancellation with refund (TOS-6),
review holds (TOS-21) and erasure waiting for open orders (PP-15)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hearth.catalog.models import Variant
from hearth.core.errors import DomainError
from hearth.orders import tasks
from hearth.orders.invoices import render_invoice_pdf
from hearth.orders.models import CancellationReason, Order, OrderStatus, SentOrderEmail
from hearth.orders.services import cancel_order, place_order, release_order, set_status
from hearth.orders.tests.conftest import APPROVE_VISA, REVIEW, T0, card_token, draft
from hearth.payments.selectors import payment
from hearth.privacy.services import request_erasure


def place(number: str = APPROVE_VISA, key: str = "k", **kwargs) -> Order:
    return place_order(
        draft=draft(**kwargs),
        payment_token=card_token(number),
        payment_method="card",
        idempotency_key=key,
        channel="web",
        at=T0,
    )


@pytest.mark.promise("TOS-7")
@pytest.mark.promise("TOS-11")
def test_confirmation_and_tax_invoice_arrive_by_smtp_once(
    speaker, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = place()
    messages = smtp_server.wait_for(2)
    assert len(messages) == 2
    by_subject = {m["Subject"]: m for m in messages}
    confirmation = by_subject[f"Your order {order.number} is confirmed"]
    assert confirmation["To"] == "ada@example.com"
    assert order.number in confirmation.get_body(("plain",)).get_content()
    invoice_mail = by_subject[f"Tax invoice {order.invoice_number}"]
    attachments = list(invoice_mail.iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"invoice-{order.invoice_number}.pdf"]
    pdf = attachments[0].get_content()
    assert pdf.startswith(b"%PDF")
    for text in (
        b"Ember & Oak Audio Inc.",
        b"GST/HST registration number: 123456789 RT0001",
        f"Invoice number: {order.invoice_number}".encode(),
        b"Invoice date: March 2, 2026",
        b"EO-ONE-OAK",
        b"HST 13%",
        b"$25.87",
        b"$224.87",
    ):
        assert text in pdf, text
    # The tasks run again (a retry): nothing is sent twice.
    assert tasks.send_order_confirmation.call(order.pk) is False
    assert tasks.send_tax_invoice.call(order.pk) is False
    assert len(smtp_server.messages) == 2
    assert SentOrderEmail.objects.filter(order=order).count() == 2


@pytest.mark.promise("TOS-11")
def test_the_invoice_of_a_quebec_order_shows_gst_and_qst_with_their_rates(speaker):
    address = {
        "lines": ["1000 Rue Sherbrooke Ouest"],
        "city": "Montréal",
        "province": "QC",
        "postal_code": "H3A 3G4",
        "country": "CA",
    }
    order = place(address=address)
    pdf = render_invoice_pdf(order)
    assert b"GST 5%" in pdf and b"9.95" in pdf
    assert b"QST 9.975%" in pdf and b"19.85" in pdf
    assert b"QST registration number: 1234567890 TQ0001" in pdf


@pytest.mark.promise("TOS-8")
def test_the_payment_is_captured_only_when_the_order_is_released(speaker):
    order = place()  # on-commit tasks not run: the order waits for release
    assert payment(order.payment_id).captured_amount is None
    released = release_order(order=order, actor=None, at=T0)
    assert released.status == OrderStatus.RELEASED
    assert released.released_at == T0
    assert payment(order.payment_id).status == "captured"
    assert payment(order.payment_id).captured_amount == Decimal("224.87")
    # Releasing again captures nothing more.
    assert release_order(order=order, actor=None, at=T0).status == OrderStatus.RELEASED


@pytest.mark.promise("TOS-8")
def test_the_release_task_releases_a_paid_order(speaker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = place()
    order.refresh_from_db()
    assert order.status == OrderStatus.RELEASED
    assert payment(order.payment_id).status == "captured"


@pytest.mark.promise("TOS-21")
def test_an_order_under_review_is_not_released_by_the_task(
    speaker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = place(REVIEW)
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD
    assert tasks.release_paid_order.call(order.pk) == "on_hold"
    assert payment(order.payment_id).captured_amount is None


@pytest.mark.promise("TOS-6")
@pytest.mark.promise("TOS-21")
def test_cancelling_an_order_under_review_voids_the_payment_and_restocks(speaker):
    order = place(REVIEW)
    cancelled = cancel_order(
        order=order, reason=CancellationReason.SUSPECTED_FRAUD, actor=None, at=T0
    )
    assert cancelled.status == OrderStatus.CANCELLED
    assert cancelled.cancellation_reason == "suspected_fraud"
    assert payment(order.payment_id).status == "voided"
    assert Variant.objects.get(sku="EO-ONE-OAK").stock_on_hand == 5


@pytest.mark.promise("TOS-6")
def test_cancelling_after_capture_refunds_every_payment(speaker):
    order = place()
    paid = payment(order.payment_id)
    assert paid.status == "authorised"
    # Captured (e.g. released by mistake before a manifest error was found): refund all.
    from hearth.payments.services import capture

    capture(payment_id=order.payment_id, idempotency_key="c1")
    cancel_order(order=order, reason=CancellationReason.MANIFEST_ERROR, actor=None, at=T0)
    refunded = payment(order.payment_id)
    assert refunded.refunded_amount == Decimal("224.87")
    assert refunded.refundable == Decimal("0.00")


@pytest.mark.parametrize(
    ("start", "to"),
    [("packed", "released"), ("cancelled", "released"), ("shipped", "placed")],
)
def test_moves_the_status_machine_forbids_are_refused(speaker, start, to):
    order = place()
    Order.objects.filter(pk=order.pk).update(status=start)
    order.refresh_from_db()
    with pytest.raises(DomainError) as caught:
        set_status(order=order, to=to, actor=None, at=T0)
    assert caught.value.code == "status_move_not_allowed"
    order.refresh_from_db()
    assert order.status == start


def test_cancel_needs_a_tos9_reason(speaker):
    order = place()
    with pytest.raises(DomainError) as caught:
        cancel_order(order=order, reason="changed_mind", actor=None, at=T0)
    assert caught.value.code == "unknown_cancellation_reason"


@pytest.mark.promise("PP-15")
def test_erasure_waits_while_an_order_is_open_and_says_when(speaker, customer):
    order = place(customer=customer)
    outcome = request_erasure(user=customer, at=T0)
    assert outcome.erased is False
    assert [b.code for b in outcome.blockers] == ["open_order"]
    assert order.number in outcome.blockers[0].reason
    assert outcome.available_on == dt.date(2026, 3, 6)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.SHIPPED)
    outcome = request_erasure(user=customer, at=T0)
    assert outcome.erased is True
    assert Order.objects.filter(pk=order.pk).exists()  # kept 6 years for tax
