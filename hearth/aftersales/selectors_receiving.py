"""Reads for the returns bench and for customer care: an RMA at the bench, the RMAs waiting for
inspection, care's queue of RMAs by state and deadline, and one page per unit (serial)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch

from hearth.aftersales import rules
from hearth.aftersales.models import Inspection, Rma, RmaUnit, ScanOutcome, UnitScan
from hearth.core.clock import EASTERN

#: States that need nobody any more (left out of care's queue unless asked for).
FINISHED_STATES = (rules.RmaState.CLOSED, rules.RmaState.EXPIRED, rules.RmaState.CANCELLED)
QUEUE_SIZE = 100


@dataclass(frozen=True)
class BenchUnit:
    unit: RmaUnit
    scan: UnitScan | None  # its receipt (received, or released by care)
    inspection: Inspection | None


@dataclass(frozen=True)
class Bench:
    rma: Rma
    units: list[BenchUnit]
    held: list[UnitScan]  # mismatched serials scanned against this RMA

    @property
    def all_received(self) -> bool:
        return all(u.scan is not None for u in self.units)


def bench(rma: Rma) -> Bench:
    scans = list(UnitScan.objects.filter(rma=rma).order_by("at", "pk"))
    by_unit = {s.rma_unit_id: s for s in scans if s.outcome != ScanOutcome.HELD}
    inspections = {i.rma_unit_id: i for i in Inspection.objects.filter(rma=rma)}
    return Bench(
        rma=rma,
        units=[
            BenchUnit(u, by_unit.get(u.pk), inspections.get(u.pk)) for u in rma.units.order_by("pk")
        ],
        held=[s for s in scans if s.outcome == ScanOutcome.HELD],
    )


def to_inspect(limit: int = QUEUE_SIZE) -> list[Rma]:
    """RMAs received and waiting for inspection, oldest receipt first."""
    return list(
        Rma.objects.filter(state=rules.RmaState.RECEIVED)
        .prefetch_related("units")
        .order_by("received_at", "pk")[:limit]
    )


def count_in_state(*states: str) -> int:
    return Rma.objects.filter(state__in=states).count()


def count_overdue_arrivals(today: dt.date) -> int:
    """Issued RMAs whose unit should have arrived by now (the expiry job has not run yet)."""
    return Rma.objects.filter(state=rules.RmaState.ISSUED, arrival_deadline__lt=today).count()


@dataclass(frozen=True)
class QueueRow:
    rma: Rma
    deadline: dt.date | None  # what the next step is due by (see :func:`deadline_of`)
    deadline_label: str  # which deadline: "arrival", "refund", "advance replacement", ""
    late: bool


def deadline_of(rma: Rma) -> tuple[dt.date | None, str]:
    """The date the RMA's next step is due by, from the aftersales rules (TOS-24):

    issued: the unit's arrival deadline (issue + 14 days); received, inspected or refund due on a
    45-day return: the last day of the refund window (receipt + 15 business days); requested
    warranty claim with advance replacement: its ship-by date (request + 2 business days).
    """
    state = rules.RmaState(rma.state)
    if state is rules.RmaState.ISSUED:
        return rma.arrival_deadline, "arrival"
    if (
        rma.kind == rules.ClaimKind.RETURN
        and rma.received_at is not None
        and state
        in (
            rules.RmaState.RECEIVED,
            rules.RmaState.HELD,
            rules.RmaState.INSPECTED,
            rules.RmaState.REFUND_DUE,
        )
    ):
        return rules.refund_due_window(rma.received_at.astimezone(EASTERN).date())[1], "refund"
    if rma.advance_replacement and state is rules.RmaState.REQUESTED:
        day = rma.requested_at.astimezone(EASTERN).date()
        return rules.advance_replacement_ship_by(day), "advance_replacement"
    return None, ""


def rma_queue(*, state: str | None, today: dt.date, offset: int = 0) -> tuple[list[QueueRow], int]:
    """Care's queue: RMAs by state (every open one when ``state`` is None), the soonest deadline
    first, those without a deadline after them by request date; (page, total)."""
    rows = Rma.objects.all()
    rows = rows.filter(state=state) if state else rows.exclude(state__in=FINISHED_STATES)
    rmas = list(rows.prefetch_related("units").order_by("requested_at", "pk"))
    queue = []
    for rma in rmas:
        deadline, label = deadline_of(rma)
        queue.append(QueueRow(rma, deadline, label, deadline is not None and deadline < today))
    queue.sort(key=lambda r: (r.deadline is None, r.deadline or dt.date.max))
    return queue[offset : offset + QUEUE_SIZE], len(queue)


@dataclass
class UnitPage:
    """Everything care knows about one serial."""

    serial: str
    sku: str
    unit: Any | None  # fulfilment.Unit: the unit we shipped (None for a dealer unit)
    order: Any | None
    shipment: Any | None
    earlier_sales: list[Any] = field(default_factory=list)  # fulfilment.Unit rows, restocked
    rmas: list[Rma] = field(default_factory=list)
    scans: list[UnitScan] = field(default_factory=list)
    inspections: list[Inspection] = field(default_factory=list)
    movements: list[Any] = field(default_factory=list)
    refunds: list[Any] = field(default_factory=list)
    credit_notes: list[Any] = field(default_factory=list)
    warranty_start: dt.date | None = None
    warranty_end: dt.date | None = None


def unit_page(serial: str) -> UnitPage | None:
    """One page per serial (issue #13 item 6): its order, shipment, RMAs, scans, inspections,
    stock movements, refunds and warranty dates; None when Hearth knows no such serial."""
    from hearth.fulfilment.models import ReturnMovement, Shipment, Unit
    from hearth.orders.models import CreditNote, OrderRefund

    sales = list(
        Unit.objects.filter(serial=serial)
        .select_related("order_line__order")
        .order_by("-captured_at", "-pk")
    )
    unit = sales[0] if sales else None  # the latest sale (earlier ones were returned)
    orders = [sale.order_line.order_id for sale in sales]
    rma_units = list(RmaUnit.objects.filter(serial=serial).select_related("rma"))
    if unit is None and not rma_units:
        return None
    order = unit.order_line.order if unit is not None else None
    rmas = list(
        Rma.objects.filter(pk__in={ru.rma_id for ru in rma_units})
        .prefetch_related(Prefetch("events"))
        .order_by("requested_at", "pk")
    )
    page = UnitPage(
        serial=serial,
        sku=unit.sku if unit is not None else rma_units[0].sku,
        unit=unit,
        order=order,
        shipment=Shipment.objects.filter(order=order).first() if order is not None else None,
        earlier_sales=sales[1:],
        rmas=rmas,
        scans=list(UnitScan.objects.filter(serial=serial).select_related("rma")),
        inspections=list(
            Inspection.objects.filter(rma_unit__serial=serial).select_related("rma", "movement")
        ),
        movements=list(ReturnMovement.objects.filter(serial=serial)),
        # Refunds and credit notes of every order the serial was sold on (a return is refunded
        # on the sale it ended).
        refunds=list(OrderRefund.objects.filter(order_id__in=orders).order_by("at", "pk")),
        credit_notes=list(
            CreditNote.objects.filter(order_id__in=orders).order_by("issued_at", "pk")
        ),
    )
    from hearth.aftersales.warranty import warranty_dates

    coverage = warranty_dates(serial)  # a replacement unit keeps the first unit's dates
    if coverage is not None:
        page.warranty_start = coverage.start
    elif unit is not None and unit.shipped_on is not None:
        page.warranty_start = unit.shipped_on
    else:
        dealer = next((r for r in rmas if r.retail_purchased_on is not None), None)
        page.warranty_start = dealer.retail_purchased_on if dealer is not None else None
    if coverage is not None:
        page.warranty_end = coverage.end
    elif page.warranty_start is not None:
        page.warranty_end = rules.warranty_end(page.warranty_start)
    return page
