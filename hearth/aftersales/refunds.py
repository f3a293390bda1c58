"""Refunds of 45-day returns (issue #13 item 4; TOS-22, TOS-24): refund due, then refunded.

An inspected return with units accepted (new or as-new, all packaging) becomes
``refund_due`` (:func:`mark_refund_due`, run by the ``on_inspected`` hook of receiving through
:func:`refund_due_on_inspection`). Finance works :func:`refund_queue`: the RMAs awaiting refund,
ordered by the last day of their window (receipt + 10..15 business days,
:func:`hearth.aftersales.rules.refund_due_window`), late ones flagged. :func:`refund_rma` refunds
one through :func:`hearth.orders.credit.refund_return` (full price with tax, original payment
method, credit note emailed) and moves it to ``refunded``. Each step is one transaction under the
RMA's row lock, leaves an :class:`~hearth.aftersales.models.RmaEvent` (My Stuff's history) and an
audit row; a refused step changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from hearth.aftersales import rules
from hearth.aftersales.errors import AftersalesErrorCode
from hearth.aftersales.models import Rma, RmaKind, RmaState
from hearth.aftersales.services import move
from hearth.core.audit import Actor
from hearth.core.clock import EASTERN
from hearth.core.errors import DomainError

if TYPE_CHECKING:
    from hearth.orders.models import CreditNote


def received_on(rma: Rma) -> dt.date | None:
    """The day (Eastern) the RMA's parcel was received, which starts the refund window."""
    return rma.received_at.astimezone(EASTERN).date() if rma.received_at else None


def mark_refund_due(rma: Rma, at: dt.datetime, *, actor: Actor | None = None) -> Rma:
    """An inspected 45-day return is accepted: its refund is due within receipt + 10..15 business
    days (TOS-24). Refused (``rma_transition``, nothing changed) unless the RMA is an inspected
    return with an order to refund."""
    with transaction.atomic():
        locked = Rma.objects.select_for_update().get(pk=rma.pk)
        if locked.kind != RmaKind.RETURN or locked.order_id is None:
            raise DomainError(
                AftersalesErrorCode.RMA_TRANSITION,
                _("Only a 45-day return of a direct purchase is refunded."),
                status=409,
            )
        day = received_on(locked)
        note = ""
        if day is not None:
            due_from, due_by = rules.refund_due_window(day)
            note = _("Refund due between %(from)s and %(by)s.") % {
                "from": due_from.isoformat(),
                "by": due_by.isoformat(),
            }
        locked = move(
            rma=locked, event=rules.RmaEventKind.REFUND_DUE, actor=actor, at=at, note=note
        )
    rma.state = locked.state
    return locked


def refund_due_on_inspection(
    *, rma: Rma, inspections: Iterable[Any], actor: Actor | None, at: dt.datetime
) -> None:
    """Receiving's ``on_inspected`` hook: a 45-day return with at least one unit accepted at
    inspection (verdict ``refund``) becomes refund due, for those units; a return with none
    accepted, and every warranty claim, is left to the others (the unit goes back to the
    customer; warranty outcomes)."""
    verdicts = [str(getattr(x, "verdict", "")) for x in inspections]
    if rma.kind != RmaKind.RETURN or rma.order_id is None:
        return
    if any(v == rules.InspectionVerdict.REFUND.value for v in verdicts):
        mark_refund_due(rma, at, actor=actor)


def refundable_serials(rma: Rma) -> list[str]:
    """The serials a refund-due RMA refunds: its units accepted at inspection (verdict
    ``refund``); every unit of the RMA when no inspection was recorded for it."""
    from hearth.aftersales.models_receiving import Inspection

    inspections = Inspection.objects.filter(rma=rma).select_related("rma_unit")
    if not inspections.exists():
        return [unit.serial for unit in rma.units.all()]
    return sorted(
        i.rma_unit.serial for i in inspections if i.verdict == rules.InspectionVerdict.REFUND
    )


def refund_rma(*, rma: Rma, actor: Actor | None, at: dt.datetime) -> CreditNote:
    """Finance refunds a return that is due: its accepted units (:func:`refundable_serials`),
    full price with tax, to the
    original payment method, with a credit note emailed to the customer (TOS-22, TOS-24); the
    RMA becomes ``refunded``. Refused with nothing changed: an RMA not refund due
    (``rma_transition``), or whatever :func:`hearth.orders.credit.refund_return` refuses
    (``already_refunded``, ``credit_exceeds_invoice``, ``refund_refused`` ...)."""
    from hearth.orders.credit import refund_return

    with transaction.atomic():
        locked = Rma.objects.select_for_update().get(pk=rma.pk)
        rules.transition(rules.RmaState(locked.state), rules.RmaEventKind.REFUND)  # may refuse
        if locked.order is None:  # pragma: no cover - mark_refund_due refuses these
            raise DomainError(AftersalesErrorCode.RMA_TRANSITION, _("No order to refund."))
        note = refund_return(
            order=locked.order,
            serials=refundable_serials(locked),
            reference=locked.number,
            actor=actor,
            at=at,
        )
        locked = move(
            rma=locked,
            event=rules.RmaEventKind.REFUND,
            actor=actor,
            at=at,
            note=_("%(amount)s CAD refunded to the original payment method; credit note %(n)s.")
            % {"amount": f"{note.total:.2f}", "n": note.number},
        )
    rma.state = locked.state
    return note


@dataclass(frozen=True)
class DueRefund:
    """One row of finance's queue: the RMA, when it was received, its window, whether late."""

    rma: Rma
    serials: list[str]
    received_on: dt.date | None
    due_from: dt.date | None
    due_by: dt.date | None
    late: bool


def refund_queue(*, today: dt.date) -> list[DueRefund]:
    """RMAs awaiting refund, the most urgent first (the last day of their window, then the
    receipt), each flagged late once that day has passed (TOS-24)."""
    rows = []
    for rma in (
        Rma.objects.filter(state=RmaState.REFUND_DUE)
        .select_related("order")
        .prefetch_related("units")
    ):
        day = received_on(rma)
        window = rules.refund_due_window(day) if day else (None, None)
        late = day is not None and rules.refund_late(received_on=day, today=today)
        rows.append(DueRefund(rma, refundable_serials(rma), day, window[0], window[1], late))
    return sorted(rows, key=lambda r: (r.due_by or dt.date.max, r.rma.number))


def refund_queue_count() -> int:
    """How many RMAs await a refund (the finance home's count)."""
    return Rma.objects.filter(state=RmaState.REFUND_DUE).count()
