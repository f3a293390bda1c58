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
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hearth.core.calendar import add_business_days, is_business_day, next_business_day
from hearth.core.errors import DomainError
from hearth.core.money import parse_amount
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
