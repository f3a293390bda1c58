"""Ship date and delivery window (TOS-13, TOS-14, TOS-18), as pure functions of plain values.

Binding reading (PROMISES.md, "Business calendar", "Ship date", "Delivery window"): let T be the
later of the placement time and the payment-confirmation time, on the warehouse's wall clock
(America/Toronto). If T falls on a business day before 12:00:00, the order ships that day;
otherwise it ships on the next business day after T's date. Standard delivery takes the ship date
+ 2 to the ship date + 3 business days. Business days come from :mod:`hearth.core.calendar`.

Timestamps must carry a UTC offset (any offset; naive ones are refused, since 11:00 means nothing
without one). Shipping methods are data (``data/shipping_methods.json``), validated when loaded.
No Django, no ORM, no clock reads: time is always an argument.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hearth.core.calendar import add_business_days, is_business_day, next_business_day
from hearth.core.errors import DomainError
from hearth.core.money import parse_amount
from hearth.core.signatures import WEBHOOK_TOLERANCE_SECONDS as WEBHOOK_TOLERANCE_SECONDS
from hearth.core.signatures import signature_header as signature_header
from hearth.core.signatures import signature_valid as signature_valid
from hearth.core.signatures import webhook_signature as webhook_signature
from hearth.fulfilment.errors import FulfilmentErrorCode, gettext_noop

DATA_DIR = Path(__file__).resolve().parent / "data"

#: The warehouse's wall clock (Ontario). Same zone as ``hearth.core.clock.EASTERN``.
WAREHOUSE_TIMEZONE = ZoneInfo("America/Toronto")
#: Orders ready strictly before this wall-clock time on a business day ship that day.
CUTOFF = dt.time(12, 0, 0)
#: Timestamps outside these years are refused: the holiday tables mean nothing there, and
#: converting year-9999 instants between zones overflows.
FIRST_YEAR = 2000
LAST_YEAR = 2099
DEFAULT_METHOD = "standard"


@dataclass(frozen=True, slots=True)
class ShippingMethod:
    """A way to ship inside Canada: its delivery window in business days and its fee (CAD)."""

    code: str
    name: str
    min_business_days: int
    max_business_days: int
    fee: Decimal
    source: str


@dataclass(frozen=True, slots=True)
class Estimate:
    """What the customer is told before and after paying.

    ``cutoff`` is the 12:00 America/Toronto cut-off on the day the order became ready (T's date);
    ``confirmation_assumed`` is true when no payment confirmation time was given and the estimate
    assumes payment is confirmed at placement.
    """

    ship_date: dt.date
    delivery_earliest: dt.date
    delivery_latest: dt.date
    method: str
    shipping_fee: Decimal
    cutoff: dt.datetime
    confirmation_assumed: bool


def load_shipping_methods(
    path: Path = DATA_DIR / "shipping_methods.json",
) -> dict[str, ShippingMethod]:
    """Read and validate the shipping-method table; raise ``ValueError`` naming the bad entry."""
    raw: Any = json.loads(path.read_text(encoding="utf-8"))
    entries = raw.get("methods") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path.name}: 'methods' must be a non-empty list")
    methods: dict[str, ShippingMethod] = {}
    for index, entry in enumerate(entries):
        where = f"{path.name}: methods[{index}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: must be an object")
        code, name, source = entry.get("code"), entry.get("name"), entry.get("source")
        low, high = entry.get("min_business_days"), entry.get("max_business_days")
        if not (isinstance(code, str) and code and code == code.strip().lower()):
            raise ValueError(f"{where}: 'code' must be a lower-case string")
        if code in methods:
            raise ValueError(f"{where}: duplicate code {code!r}")
        if not (isinstance(name, str) and name and isinstance(source, str) and source):
            raise ValueError(f"{where}: 'name' and 'source' are required")
        if not (type(low) is int and type(high) is int and 0 < low <= high):
            raise ValueError(f"{where}: need 0 < min_business_days <= max_business_days")
        try:
            fee = parse_amount(entry.get("fee"))  # type: ignore[arg-type]
        except ValueError as exc:
            raise ValueError(f"{where}: 'fee' {exc}") from None
        methods[code] = ShippingMethod(code, name, low, high, fee, source)
    return methods


SHIPPING_METHODS: dict[str, ShippingMethod] = load_shipping_methods()


def shipping_methods() -> tuple[ShippingMethod, ...]:
    """Every shipping method on offer, in the data file's order (standard first)."""
    return tuple(SHIPPING_METHODS.values())


def shipping_method(code: str) -> ShippingMethod:
    """The method with this code; ``DomainError(unknown_method, field="method")`` otherwise."""
    method = SHIPPING_METHODS.get(code) if isinstance(code, str) else None
    if method is None:
        raise DomainError(
            FulfilmentErrorCode.UNKNOWN_METHOD,
            gettext_noop("This shipping method is not offered. Choose standard or express."),
            field="method",
        )
    return method


def _checked(value: dt.datetime, field: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise DomainError(
            FulfilmentErrorCode.NAIVE_TIMESTAMP,
            gettext_noop(
                "The timestamp needs a UTC offset, for example 2026-03-06T11:59:59-05:00 "
                "or 2026-03-06T16:59:59Z."
            ),
            field=field,
        )
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise DomainError(
            FulfilmentErrorCode.TIMESTAMP_OUT_OF_RANGE,
            gettext_noop("The timestamp must fall between the years 2000 and 2099."),
            field=field,
        )
    return value


def ready_at(*, placed_at: dt.datetime, payment_confirmed_at: dt.datetime | None) -> dt.datetime:
    """T of PROMISES.md: the later of placement and payment confirmation, in America/Toronto.

    ``payment_confirmed_at=None`` means "not confirmed yet": an estimate shown before paying
    assumes the customer pays at once, so confirmation is taken to happen at placement
    (T = ``placed_at``). Raises ``DomainError`` for naive timestamps (naming the field), for
    timestamps outside 2000-2099, and for a confirmation before the placement.
    """
    placed = _checked(placed_at, "placed_at")
    ready = placed
    if payment_confirmed_at is not None:
        confirmed = _checked(payment_confirmed_at, "payment_confirmed_at")
        if confirmed < placed:
            raise DomainError(
                FulfilmentErrorCode.PAYMENT_BEFORE_PLACEMENT,
                gettext_noop("Payment cannot be confirmed before the order is placed."),
                field="payment_confirmed_at",
            )
        ready = confirmed
    return ready.astimezone(WAREHOUSE_TIMEZONE)


def ship_date_for_ready(ready: dt.datetime) -> dt.date:
    """The ship date for an order ready at ``ready`` (aware; any zone; no further checks)."""
    local = ready.astimezone(WAREHOUSE_TIMEZONE)
    day = local.date()
    if local.time() < CUTOFF and is_business_day(day):
        return day
    return next_business_day(day)


def ship_date(*, placed_at: dt.datetime, payment_confirmed_at: dt.datetime | None) -> dt.date:
    """The day the order ships (TOS-13, TOS-18).

    T is the later of ``placed_at`` and ``payment_confirmed_at`` on the America/Toronto wall
    clock. If T's date is a business day and T is before 12:00:00, the order ships that day;
    otherwise on the next business day after T's date. A null ``payment_confirmed_at`` assumes
    confirmation at placement (see :func:`ready_at`). Raises ``DomainError`` for naive
    timestamps and for a confirmation before the placement.
    """
    return ship_date_for_ready(
        ready_at(placed_at=placed_at, payment_confirmed_at=payment_confirmed_at)
    )


def delivery_window(ship_date: dt.date, method: str = DEFAULT_METHOD) -> tuple[dt.date, dt.date]:
    """Earliest and latest delivery day: the ship date + the method's min and max business days.

    Standard: ship date + 2 to ship date + 3 business days (TOS-14). Raises
    ``DomainError(unknown_method, field="method")`` for a method not in the data file.
    """
    chosen = shipping_method(method)
    earliest = add_business_days(ship_date, chosen.min_business_days)
    latest = add_business_days(earliest, chosen.max_business_days - chosen.min_business_days)
    return earliest, latest


def estimate(
    *,
    placed_at: dt.datetime,
    payment_confirmed_at: dt.datetime | None,
    method: str = DEFAULT_METHOD,
) -> Estimate:
    """Ship date, delivery window, fee and cut-off for one order, as one frozen value."""
    chosen = shipping_method(method)
    ready = ready_at(placed_at=placed_at, payment_confirmed_at=payment_confirmed_at)
    shipped = ship_date_for_ready(ready)
    earliest, latest = delivery_window(shipped, chosen.code)
    cutoff = dt.datetime.combine(ready.date(), CUTOFF, tzinfo=WAREHOUSE_TIMEZONE)
    return Estimate(
        ship_date=shipped,
        delivery_earliest=earliest,
        delivery_latest=latest,
        method=chosen.code,
        shipping_fee=chosen.fee,
        cutoff=cutoff,
        confirmation_assumed=payment_confirmed_at is None,
    )


# --- Warehouse (issue #11): shipment progress, pick urgency, serials, webhook signatures, the
# chart of ship-date promises kept. Pure like the rest: the caller passes today and now.


class ShipmentStatus(StrEnum):
    LABEL_CREATED = "label_created"
    SHIPPED = "shipped"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    RETURNED_TO_SENDER = "returned_to_sender"
    LOST = "lost"


#: Where a shipment can be in its journey: a later event never moves it back to an earlier step,
#: and an ended journey (delivered, returned, lost) stays ended.
_PROGRESS: dict[ShipmentStatus, int] = {
    ShipmentStatus.LABEL_CREATED: 0,
    ShipmentStatus.SHIPPED: 1,
    ShipmentStatus.IN_TRANSIT: 2,
    ShipmentStatus.OUT_FOR_DELIVERY: 3,
}
ENDED: frozenset[ShipmentStatus] = frozenset(
    {ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED_TO_SENDER, ShipmentStatus.LOST}
)
EXCEPTIONS: frozenset[ShipmentStatus] = frozenset(
    {ShipmentStatus.RETURNED_TO_SENDER, ShipmentStatus.LOST}
)


def next_shipment_status(current: str, event: str) -> ShipmentStatus:
    """The shipment's status after a carrier event of kind ``event``.

    Any carrier event means the carrier has the parcel (at least ``shipped``); events arriving out
    of order never move it back; delivered, returned to sender and lost are final.
    """
    now, kind = ShipmentStatus(current), ShipmentStatus(event)
    if now in ENDED:
        return now
    if kind in ENDED:
        return kind
    if kind is ShipmentStatus.LABEL_CREATED:
        kind = ShipmentStatus.SHIPPED
    return kind if _PROGRESS[kind] > _PROGRESS[now] else now


class PickUrgency(StrEnum):
    LATE = "late"
    TODAY = "today"
    UPCOMING = "upcoming"
    UNDATED = "undated"


def pick_urgency(ship_date: dt.date | None, today: dt.date) -> PickUrgency:
    """Late (promised before today), today's, or later; undated for a pre-order still unknown."""
    if ship_date is None:
        return PickUrgency.UNDATED
    if ship_date < today:
        return PickUrgency.LATE
    return PickUrgency.TODAY if ship_date == today else PickUrgency.UPCOMING


def todays_cutoff(today: dt.date) -> dt.datetime:
    """Today's 12:00 America/Toronto cut-off: orders ready before it ship today (TOS-13)."""
    return dt.datetime.combine(today, CUTOFF, tzinfo=WAREHOUSE_TIMEZONE)


class SerialVerdict(StrEnum):
    OK = "ok"
    FORMAT = "serial_format"
    OTHER_SKU = "serial_other_sku"
    NOT_NEEDED = "serial_not_needed"


@dataclass(frozen=True, slots=True)
class SerialCheck:
    """Which SKU of the order a scanned serial is for, or why it is refused.

    ``sku`` is the order's SKU it fits (OK), or the other SKU it belongs to (OTHER_SKU), or the
    order's SKU whose units are all scanned already (NOT_NEEDED).
    """

    verdict: SerialVerdict
    sku: str | None = None


def check_serial(
    serial: str, *, wanted: dict[str, int], formats_by_sku: dict[str, Any]
) -> SerialCheck:
    """Place a scanned serial on the order: ``wanted`` is units still to scan per SKU;
    ``formats_by_sku`` maps every SKU to an object with ``matches(serial) -> bool``.

    A serial fits an order SKU when it matches that SKU's format and that SKU still wants units.
    One that matches only a SKU not in the order (or whose units are all scanned) is of another
    SKU; one that matches no format is malformed. Uniqueness is the database's part.
    """
    owners = sorted(sku for sku, fmt in formats_by_sku.items() if fmt.matches(serial))
    for sku in owners:
        if wanted.get(sku, 0) > 0:
            return SerialCheck(SerialVerdict.OK, sku)
    if not owners:
        return SerialCheck(SerialVerdict.FORMAT)
    in_order = [sku for sku in owners if sku in wanted]
    if in_order:
        return SerialCheck(SerialVerdict.NOT_NEEDED, in_order[0])
    return SerialCheck(SerialVerdict.OTHER_SKU, owners[0])


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True, slots=True)
class WeekPromise:
    """Orders promised to ship in one week, and how many shipped on or before the promised day."""

    week_start: dt.date
    promised: int
    kept: int

    @property
    def share(self) -> float | None:
        return self.kept / self.promised if self.promised else None


def promises_kept_by_week(
    rows: Iterable[tuple[dt.date, dt.date | None]], *, weeks: Sequence[dt.date], today: dt.date
) -> list[WeekPromise]:
    """Share of ship-date promises kept per week of the promised date.

    ``rows`` are (promised ship date, shipped on or None). A promise counts once its day has come
    (promised on or before ``today``) or once shipped; it is kept when shipped on or before the
    promised date. Weeks in ``weeks`` (Mondays) with no promise show 0 of 0.
    """
    counts = {w: [0, 0] for w in weeks}
    for promised, shipped_on in rows:
        if promised > today and shipped_on is None:
            continue
        cell = counts.get(week_start(promised))
        if cell is None:
            continue
        cell[0] += 1
        if shipped_on is not None and shipped_on <= promised:
            cell[1] += 1
    return [WeekPromise(w, counts[w][0], counts[w][1]) for w in weeks]


class AdjustmentReason(StrEnum):
    DAMAGED = "damaged"
    COUNT_CORRECTION = "count_correction"
    FOUND = "found"
    MISSING = "missing"
    SUPPLIER_RETURN = "supplier_return"


class ReturnDisposition(StrEnum):
    """Where a returned unit goes once inspected (after-sales decides which are allowed)."""

    RESTOCK = "restock"  # back to stock on hand
    REFURBISH = "refurbish"  # to the refurbishment bench
    SCRAP = "scrap"  # written off


class RestDateProblem(StrEnum):
    """Why the expected ship date given for the orders a receipt leaves waiting is refused."""

    REQUIRED = "rest_date_required"
    IN_THE_PAST = "rest_date_in_past"


def rest_date_problem(
    *, still_waiting: int, date: dt.date | None, today: dt.date
) -> RestDateProblem | None:
    """Receiving stock with ``still_waiting`` orders left waiting after it: their new expected
    ship date is required (they are re-dated and told, TOS-20) and may not be before ``today``
    (the warehouse's date); with nobody left waiting it is optional. None when acceptable."""
    if date is None:
        return RestDateProblem.REQUIRED if still_waiting > 0 else None
    return RestDateProblem.IN_THE_PAST if date < today else None


def is_low_stock(stock_on_hand: int, threshold: int) -> bool:
    """The warehouse's home lists a variant at or below its threshold."""
    return stock_on_hand <= threshold
