"""Reads of RMAs: the customer's own (permission-checked), care's by number, units shipped."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from hearth.aftersales import rules
from hearth.aftersales.models import Rma, RmaEvent, RmaUnit
from hearth.fulfilment.models import Unit
from hearth.orders.models import Order

OPEN_STATES = frozenset(s.value for s in rules.RmaState) - {s.value for s in rules.TERMINAL_STATES}


def _with_history(rmas: QuerySet[Rma]) -> QuerySet[Rma]:
    return rmas.select_related("order").prefetch_related(
        "units", Prefetch("events", queryset=RmaEvent.objects.order_by("at", "id"))
    )


def rmas_for(user: Any) -> QuerySet[Rma]:
    """The customer's RMAs, newest first, with units and history (My Stuff)."""
    if not getattr(user, "is_authenticated", False):
        return Rma.objects.none()
    return _with_history(Rma.objects.filter(customer=user)).order_by("-requested_at", "-id")


def rma_for_owner(*, user: Any, number: str) -> Rma:
    """The customer's RMA ``number``; Http404 for anyone else's (no hint that it exists)."""
    rma = rmas_for(user).filter(number=number).first()
    if rma is None:
        raise Http404
    return rma


def rma_by_number(number: str) -> Rma:
    """Any RMA by number (care and the warehouse); Http404 when there is none."""
    rma = _with_history(Rma.objects.filter(number=number.strip().upper())).first()
    if rma is None:
        raise Http404
    return rma


def shipped_units(order: Order) -> list[Unit]:
    """The order's units that have shipped (the ones a return or claim can name)."""
    return list(
        Unit.objects.filter(order_line__order=order, shipped_on__isnull=False).order_by(
            "order_line_id", "id"
        )
    )


def open_rma_for(serial: str) -> Rma | None:
    """The open RMA holding ``serial``, if any."""
    unit = (
        RmaUnit.objects.filter(serial=serial, rma__state__in=OPEN_STATES)
        .select_related("rma")
        .first()
    )
    return unit.rma if unit is not None else None


def is_sale(order: Order) -> bool:
    """Whether the order was a sale (web or phone), not a warranty replacement."""
    return order.channel in {rules.Channel.WEB.value, rules.Channel.PHONE.value}


def warranty_end(unit: Unit, *, sold: bool) -> Any:
    """The unit's last warranty day: a year from its shipment, or for a warranty replacement
    the original's (TOS-23), as warranty records it."""
    if not sold:
        from hearth.aftersales.warranty import warranty_end_of

        return warranty_end_of(unit.serial)
    return rules.warranty_end(unit.shipped_on) if unit.shipped_on else None
