"""Shared set-up for the receiving and inspection tests: a real order placed, packed with real
serials and shipped through the warehouse services, and an RMA issued on it.

The RMA rows are written here directly (number, state ``issued``, arrival deadline from the
rules) so these tests do not depend on how an RMA is begun; the journey test begins one the
customer's way."""

from __future__ import annotations

import datetime as dt
import itertools

from hearth.aftersales import rules
from hearth.aftersales.models import Rma, RmaUnit
from hearth.core.clock import EASTERN
from hearth.fulfilment import services as fulfilment
from hearth.fulfilment.models import Unit
from hearth.fulfilment.tests.conftest import T0, released_order, variant

_numbers = itertools.count(1)
SERIALS = itertools.count(1)


def shipped_units(count: int = 1, *, sku: str = "EO-ONE-CHR", at: dt.datetime = T0) -> list[Unit]:
    """``count`` units of ``sku`` sold on one web order, packed and handed to the carrier."""
    from hearth.catalog.models import Variant

    if not Variant.objects.filter(sku=sku).exists():
        variant(sku, stock=50)
    order = released_order([(sku, count)], at=at)
    prefix = {"EO-ONE-CHR": "EO1C26", "EO-FIVE-BIR": "EO5B26"}[sku]
    serials = [f"{prefix}{next(SERIALS):06d}" for _ in range(count)]
    for serial in serials:
        fulfilment.scan_serial(order=order, serial=serial, actor=None, at=at)
    fulfilment.create_label(order=order, actor=None, at=at)
    fulfilment.ship_order(order=order, actor=None, at=at)
    return list(Unit.objects.filter(serial__in=serials).order_by("serial"))


def issued_rma(
    units: list[Unit],
    *,
    kind: str = rules.ClaimKind.RETURN,
    issued_at: dt.datetime = T0,
    advance_replacement: bool = False,
) -> Rma:
    order = units[0].order_line.order
    number = f"RMA-TEST{next(_numbers):04d}"
    rma = Rma.objects.create(
        number=number,
        kind=kind,
        state=rules.RmaState.ISSUED,
        channel=order.channel,
        order=order,
        customer=order.customer,
        email=order.email,
        contact_name=order.contact_name,
        requested_at=issued_at,
        issued_at=issued_at,
        arrival_deadline=rules.rma_arrival_deadline(issued_at.astimezone(EASTERN).date()),
        carrier="sandbox",
        tracking_code=f"7{next(_numbers):015d}",
        advance_replacement=advance_replacement,
    )
    for unit in units:
        RmaUnit.objects.create(rma=rma, serial=unit.serial, sku=unit.sku, unit=unit)
    return rma


def outbox_subjects(rma: Rma) -> list[str]:
    from hearth.comms.models import OutboundMessage

    return list(
        OutboundMessage.objects.filter(key__startswith=f"rma:{rma.pk}:")
        .order_by("pk")
        .values_list("subject", flat=True)
    )


def later(days: int) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


__all__ = ["T0", "issued_rma", "later", "outbox_subjects", "shipped_units"]
