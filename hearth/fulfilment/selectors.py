"""Reads of the fulfilment app, translated for the person asking (checkout and the API call these).

The rules (:mod:`hearth.fulfilment.rules`, :mod:`hearth.fulfilment.address`) are pure and carry
untranslated messages; these functions add what lives in the database (staff's forwarder list)
and in settings (customer care's contact), and translate messages into the active language.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q
from django.utils.translation import gettext

from hearth.catalog import selectors as catalog_selectors
from hearth.core.errors import DomainError
from hearth.fulfilment import carriers, rules, services
from hearth.fulfilment.address import (
    AddressCheck,
    ForwarderAddress,
    check_address,
    normalise_postal_code,
)
from hearth.fulfilment.errors import AddressProblemCode
from hearth.fulfilment.models import (
    DeliveryExceptionCase,
    KnownForwarder,
    Shipment,
    StockAdjustment,
    StockReceipt,
    TrackingEvent,
    Unit,
)
from hearth.orders.models import Order, OrderLine


def known_forwarders(postal_code: str | None = None) -> tuple[ForwarderAddress, ...]:
    """The forwarder addresses staff added in the back office (the data file's come on top).

    With ``postal_code`` (normalised, "L5T 1V3"), only those at that postal code, read through
    its index: a forwarder matches only an address at its own postal code, so an address check
    reads those few rows, not the whole list, however long staff make it. Rows are stored with
    their postal code normalised (``KnownForwarder.save``)."""
    rows = KnownForwarder.objects.order_by()
    if postal_code is not None:
        rows = rows.filter(postal_code=postal_code)
    return tuple(
        ForwarderAddress(line, postal, note)
        for line, postal, note in rows.values_list("line", "postal_code", "note")
    )


def care_contact_message() -> str:
    """ "Contact customer care at ..." with the brand's care email and phone from settings."""
    brand = getattr(settings, "HEARTH_BRAND", {})
    return gettext("Customer care: %(email)s, %(phone)s.") % {
        "email": brand.get("care_email", ""),
        "phone": brand.get("care_phone", ""),
    }


def check_delivery_address(
    *, lines: Sequence[str], city: str, province: str, postal_code: str, country: str
) -> AddressCheck:
    """:func:`~hearth.fulfilment.address.check_address` with staff's forwarders, translated.

    An address outside Canada gets customer care's contact appended to its message (TOS-16).
    """
    # No valid postal code, no forwarder to match (``is_known_forwarder``): no read at all.
    postal = normalise_postal_code(postal_code)
    result = check_address(
        lines=lines,
        city=city,
        province=province,
        postal_code=postal_code,
        country=country,
        known_forwarders=known_forwarders(postal) if postal else (),
    )
    problems = []
    for problem in result.problems:
        message = gettext(problem.message)
        if problem.code == AddressProblemCode.OUTSIDE_SERVICE_REGION:
            message = f"{message} {care_contact_message()}"
        problems.append(dataclasses.replace(problem, message=message))
    return dataclasses.replace(result, problems=tuple(problems))


def translated(error: DomainError) -> DomainError:
    """The same DomainError with its message (and field messages) in the active language."""
    return DomainError(
        error.code,
        gettext(str(error.message)),
        fields={field: gettext(text) for field, text in error.fields.items()},
        status=error.status,
    )


def delivery_estimate(
    *, placed_at: dt.datetime, payment_confirmed_at: dt.datetime | None, method: str
) -> rules.Estimate:
    """:func:`hearth.fulfilment.rules.estimate`, with any refusal translated."""
    try:
        return rules.estimate(
            placed_at=placed_at, payment_confirmed_at=payment_confirmed_at, method=method
        )
    except DomainError as error:
        raise translated(error) from None


# --- Warehouse reads (issue #11).


@dataclass(frozen=True)
class PickLine:
    sku: str
    name: str
    colour: str
    quantity: int


@dataclass(frozen=True)
class PickRow:
    number: str
    status: str
    ship_date: dt.date | None
    shipping_method: str
    urgency: rules.PickUrgency
    lines: list[PickLine]


@dataclass(frozen=True)
class PickList:
    today: dt.date
    cutoff: dt.datetime
    rows: list[PickRow]
    late: int
    due_today: int
    upcoming: int
    total: int


def pick_list(*, today: dt.date, limit: int = 200, offset: int = 0) -> PickList:
    """Orders waiting for the warehouse by promised ship date: late first, then today's (with
    today's cut-off), then later ones; pre-orders with no date last.

    Three queries whatever the number of orders (counts, one page of orders, their lines); no
    personal data is read (the pick list needs SKUs and quantities, not addresses).
    """
    waiting = Order.objects.filter(status__in=services.PACKABLE)
    counts = waiting.aggregate(
        late=Count("pk", filter=Q(ship_date__lt=today)),
        due_today=Count("pk", filter=Q(ship_date=today)),
        upcoming=Count("pk", filter=Q(ship_date__gt=today)),
        total=Count("pk"),
    )
    orders = list(
        waiting.order_by(F("ship_date").asc(nulls_last=True), "placed_at", "pk").values(
            "pk", "number", "status", "ship_date", "shipping_method"
        )[offset : offset + limit]
    )
    lines: dict[int, list[PickLine]] = {}
    for row in OrderLine.objects.filter(order_id__in=[o["pk"] for o in orders]).values(
        "order_id", "sku", "name", "colour", "quantity"
    ):
        lines.setdefault(row["order_id"], []).append(
            PickLine(row["sku"], row["name"], row["colour"], row["quantity"])
        )
    rows = [
        PickRow(
            number=o["number"],
            status=o["status"],
            ship_date=o["ship_date"],
            shipping_method=o["shipping_method"],
            urgency=rules.pick_urgency(o["ship_date"], today),
            lines=sorted(lines.get(o["pk"], []), key=lambda line: line.sku),
        )
        for o in orders
    ]
    return PickList(
        today=today,
        cutoff=rules.todays_cutoff(today),
        rows=rows,
        late=counts["late"],
        due_today=counts["due_today"],
        upcoming=counts["upcoming"],
        total=counts["total"],
    )


@dataclass(frozen=True)
class PackLine:
    line: OrderLine
    serialised: bool
    example: str
    units: list[Unit]

    @property
    def remaining(self) -> int:
        return self.line.quantity - len(self.units) if self.serialised else 0


@dataclass(frozen=True)
class Packing:
    order: Order
    lines: list[PackLine]
    shipment: Shipment | None

    @property
    def complete(self) -> bool:
        return all(line.remaining == 0 for line in self.lines)

    @property
    def remaining(self) -> int:
        return sum(line.remaining for line in self.lines)


def packing(number: str) -> Packing:
    """The packing screen's order: each line with its scanned units and its serial format."""
    from django.http import Http404

    order = Order.objects.filter(number=number).first()
    if order is None:
        raise Http404
    formats = catalog_selectors.serial_formats()
    units: dict[int, list[Unit]] = {}
    for unit in Unit.objects.filter(order_line__order=order).order_by("captured_at", "pk"):
        units.setdefault(unit.order_line_id, []).append(unit)
    lines = []
    for line in order.lines.all():
        fmt = formats.get(line.sku)
        serialised = fmt is None or fmt.serialised
        lines.append(PackLine(line, serialised, fmt.example if fmt else "", units.get(line.pk, [])))
    return Packing(order, lines, Shipment.objects.filter(order=order).first())


def shipment_of(order: Order) -> Shipment | None:
    return Shipment.objects.filter(order=order).first()


@dataclass(frozen=True)
class Tracking:
    shipment: Shipment
    carrier_name: str
    tracking_url: str
    events: list[TrackingEvent]


def tracking_for(order: Order) -> Tracking | None:
    """The order's shipment with its carrier events, oldest first (None before a label)."""
    shipment = Shipment.objects.filter(order=order).first()
    if shipment is None:
        return None
    carrier = carriers.carrier(shipment.carrier)
    return Tracking(
        shipment,
        carrier.name,
        carrier.tracking_url(shipment.tracking_code),
        list(shipment.events.order_by("at", "pk")),
    )


def carrier_events(*, carrier_key: str, tracking_code: str) -> list[TrackingEvent] | None:
    """What a carrier's public tracking page shows: the events of a code, no personal data."""
    shipment = Shipment.objects.filter(carrier=carrier_key, tracking_code=tracking_code).first()
    return None if shipment is None else list(shipment.events.order_by("at", "pk"))


def guest_order(*, number: str, email: str, postal_code: str) -> Order | None:
    """A guest's order, found only when number, email and postal code all match (else None)."""
    from hearth.fulfilment.address import normalise_postal_code

    order = Order.objects.filter(number=number.strip().upper()).first()
    if order is None:
        return None
    same_email = order.email.strip().lower() == email.strip().lower()
    wanted = normalise_postal_code(postal_code) or ""
    same_postal = (normalise_postal_code(order.postal_code) or "") == wanted and bool(wanted)
    return order if same_email and same_postal else None


def low_stock() -> list[Any]:
    """Variants at or below their low-stock threshold, fewest first (the warehouse's home)."""
    from hearth.catalog.models import Variant

    return list(
        Variant.objects.filter(stock_on_hand__lte=F("low_stock_threshold"))
        .select_related("product")
        .order_by("stock_on_hand", "sku")
    )


def promises_kept(*, weeks: int, today: dt.date) -> list[rules.WeekPromise]:
    """Share of orders shipped on or before their promised date, for the last ``weeks`` weeks."""
    last = rules.week_start(today)
    mondays = [last - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    rows = (
        Order.objects.filter(ship_date__gte=mondays[0], ship_date__lt=last + dt.timedelta(days=7))
        .exclude(status="cancelled")
        .values_list("ship_date", "shipment__shipped_on")
    )
    dated = [(promised, shipped) for promised, shipped in rows if promised is not None]
    return rules.promises_kept_by_week(dated, weeks=mondays, today=today)


def open_exception_cases() -> list[DeliveryExceptionCase]:
    return list(
        DeliveryExceptionCase.objects.filter(state=DeliveryExceptionCase.State.OPEN).select_related(
            "shipment__order"
        )
    )


def waiting_for_stock() -> list[Any]:
    """SKUs that open pre-orders and backorders wait for (orders, units), for the receiving form:
    a receipt that leaves some of them waiting needs their new expected ship date."""
    from hearth.orders.selectors import waiting_for_stock_by_sku

    return waiting_for_stock_by_sku()


def recent_stock_movements(limit: int = 20) -> tuple[list[StockReceipt], list[StockAdjustment]]:
    return (
        list(StockReceipt.objects.select_related("received_by")[:limit]),
        list(StockAdjustment.objects.select_related("actor")[:limit]),
    )
