"""Shared set-up for the receiving and inspection tests: a real order placed, packed with real
serials and shipped through the warehouse services, and an RMA issued on it.

RMAs are begun and issued through [rma]'s service, as care does for a caller."""

from __future__ import annotations

import datetime as dt
import itertools

from hearth.aftersales import rules
from hearth.aftersales.models import Rma
from hearth.core import clock
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
    units: list[Unit], *, kind: str = rules.ClaimKind.RETURN, issued_at: dt.datetime = T0
) -> Rma:
    """An RMA begun and issued through [rma]'s service (a prepaid return label) on the units'
    order, as care does for a caller."""
    from hearth.aftersales.services import begin_order_rma

    with clock.frozen(issued_at):
        return begin_order_rma(
            order=units[0].order_line.order,
            serials=[u.serial for u in units],
            kind=kind,
            actor=None,
            at=issued_at,
            problem="It stopped working" if kind == rules.ClaimKind.WARRANTY else "",
        )


def outbox_subjects(rma: Rma) -> list[str]:
    """The subjects of the receiving and inspection emails queued for ``rma``, in order."""
    from hearth.comms.models import OutboundMessage

    return list(
        OutboundMessage.objects.filter(
            key__in=[f"rma:{rma.pk}:received", f"rma:{rma.pk}:inspected"]
        )
        .order_by("pk")
        .values_list("subject", flat=True)
    )


def later(days: int) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


__all__ = ["T0", "issued_rma", "later", "outbox_subjects", "shipped_units"]
