"""The order's transactional emails (no marketing content: these go whatever the consents say).

Each email is queued in comms' outbound queue (``hearth.comms.services.queue_message``, or
``queue_rendered_later`` for the confirmation and the tax invoice, which the sending worker
renders, so that placing draws no PDF) inside the caller's transaction and recorded in
SentOrderEmail under the order's row lock, so queueing twice (a task run twice) queues once;
comms sends it after the commit, outside the transaction, once. Every email is written in the
order's language (``Order.language``; English for orders from before it was recorded), whoever
renders it: the request, a task or the sending worker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from hearth.comms.services import queue_message, queue_new_rendered_later, queue_rendered_later
from hearth.orders.invoices import render_invoice_pdf
from hearth.orders.models import Order, SentOrderEmail
from hearth.orders.selectors import email_language


def _context(order: Order) -> dict[str, object]:
    return {"order": order, "lines": list(order.lines.all()), "brand": settings.HEARTH_BRAND}


def _send_once(
    *, order_id: int, kind: str, at: dt.datetime, build: Callable[[Order], EmailMessage]
) -> bool:
    """Queue the order's ``kind`` email unless it was queued before; True if queued now."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if SentOrderEmail.objects.filter(order=order, kind=kind).exists():
            return False
        language = email_language(order)
        with translation.override(language):
            message = build(order)
        queue_message(key=f"order:{order.pk}:{kind}", message=message, at=at, language=language)
        SentOrderEmail.objects.create(order=order, kind=kind, sent_at=at)
    return True


def _message(order: Order, template: str) -> EmailMessage:
    body = render_to_string(f"orders/email/{template}.txt", _context(order))
    subject, _sep, text = body.partition("\n")
    return EmailMessage(subject.strip(), text.lstrip(), None, [order.email])


def _queue_rendered_later(*, order_id: int, kind: str, at: dt.datetime) -> bool:
    """Queue the order's ``kind`` email unless it was queued before, leaving its rendering (a
    template, the invoice's PDF) to the worker that first delivers it (:func:`render_queued`):
    the placing request only writes the row, which exists if and only if the order does."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if SentOrderEmail.objects.filter(order=order, kind=kind).exists():
            return False
        queue_rendered_later(
            key=f"order:{order.pk}:{kind}",
            to=[order.email],
            render_with=RENDERER,
            at=at,
            language=email_language(order),
        )
        SentOrderEmail.objects.create(order=order, kind=kind, sent_at=at)
    return True


def _tax_invoice(order: Order) -> EmailMessage:
    message = _message(order, "tax_invoice")
    message.attach(
        f"invoice-{order.invoice_number}.pdf", render_invoice_pdf(order), "application/pdf"
    )
    return message


#: Emails rendered at first delivery, by kind: queued at placing, made by comms' worker.
_RENDERED_LATER: dict[str, Callable[[Order], EmailMessage]] = {
    SentOrderEmail.Kind.CONFIRMATION: lambda order: _message(order, "confirmation"),
    SentOrderEmail.Kind.TAX_INVOICE: _tax_invoice,
}
RENDERER = "hearth.orders.emails.render_queued"


def render_queued(*, key: str) -> EmailMessage:
    """comms' renderer for ``order:<id>:<kind>`` rows queued by :func:`_queue_rendered_later`."""
    _prefix, order_id, kind = key.split(":", 2)
    order = Order.objects.select_related("customer").get(pk=int(order_id))
    with translation.override(email_language(order)):
        return _RENDERED_LATER[kind](order)


def queue_placed_order_emails(*, order: Order, at: dt.datetime) -> None:
    """TOS-7, TOS-11: the confirmation and the tax invoice of an order created in the caller's
    transaction. Nothing can have been queued for it yet, so this writes the rows without the
    order's row lock and the lookups that :func:`send_confirmation` (a task run again) needs."""
    kinds = (SentOrderEmail.Kind.CONFIRMATION, SentOrderEmail.Kind.TAX_INVOICE)
    language = email_language(order)
    queue_new_rendered_later(
        keys=[f"order:{order.pk}:{kind}" for kind in kinds],
        to=[order.email],
        render_with=RENDERER,
        at=at,
        language=language,
    )
    SentOrderEmail.objects.bulk_create(
        [SentOrderEmail(order=order, kind=kind, sent_at=at) for kind in kinds]
    )


def send_confirmation(*, order_id: int, at: dt.datetime) -> bool:
    """TOS-7: queued with the order; rendered by the worker that sends it."""
    return _queue_rendered_later(order_id=order_id, kind=SentOrderEmail.Kind.CONFIRMATION, at=at)


def send_tax_invoice(*, order_id: int, at: dt.datetime) -> bool:
    """TOS-11: queued with the order; the PDF is drawn by the worker that sends it, not in the
    placing request (ADR 0005's follow-up)."""
    return _queue_rendered_later(order_id=order_id, kind=SentOrderEmail.Kind.TAX_INVOICE, at=at)


