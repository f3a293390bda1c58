"""Where an RMA meets the rest of Hearth after its own steps (issue #13 finishing):

- a parcel held at the returns bench (serial mismatch) opens a customer-care case linked to the
  RMA (``care.CaseLink`` kind ``rma``), closed with care's note when the hold is resolved
  (released or refused);
- an RMA whose covered claim shipped a replacement (``replacement_shipped``) is closed when
  every replacement order of the RMA is delivered (fulfilment's ``on_delivered`` hook).

Both run inside the caller's transaction: the care case and the RMA move together or not at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from hearth.aftersales import rules
from hearth.aftersales.models import Rma
from hearth.core.audit import Actor


def open_hold_case(*, rma: Rma, reason: str, actor: Actor | None, at: dt.datetime) -> None:
    """Open (once per RMA) care's case for a held parcel, with the bench's reason as its first
    internal note. The customer is not emailed by care here: the RMA's own history says that
    care will contact them."""
    from hearth.care.models import CaseLink, Channel
    from hearth.care.services import open_case

    open_case(
        channel=Channel.RMA,
        email=rma.email,
        customer=rma.customer,
        order_number=rma.order.number if rma.order is not None else "",
        subject=_("Parcel held for %(rma)s: serial mismatch") % {"rma": rma.number},
        body=reason,
        at=at,
        actor=actor,
        link=(CaseLink.Kind.RMA, rma.number),
        confirm=False,
    )


def close_hold_case(*, rma: Rma, note: str, actor: Actor | None, at: dt.datetime) -> None:
    """Close care's case for the RMA's hold, if one is open, with what was decided."""
    from hearth.care.models import CaseLink, State
    from hearth.care.services import close

    link = (
        CaseLink.objects.filter(kind=CaseLink.Kind.RMA, ref=rma.number)
        .select_related("case")
        .first()
    )
    if link is None or link.case.state == State.CLOSED:
        return
    close(case=link.case, at=at, actor=actor, note=note)


def close_delivered_replacement(*, order: Any, at: dt.datetime, **_ignored: Any) -> None:
    """Fulfilment's ``on_delivered`` callback: when ``order`` is a warranty replacement order and
    every replacement order of its RMA is delivered, an RMA in ``replacement_shipped`` closes."""
    from hearth.aftersales.services import move
    from hearth.aftersales.warranty_models import WarrantyReplacement

    replacement = WarrantyReplacement.objects.filter(order_id=order.pk).first()
    if replacement is None:
        return
    rma = Rma.objects.select_for_update().get(pk=replacement.rma_id)
    if rma.state != rules.RmaState.REPLACEMENT_SHIPPED:
        return
    pending = (
        WarrantyReplacement.objects.filter(rma=rma)
        .exclude(order__status="delivered")
        .exclude(order_id=order.pk)
        .exists()
    )
    if pending:
        return
    move(
        rma=rma,
        event=rules.RmaEventKind.CLOSE,
        actor=None,
        at=at,
        note=_("Your replacement was delivered."),
    )
