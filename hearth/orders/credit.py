"""Refunds of returned units with a credit note (issue #13: TOS-22, TOS-24).

:func:`refund_return` is the one way after-sales gives money back for a return: it prices the
returned units through the one pricing path (:func:`hearth.orders.pricing.credit_price`: each tax
component at the rate charged on the invoice, never beyond it, cumulatively), refunds the total to
the original payment method, issues the credit note in its own number series and queues the email
carrying its PDF, in one transaction. Refunding the same return (reference or serial) twice, or
more units than were sold, is refused with nothing changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from hearth.core import audit
from hearth.core.audit import Actor, AuditAction
from hearth.core.clock import EASTERN
from hearth.core.errors import DomainError
from hearth.core.l10n import money
from hearth.orders import rules
from hearth.orders.errors import OrdersErrorCode
from hearth.orders.models import (
    CreditNote,
    CreditNoteLine,
    Order,
    OrderLine,
    OrderRefund,
    OrderStatus,
)
from hearth.orders.pricing import credit_price, pricing_draft
from hearth.orders.selectors import order_price
from hearth.orders.services import _user, set_status

ZERO = Decimal("0.00")


def _refused(code: OrdersErrorCode, message: str, *, field: str, status: int = 409) -> DomainError:
    return DomainError(code, message, field=field, status=status)


def _returned(
    order: Order, *, serials: Iterable[str], lines: Mapping[str, int] | None
) -> tuple[dict[str, int], dict[str, list[str]]]:
    """SKU -> units returned, and SKU -> their serials, from the serials and/or SKU counts given.

    Each serial must be a unit shipped on this order (captured at packing)."""
    counts: dict[str, int] = {}
    by_sku: dict[str, list[str]] = {}
    for raw in serials:
        serial = str(raw).strip()
        if not serial:
            continue
        line = OrderLine.objects.filter(order=order, units__serial=serial).first()
        if line is None:
            raise _refused(
                OrdersErrorCode.UNKNOWN_SERIAL,
                _("Serial %(serial)s was not shipped on order %(number)s.")
                % {"serial": serial, "number": order.number},
                field="serials",
                status=400,
            )
        if serial in by_sku.get(line.sku, []):
            continue
        by_sku.setdefault(line.sku, []).append(serial)
        counts[line.sku] = counts.get(line.sku, 0) + 1
    for raw_sku, units in (lines or {}).items():
        sku = str(raw_sku).strip().upper()
        if type(units) is not int or units < 1:
            raise _refused(
                OrdersErrorCode.NOTHING_RETURNED,
                _("Say how many units of %(sku)s are returned (a whole number from 1).")
                % {"sku": sku},
                field="lines",
                status=400,
            )
        counts[sku] = counts.get(sku, 0) + units
    if not counts:
        raise _refused(
            OrdersErrorCode.NOTHING_RETURNED,
            _("Name the returned units: their serials or their SKUs and quantities."),
            field="serials",
            status=400,
        )
    return counts, by_sku


def refund_return(
    *,
    order: Order,
    reference: str,
    actor: Actor | None,
    at: dt.datetime,
    serials: Iterable[str] = (),
    lines: Mapping[str, int] | None = None,
) -> CreditNote:
    """Refund returned units in full, tax included, to the original payment method, with a credit
    note (``CN-<order digits>-<n>``) emailed to the customer with its PDF (TOS-22, TOS-24).

    ``serials`` (units shipped on the order) and/or ``lines`` (SKU -> units) name what came back;
    ``reference`` is the return's name (the RMA number). Refused with nothing changed (no money
    moves, no note, no email): no reference (``reference_required``), nothing named
    (``nothing_returned``), a serial not shipped on the order (``unknown_serial``), an order not
    shipped (``return_before_shipment``), a reference or serial already refunded
    (``already_refunded``), more units than were sold less those already credited
    (``credit_exceeds_invoice``), or more money than is left on the payment (``refund_refused``).
    """
    from hearth.orders import emails
    from hearth.payments.selectors import payment
    from hearth.payments.services import refund

    reference = (reference or "").strip()
    if not reference:
        raise _refused(
            OrdersErrorCode.REFERENCE_REQUIRED,
            _("Name the return this refund is for (its RMA number)."),
            field="reference",
            status=400,
        )
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        # A refunded order was shipped too: what it refuses is said below (units, money).
        shipped = {s.value for s in rules.SHIPPED_STATUSES} | {OrderStatus.REFUNDED.value}
        if locked.status not in shipped:
            raise _refused(
                OrdersErrorCode.NOT_SHIPPED,
                _("Order %(number)s is %(status)s: only a shipped order's units are returned.")
                % {"number": locked.number, "status": OrderStatus(locked.status).label},
                field="order",
            )
        if CreditNote.objects.filter(order=locked, reference=reference).exists():
            raise _refused(
                OrdersErrorCode.ALREADY_REFUNDED,
                _("Return %(reference)s was already refunded.") % {"reference": reference},
                field="reference",
            )
        now, serials_by_sku = _returned(locked, serials=serials, lines=lines)
        before: dict[str, int] = {}
        credited_serials: set[str] = set()
        for done in CreditNoteLine.objects.filter(credit_note__order=locked):
            before[done.sku] = before.get(done.sku, 0) + done.quantity
            credited_serials.update(done.serials)
        again = sorted(credited_serials & {s for group in serials_by_sku.values() for s in group})
        if again:
            raise _refused(
                OrdersErrorCode.ALREADY_REFUNDED,
                _("Serial %(serial)s was already refunded.") % {"serial": again[0]},
                field="serials",
            )
        order_lines = list(locked.lines.all())
        draft = pricing_draft(
            order_lines,
            province=locked.province,
            on=locked.placed_at.astimezone(EASTERN).date(),
            shipping_method=locked.shipping_method,
            shipping_fee=locked.shipping,
            discount=locked.discount,
            bc_pst_number=locked.bc_pst_number or None,
        )
        try:
            price = credit_price(draft, order_price(locked), before=before, now=now)
        except ValueError:
            raise _refused(
                OrdersErrorCode.CREDIT_EXCEEDS_INVOICE,
                _("More units than order %(number)s invoiced (less those already credited).")
                % {"number": locked.number},
                field="lines",
            ) from None
        paid = payment(locked.payment_id) if locked.payment_id else None
        captured = (paid.captured_amount or ZERO) if paid else ZERO
        refunded = paid.refunded_amount if paid else ZERO
        amount = price.total.amount
        if rules.refund_problem(captured=captured, refunded=refunded, amount=amount) is not None:
            raise _refused(
                OrdersErrorCode.REFUND_REFUSED,
                _("At most %(balance)s can be refunded on this order.")
                % {"balance": money(captured - refunded)},
                field="amount",
            )
        sequence = locked.credit_notes.count() + 1
        number = rules.credit_note_number(locked.number, sequence)
        refund(
            payment_id=locked.payment_id,
            amount=amount,
            idempotency_key=f"credit-note-{number}",
            actor=actor,
        )
        user = _user(actor)
        made = OrderRefund.objects.create(
            order=locked,
            amount=amount,
            reason=_("Return %(reference)s: credit note %(number)s")
            % {"reference": reference, "number": number},
            actor=user,
            at=at,
        )
        note = CreditNote.objects.create(
            order=locked,
            number=number,
            sequence=sequence,
            reference=reference,
            issued_at=at,
            goods=price.goods.amount,
            discount=price.discount.amount,
            shipping=price.shipping.amount,
            subtotal=price.subtotal.amount,
            tax_components=price.components(),
            total_tax=price.total_tax.amount,
            total=amount,
            refund=made,
            actor=user,
        )
        described = {line.sku: line for line in order_lines}
        for credit_line in price.lines:
            CreditNoteLine.objects.create(
                credit_note=note,
                sku=credit_line.sku,
                name=described[credit_line.sku].name,
                colour=described[credit_line.sku].colour,
                unit_price=credit_line.unit_price.amount,
                quantity=credit_line.quantity,
                discount=credit_line.discount.amount,
                amount=credit_line.amount.amount,
                serials=sorted(serials_by_sku.get(credit_line.sku, [])),
            )
        audit.record(actor=actor, action=AuditAction.MONEY_MOVED, obj=locked, fields=["payment_id"])
        audit.record(actor=actor, action=AuditAction.CREATED, obj=note)
        if refunded + amount == captured:
            set_status(order=locked, to=OrderStatus.REFUNDED, actor=actor, at=at, note=reference)
            order.status = OrderStatus.REFUNDED
        emails.send_credit_note(order_id=locked.pk, credit_note_id=note.pk, at=at)
    return note