def ship_date_kind(*, new: dt.date, event_id: int) -> str:
    """The SentOrderEmail kind of one new expected ship date: the date and the change's event."""
    return f"ship_date:{new.isoformat()}:{event_id}"


def send_ship_date_changed(
    *, order_id: int, event_id: int, sku: str, new: dt.date, at: dt.datetime
) -> bool:
    """TOS-20: tell the customer a line's new expected ship date and the order's new window."""

    def build(order: Order) -> EmailMessage:
        context = {
            **_context(order),
            "changed": [line for line in order.lines.all() if line.sku == sku],
            "new_date": new,
        }
        body = render_to_string("orders/email/ship_date_changed.txt", context)
        subject, _sep, text = body.partition("\n")
        return EmailMessage(subject.strip(), text.lstrip(), None, [order.email])

    return _send_once(
        order_id=order_id, kind=ship_date_kind(new=new, event_id=event_id), at=at, build=build
    )


def send_cancelled(*, order_id: int, at: dt.datetime) -> bool:
    """The order is cancelled: why, and what happens to the money (refund or released hold)."""
    from hearth.orders.models import OrderRefund

    def build(order: Order) -> EmailMessage:
        refunded = sum((r.amount for r in OrderRefund.objects.filter(order=order)), Decimal(0))
        context = {**_context(order), "refunded": refunded}
        body = render_to_string("orders/email/cancelled.txt", context)
        subject, _sep, text = body.partition("\n")
        return EmailMessage(subject.strip(), text.lstrip(), None, [order.email])

    return _send_once(order_id=order_id, kind="cancelled", at=at, build=build)


def send_refund_issued(*, order_id: int, refund_id: int, at: dt.datetime) -> bool:
    """One email per refund after shipment: the amount and the reason."""
    from hearth.orders.models import OrderRefund

    def build(order: Order) -> EmailMessage:
        refund = OrderRefund.objects.get(pk=refund_id, order=order)
        body = render_to_string(
            "orders/email/refund_issued.txt", {**_context(order), "refund": refund}
        )
        subject, _sep, text = body.partition("\n")
        return EmailMessage(subject.strip(), text.lstrip(), None, [order.email])

    return _send_once(order_id=order_id, kind=f"refund:{refund_id}", at=at, build=build)


def send_stock_allocated(*, order_id: int, event_id: int, sku: str, at: dt.datetime) -> bool:
    """TOS-20: one email per allocation: the item is in stock and when the order ships."""

    def build(order: Order) -> EmailMessage:
        context = {**_context(order), "arrived": [x for x in order.lines.all() if x.sku == sku]}
        body = render_to_string("orders/email/stock_allocated.txt", context)
        subject, _sep, text = body.partition("\n")
        return EmailMessage(subject.strip(), text.lstrip(), None, [order.email])

    return _send_once(order_id=order_id, kind=f"allocated:{sku}:{event_id}", at=at, build=build)


def send_pay_again(*, order_id: int, at: dt.datetime) -> bool:
    """Once per payment: the authorisation lapsed and its renewal was declined."""

    def build(order: Order) -> EmailMessage:
        from django.urls import reverse

        from hearth.orders.services import pay_again_token

        path = reverse("orders:pay_again", args=[pay_again_token(order)])
        context = {**_context(order), "pay_url": f"{settings.HEARTH_SITE_URL}{path}"}
        body = render_to_string("orders/email/pay_again.txt", context)
        subject, _sep, text = body.partition("\n")
        return EmailMessage(subject.strip(), text.lstrip(), None, [order.email])

    with transaction.atomic():
        payment_id = Order.objects.get(pk=order_id).payment_id
    return _send_once(order_id=order_id, kind=f"pay_again:{payment_id}", at=at, build=build)


def send_credit_note(*, order_id: int, credit_note_id: int, at: dt.datetime) -> bool:
    """The credit note for a refunded return, its PDF attached (issue #13, TOS-24); once per
    note. Called inside the refund's transaction, so the email exists if and only if the refund
    does."""
    from hearth.orders.invoices import render_credit_note_pdf
    from hearth.orders.models import CreditNote

    def build(order: Order) -> EmailMessage:
        note = CreditNote.objects.get(pk=credit_note_id, order=order)
        body = render_to_string("orders/email/credit_note.txt", {**_context(order), "note": note})
        subject, _sep, text = body.partition("\n")
        message = EmailMessage(subject.strip(), text.lstrip(), None, [order.email])
        message.attach(
            f"credit-note-{note.number}.pdf", render_credit_note_pdf(note), "application/pdf"
        )
        return message

    number = CreditNote.objects.values_list("number", flat=True).get(pk=credit_note_id)
    return _send_once(order_id=order_id, kind=f"credit_note:{number}", at=at, build=build)
