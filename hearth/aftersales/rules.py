"""Return and warranty windows (TOS-22, TOS-23, TOS-24) as pure functions of dates.

No ORM, no Django, no clock: every date is an argument. Day counting follows PROMISES.md
("Day counting", "Return window"):

* "within N days of D" means on or before D + N calendar days;
* "within N working days of D" means on or before the N-th business day after D
  (:func:`hearth.core.calendar.add_business_days`; D itself never counts);
* "a year from D" ends on the same month and day one year later, inclusive. **Leap day:** a
  year from 29 February ends on 28 February of the next year (which is not a leap year), so a
  product shipped on 2024-02-29 is covered up to and including 2025-02-28. A year that merely
  contains a 29 February is not lengthened or shortened by it: 2023-03-01 runs to 2024-03-01.

The terms' numbers (window lengths) and the reason codes with their messages live here, once,
each with the promise ID it comes from. Messages are English msgids marked with
:func:`gettext_noop` (extracted by ``makemessages``); the interface translates them with
``gettext`` when it shows them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from hearth.aftersales.errors import AftersalesErrorCode
from hearth.core.calendar import add_business_days
from hearth.core.errors import CoreErrorCode, DomainError


def gettext_noop(message: str) -> str:
    """Mark ``message`` for translation without importing Django (translated at the edge)."""
    return message


# --- The terms' numbers, one place ------------------------------------------------------------

RETURN_WINDOW_DAYS = 45  # TOS-22: begun within 45 calendar days of the original shipment date
WARRANTY_YEARS = 1  # TOS-23: one year from shipment (direct) or retail purchase (dealer)
RMA_ARRIVAL_DAYS = 14  # TOS-24: arrives within 14 calendar days of the RMA's issue
REFUND_DUE_FROM_BUSINESS_DAYS = 10  # TOS-24: refund credited within 10-15 working days ...
REFUND_DUE_BY_BUSINESS_DAYS = 15  # TOS-24: ... after receipt
ADVANCE_REPLACEMENT_BUSINESS_DAYS = 2  # TOS-24: ships within 1-2 working days of the request
RMA_REMINDER_DAYS_BEFORE = 3  # issue #13: a reminder email 3 days before the arrival deadline

# Input sanity: Hearth's brand sells nothing shipped before 2006, and nothing is planned past
# 2099 (the business calendar and date arithmetic stay far from datetime's year-9999 limit).
EARLIEST_DATE = dt.date(2006, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)


class ClaimKind(StrEnum):
    RETURN = "return"  # TOS-22: the 45-day return
    WARRANTY = "warranty"  # TOS-23: the one-year warranty


class Channel(StrEnum):
    WEB = "web"
    PHONE = "phone"
    DEALER = "dealer"


DIRECT_CHANNELS = frozenset({Channel.WEB, Channel.PHONE})


class Condition(StrEnum):
    NEW = "new"
    AS_NEW = "as_new"
    USED = "used"
    DAMAGED = "damaged"


RETURNABLE_CONDITIONS = frozenset({Condition.NEW, Condition.AS_NEW})


class Exclusion(StrEnum):
    """TOS-23's warranty exclusions, as facts a care agent records about a claim."""

    ACCIDENT = "accident"
    ABUSE_OR_MISUSE = "abuse_or_misuse"
    AGAINST_INSTRUCTIONS = "against_instructions"
    SERIAL_MISSING_OR_ALTERED = "serial_missing_or_altered"
    HOUSING_OPENED = "housing_opened"
    THIRD_PARTY_ACCESSORY = "third_party_accessory"


class ReasonCode(StrEnum):
    WINDOW_CLOSED = "window_closed"
    NOT_DIRECT_PURCHASE = "not_direct_purchase"
    NOT_AS_NEW = "not_as_new"
    MISSING_PACKAGING = "missing_packaging"
    RETAIL_PURCHASE_DATE_REQUIRED = "retail_purchase_date_required"
    ACCIDENT = "accident"
    ABUSE_OR_MISUSE = "abuse_or_misuse"
    AGAINST_INSTRUCTIONS = "against_instructions"
    SERIAL_MISSING_OR_ALTERED = "serial_missing_or_altered"
    HOUSING_OPENED = "housing_opened"
    THIRD_PARTY_ACCESSORY = "third_party_accessory"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a claim is not eligible: a stable code, an English msgid and the promises behind it."""

    code: ReasonCode
    message: str
    promises: tuple[str, ...]


REASONS: dict[ReasonCode, Reason] = {
    r.code: r
    for r in (
        Reason(
            ReasonCode.WINDOW_CLOSED,
            gettext_noop(
                "The request was made after the deadline: the window for this claim has closed."
            ),
            ("TOS-22", "TOS-23"),
        ),
        Reason(
            ReasonCode.NOT_DIRECT_PURCHASE,
            gettext_noop(
                "The 45-day return is for products bought directly from us on the web or by "
                "phone. A product bought from a dealer is returned through that dealer."
            ),
            ("TOS-22",),
        ),
        Reason(
            ReasonCode.NOT_AS_NEW,
            gettext_noop("A returned product must be new or as-new."),
            ("TOS-22",),
        ),
        Reason(
            ReasonCode.MISSING_PACKAGING,
            gettext_noop(
                "A returned product must come in its original packaging with all materials."
            ),
            ("TOS-22",),
        ),
        Reason(
            ReasonCode.RETAIL_PURCHASE_DATE_REQUIRED,
            gettext_noop(
                "A warranty claim for a product bought from a dealer needs the retail purchase "
                "date: the warranty runs for one year from it."
            ),
            ("TOS-23",),
        ),
        Reason(
            ReasonCode.ACCIDENT,
            gettext_noop(
                "Accidental damage is not covered by the warranty."
                " A paid repair or replacement can be offered instead."
            ),
            ("TOS-23",),
        ),
        Reason(
            ReasonCode.ABUSE_OR_MISUSE,
            gettext_noop(
                "Abuse or misuse is not covered by the warranty."
                " A paid repair or replacement can be offered instead."
            ),
            ("TOS-23",),
        ),
        Reason(
            ReasonCode.AGAINST_INSTRUCTIONS,
            gettext_noop(
                "Use against the product's instructions is not covered by the warranty."
                " A paid repair or replacement can be offered instead."
            ),
            ("TOS-23",),
        ),
        Reason(
            ReasonCode.SERIAL_MISSING_OR_ALTERED,
            gettext_noop(
                "A product whose serial number is missing or altered is not covered by the "
                "warranty."
                " A paid repair or replacement can be offered instead."
            ),
            ("TOS-23",),
        ),
        Reason(
            ReasonCode.HOUSING_OPENED,
            gettext_noop(
                "A product whose housing was opened or tampered with is not covered by the "
                "warranty."
                " A paid repair or replacement can be offered instead."
            ),
            ("TOS-23",),
        ),
        Reason(
            ReasonCode.THIRD_PARTY_ACCESSORY,
            gettext_noop(
                "Damage caused by a third-party accessory is not covered by the warranty."
                " A paid repair or replacement can be offered instead."
            ),
            ("TOS-23",),
        ),
    )
}

_EXCLUSION_REASONS: dict[Exclusion, ReasonCode] = {e: ReasonCode(e.value) for e in Exclusion}


# --- The windows ------------------------------------------------------------------------------


def return_deadline(shipped_on: dt.date) -> dt.date:
    """The last day to begin a 45-day return (TOS-22): ``shipped_on`` + 45 calendar days.

    Inclusive: an RMA requested on the returned date is in time; the next day is not.
    """
    return shipped_on + dt.timedelta(days=RETURN_WINDOW_DAYS)


def return_window_open(*, shipped_on: dt.date, on: dt.date) -> bool:
    """True when a 45-day return requested ``on`` that date is in time (TOS-22)."""
    return on <= return_deadline(shipped_on)


def warranty_end(start: dt.date) -> dt.date:
    """The last day of the warranty that starts on ``start`` (TOS-23), inclusive.

    The same month and day one year later. Leap day: a warranty starting on 29 February ends
    on 28 February of the following year (e.g. 2024-02-29 -> 2025-02-28). A start of
    28 February or 1 March is unaffected by a leap day inside the year (2023-03-01 ->
    2024-03-01, 2023-02-28 -> 2024-02-28).
    """
    year = start.year + WARRANTY_YEARS
    if start.month == 2 and start.day == 29:  # the leap day itself
        return dt.date(year, 2, 28)
    return start.replace(year=year)


def warranty_active(*, start: dt.date, on: dt.date) -> bool:
    """True when a warranty claim made ``on`` that date is in time (TOS-23)."""
    return start <= on <= warranty_end(start)


def warranty_start(
    *, shipped_on: dt.date | None, retail_purchased_on: dt.date | None, channel: Channel
) -> dt.date | None:
    """The day the one-year warranty starts (TOS-23).

    Direct purchases (web, phone): the original shipment date. Dealer purchases: the retail
    purchase date from the authorised dealer, or ``None`` when it is not known (a claim then
    needs it). Nothing else moves it: a repair or a replacement does not restart the warranty,
    and a change of owner does not change it (the warranty follows the product), so neither is
    an argument here.

    Raises DomainError (field ``retail_purchased_on``) when a retail purchase date is given for
    a direct purchase, which has none.
    """
    if channel == Channel.DEALER:
        return retail_purchased_on
    if retail_purchased_on is not None:
        raise DomainError(
            AftersalesErrorCode.RETAIL_DATE_NOT_DEALER,
            gettext_noop(
                "A retail purchase date applies only to products bought from a dealer; "
                "leave it empty for web and phone purchases."
            ),
            field="retail_purchased_on",
        )
    return _required_shipment(shipped_on)


def _required_shipment(shipped_on: dt.date | None) -> dt.date:
    """A direct purchase's shipment date, or DomainError ``invalid`` naming ``shipped_on``.

    Only a dealer purchase may come without one: we shipped nothing to its owner.
    """
    if shipped_on is None:
        raise DomainError(
            CoreErrorCode.INVALID,
            gettext_noop(
                "is required for web and phone purchases: the date we shipped the product "
                "(YYYY-MM-DD). Only a dealer purchase may leave it empty."
            ),
            field="shipped_on",
        )
    return shipped_on


def rma_arrival_deadline(issued_on: dt.date) -> dt.date:
    """The last day the returned product may arrive (TOS-24): RMA issue + 14 calendar days."""
    return issued_on + dt.timedelta(days=RMA_ARRIVAL_DAYS)


def refund_due_window(received_on: dt.date) -> tuple[dt.date, dt.date]:
    """When a 45-day refund is due (TOS-24): the 10th to the 15th business day after receipt.

    The day of receipt never counts; weekends and Ontario/federal statutory holidays (observed
    days included) are skipped, as in :mod:`hearth.core.calendar`.
    """
    return (
        add_business_days(received_on, REFUND_DUE_FROM_BUSINESS_DAYS),
        add_business_days(received_on, REFUND_DUE_BY_BUSINESS_DAYS),
    )


def refund_late(*, received_on: dt.date, today: dt.date) -> bool:
    """A 45-day refund is late once the last day of its window (the 15th business day after
    receipt, TOS-24) has passed without it: finance's queue flags it."""
    return today > refund_due_window(received_on)[1]


def advance_replacement_ship_by(requested_on: dt.date) -> dt.date:
    """The last day an advance warranty replacement ships (TOS-24): the 2nd business day
    after the RMA request."""
    return add_business_days(requested_on, ADVANCE_REPLACEMENT_BUSINESS_DAYS)


# --- Eligibility ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Eligibility:
    """The answer to "may this return or warranty claim go ahead, and by when?".

    ``deadline`` is the window that applies to the claim's kind: the return deadline for a
    return, the warranty's last day for a warranty claim. It is ``None`` only when no window
    applies: a 45-day return asked for a dealer purchase, or a dealer warranty claim without a
    retail purchase date. The other dates are given where the inputs allow them.
    """

    eligible: bool
    deadline: dt.date | None
    reasons: tuple[Reason, ...]
    return_deadline: dt.date | None = None
    warranty_end: dt.date | None = None
    rma_arrival_deadline: dt.date | None = None
    arrived_in_time: bool | None = None
    refund_due_from: dt.date | None = None
    refund_due_by: dt.date | None = None
    advance_replacement_ship_by: dt.date | None = None


def _check_range(field: str, value: dt.date | None) -> None:
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise DomainError(
            AftersalesErrorCode.DATE_OUT_OF_RANGE,
            gettext_noop("The date must be between 2006-01-01 and 2099-12-31."),
            field=field,
        )


def _check_not_before(field: str, value: dt.date | None, earliest: dt.date, message: str) -> None:
    if value is not None and value < earliest:
        raise DomainError(AftersalesErrorCode.DATES_OUT_OF_ORDER, message, field=field)


def check_claim_dates(
    *,
    shipped_on: dt.date | None,
    requested_on: dt.date,
    retail_purchased_on: dt.date | None = None,
    rma_issued_on: dt.date | None = None,
    received_on: dt.date | None = None,
) -> None:
    """Raise DomainError naming the field when the dates cannot belong to one claim.

    Each date lies in 2006-01-01..2099-12-31, and events come in order: shipment, then the
    retail purchase (a dealer buys before it sells), then the request, then the RMA's issue,
    then the receipt of the product. A dealer purchase may have no shipment date (we shipped
    nothing to its owner); the comparisons with it are then skipped.
    """
    dates = {
        "shipped_on": shipped_on,
        "retail_purchased_on": retail_purchased_on,
        "requested_on": requested_on,
        "rma_issued_on": rma_issued_on,
        "received_on": received_on,
    }
    for field, value in dates.items():
        _check_range(field, value)
    if shipped_on is not None:
        _check_not_before(
            "retail_purchased_on",
            retail_purchased_on,
            shipped_on,
            gettext_noop("The retail purchase date cannot be before the shipment date."),
        )
    if retail_purchased_on is not None and retail_purchased_on > requested_on:
        raise DomainError(
            AftersalesErrorCode.DATES_OUT_OF_ORDER,
            gettext_noop("The retail purchase date cannot be after the request date."),
            field="retail_purchased_on",
        )
    if shipped_on is not None:
        _check_not_before(
            "requested_on",
            requested_on,
            shipped_on,
            gettext_noop("The request date cannot be before the shipment date."),
        )
    _check_not_before(
        "rma_issued_on",
        rma_issued_on,
        requested_on,
        gettext_noop("The RMA cannot be issued before it was requested."),
    )
    _check_not_before(
        "received_on",
        received_on,
        rma_issued_on or requested_on,
        gettext_noop("The product cannot be received before its RMA was requested and issued."),
    )


def _unique(items: Iterable[Exclusion]) -> tuple[Exclusion, ...]:
    return tuple(dict.fromkeys(Exclusion(item) for item in items))


def eligibility(
    *,
    kind: ClaimKind,
    channel: Channel,
    shipped_on: dt.date | None,
    requested_on: dt.date,
    retail_purchased_on: dt.date | None = None,
    condition: Condition | None = None,
    original_packaging: bool | None = None,
    exclusions: Iterable[Exclusion] = (),
    owner_changed: bool = False,
    repairs: int = 0,
    rma_issued_on: dt.date | None = None,
    received_on: dt.date | None = None,
) -> Eligibility:
    """Decide a return (TOS-22) or warranty claim (TOS-23) and its deadlines (TOS-24).

    A **return** is eligible when the product was bought directly (web or phone), the RMA is
    requested on or before ``shipped_on`` + 45 days, and, where the caller states them, the
    product is new or as-new (``condition``) and in its original packaging with all materials
    (``original_packaging``). A dealer purchase asking for a 45-day return is not an input
    error but a reason (``not_direct_purchase``): the customer is sent to the dealer.
    ``exclusions`` are not considered for returns.

    A **warranty** claim is eligible when it is made on or before :func:`warranty_end` of
    :func:`warranty_start` and none of TOS-23's exclusions applies (each stated exclusion is
    its own reason). ``condition`` and ``original_packaging`` are not considered for warranty
    claims. ``owner_changed`` and ``repairs`` are accepted and deliberately change nothing:
    the warranty follows the product to a new owner, and a repair or replacement does not
    extend it.

    Also computed where the inputs allow: the RMA arrival deadline and whether the product
    arrived in time (``rma_issued_on``, ``received_on``), the refund window of an eligible
    return (``received_on``), and the advance-replacement ship-by date of an eligible warranty
    claim.

    ``shipped_on`` may be ``None`` for a dealer purchase only (issue #13: we shipped nothing to
    its owner; its warranty runs from ``retail_purchased_on``).

    Raises DomainError naming the field for dates that cannot belong to one claim
    (:func:`check_claim_dates`), a missing shipment date on a direct purchase (``invalid``), a
    retail purchase date on a direct purchase, or a negative repair count.
    """
    kind, channel = ClaimKind(kind), Channel(channel)
    check_claim_dates(
        shipped_on=shipped_on,
        requested_on=requested_on,
        retail_purchased_on=retail_purchased_on,
        rma_issued_on=rma_issued_on,
        received_on=received_on,
    )
    if repairs < 0:
        raise DomainError(
            AftersalesErrorCode.INVALID_COUNT,
            gettext_noop("The number of repairs cannot be negative."),
            field="repairs",
        )
    del owner_changed, repairs  # TOS-23: neither moves the warranty; see the docstring.

    direct = channel in DIRECT_CHANNELS
    if direct:
        shipped_on = _required_shipment(shipped_on)
    start = warranty_start(
        shipped_on=shipped_on, retail_purchased_on=retail_purchased_on, channel=channel
    )
    end = warranty_end(start) if start is not None else None
    returns_by = return_deadline(shipped_on) if direct and shipped_on is not None else None

    codes: list[ReasonCode] = []
    if kind == ClaimKind.RETURN:
        deadline = returns_by
        if returns_by is None:
            codes.append(ReasonCode.NOT_DIRECT_PURCHASE)
        elif requested_on > returns_by:
            codes.append(ReasonCode.WINDOW_CLOSED)
        if condition is not None and Condition(condition) not in RETURNABLE_CONDITIONS:
            codes.append(ReasonCode.NOT_AS_NEW)
        if original_packaging is False:
            codes.append(ReasonCode.MISSING_PACKAGING)
    else:
        deadline = end
        if end is None:
            codes.append(ReasonCode.RETAIL_PURCHASE_DATE_REQUIRED)
        elif requested_on > end:
            codes.append(ReasonCode.WINDOW_CLOSED)
        codes.extend(_EXCLUSION_REASONS[e] for e in _unique(exclusions))

    eligible = not codes
    arrival = rma_arrival_deadline(rma_issued_on) if rma_issued_on is not None else None
    refund = (
        refund_due_window(received_on)
        if kind == ClaimKind.RETURN and eligible and received_on is not None
        else None
    )
    return Eligibility(
        eligible=eligible,
        deadline=deadline,
        reasons=tuple(REASONS[code] for code in codes),
        return_deadline=returns_by,
        warranty_end=end,
        rma_arrival_deadline=arrival,
        arrived_in_time=(
            received_on <= arrival if arrival is not None and received_on is not None else None
        ),
        refund_due_from=refund[0] if refund else None,
        refund_due_by=refund[1] if refund else None,
        advance_replacement_ship_by=(
            advance_replacement_ship_by(requested_on)
            if kind == ClaimKind.WARRANTY and eligible
            else None
        ),
    )


# --- Receiving and inspection (issue #13: the warehouse's scanner and inspection form) ---------
#
# The warehouse scans an RMA's label, then each unit's serial (TOS-24: "its serial number must
# match the RMA"), then records what it found: the condition and the packaging of a 45-day
# return (TOS-22: "in original packaging with all materials, new or as-new") or the exclusions
# of a warranty claim (TOS-23), and where the unit goes (stock, refurbishment, scrap, or kept
# for the customer). Serials are compared as :func:`hearth.catalog.rules.normalise_serial`
# stores them; the caller normalises.

#: The RMA states in which a parcel may be received (its label is issued, it has not arrived).
RECEIVABLE_STATES = frozenset({"issued"})
#: States that mean the parcel has arrived already (receiving again is refused).
ARRIVED_STATES = frozenset(
    {
        "received",
        "inspected",
        "refund_due",
        "refunded",
        "repair",
        "replacement_shipped",
        "quoted",
        "accepted",
        "declined",
    }
)


class ReceivingRefusal(StrEnum):
    """Why the warehouse may not receive against an RMA (each one changes nothing but
    ``serial_mismatch``, which holds the RMA and the unit for care)."""

    NOT_ISSUED = "rma_not_issued"
    ALREADY_RECEIVED = "already_received"
    EXPIRED = "rma_expired"
    CANCELLED = "rma_cancelled"
    HELD = "rma_held"
    CLOSED = "rma_closed"
    SERIAL_MISMATCH = "serial_mismatch"


def receiving_refusal(state: str) -> ReceivingRefusal | None:
    """Whether an RMA in ``state`` may receive a unit; None when it may (TOS-24)."""
    if state in RECEIVABLE_STATES:
        return None
    if state in ARRIVED_STATES:
        return ReceivingRefusal.ALREADY_RECEIVED
    return {
        "expired": ReceivingRefusal.EXPIRED,
        "cancelled": ReceivingRefusal.CANCELLED,
        "held": ReceivingRefusal.HELD,
        "closed": ReceivingRefusal.CLOSED,
    }.get(state, ReceivingRefusal.NOT_ISSUED)


class ScanVerdict(StrEnum):
    MATCH = "match"  # one of the RMA's serials, not yet received: receive it
    ALREADY_RECEIVED = "already_received"  # one of the RMA's serials, received before
    MISMATCH = "serial_mismatch"  # not a serial of this RMA: hold for care (TOS-24)


def match_serial(scanned: str, *, expected: Iterable[str], received: Iterable[str]) -> ScanVerdict:
    """Compare a scanned serial with the RMA's serials (TOS-24: it must match the RMA)."""
    if scanned not in set(expected):
        return ScanVerdict.MISMATCH
    if scanned in set(received):
        return ScanVerdict.ALREADY_RECEIVED
    return ScanVerdict.MATCH


def arrived_in_time(*, issued_on: dt.date, received_on: dt.date) -> bool:
    """True when the unit arrived by :func:`rma_arrival_deadline` (TOS-24). A late parcel is
    still received (it is here); the receipt records that it was late, for care."""
    return received_on <= rma_arrival_deadline(issued_on)


class InspectionVerdict(StrEnum):
    REFUND = "refund"  # TOS-22: a 45-day return, new or as-new, all packaging: refund due
    RETURN_REFUSED = "return_refused"  # TOS-22: not as new or packaging missing: no refund
    COVERED = "covered"  # TOS-23: repaired or replaced free
    NOT_COVERED = "not_covered"  # TOS-23: an exclusion applies: told why, offered a quote


class Disposition(StrEnum):
    """Where an inspected unit goes: each but ``keep`` is a stock movement of the warehouse."""

    RESTOCK = "restock"  # back to stock on hand, sold as new
    REFURBISH = "refurbish"  # to the refurbishment bench
    SCRAP = "scrap"  # written off
    KEEP = "keep"  # kept for the customer: a repair, a refused return, a claim not covered


#: The dispositions each verdict allows, the first the default offered.
DISPOSITIONS: dict[InspectionVerdict, tuple[Disposition, ...]] = {
    InspectionVerdict.REFUND: (Disposition.RESTOCK, Disposition.REFURBISH, Disposition.SCRAP),
    # A refused return is still the customer's product: it goes back to them.
    InspectionVerdict.RETURN_REFUSED: (Disposition.KEEP,),
    # A covered unit is defective: never sold as new. Kept when it is repaired for its owner.
    InspectionVerdict.COVERED: (Disposition.REFURBISH, Disposition.SCRAP, Disposition.KEEP),
    # Not covered: the customer's product waits for their answer to the quote.
    InspectionVerdict.NOT_COVERED: (Disposition.KEEP,),
}


@dataclass(frozen=True, slots=True)
class InspectionOutcome:
    verdict: InspectionVerdict
    reasons: tuple[Reason, ...]  # why not refunded / not covered (empty otherwise)

    @property
    def dispositions(self) -> tuple[Disposition, ...]:
        return DISPOSITIONS[self.verdict]


def inspection_outcome(
    *,
    kind: ClaimKind,
    condition: Condition | None,
    original_packaging: bool | None,
    exclusions: Iterable[Exclusion] = (),
) -> InspectionOutcome:
    """What an inspection decides (the windows were checked when the RMA was issued).

    A 45-day return (TOS-22) is refunded only when the unit is new or as-new **and** came in
    its original packaging with all materials; each failing fact is a reason. Condition and
    packaging must both be recorded for a return (``DomainError`` naming the field otherwise).
    A warranty claim (TOS-23) is covered unless an exclusion was found; each exclusion found is
    its own reason. Condition and packaging do not decide a warranty claim; exclusions do not
    decide a return.
    """
    kind = ClaimKind(kind)
    if kind == ClaimKind.RETURN:
        if condition is None:
            raise DomainError(
                AftersalesErrorCode.INSPECTION_INCOMPLETE,
                gettext_noop("Record the unit's condition."),
                field="condition",
            )
        if original_packaging is None:
            raise DomainError(
                AftersalesErrorCode.INSPECTION_INCOMPLETE,
                gettext_noop("Record whether the original packaging and all materials came back."),
                field="original_packaging",
            )
        codes: list[ReasonCode] = []
        if Condition(condition) not in RETURNABLE_CONDITIONS:
            codes.append(ReasonCode.NOT_AS_NEW)
        if not original_packaging:
            codes.append(ReasonCode.MISSING_PACKAGING)
        verdict = InspectionVerdict.RETURN_REFUSED if codes else InspectionVerdict.REFUND
        return InspectionOutcome(verdict, tuple(REASONS[c] for c in codes))
    found = _unique(exclusions)
    verdict = InspectionVerdict.NOT_COVERED if found else InspectionVerdict.COVERED
    return InspectionOutcome(verdict, tuple(REASONS[_EXCLUSION_REASONS[e]] for e in found))


def check_disposition(outcome: InspectionOutcome, disposition: Disposition | str) -> Disposition:
    """The disposition chosen, when the verdict allows it; ``DomainError`` naming the field
    otherwise (e.g. restocking a defective or used unit as new)."""
    try:
        chosen = Disposition(disposition)
    except ValueError:
        chosen = None
    if chosen is None or chosen not in outcome.dispositions:
        raise DomainError(
            AftersalesErrorCode.DISPOSITION_NOT_ALLOWED,
            gettext_noop("This unit cannot go there after this inspection; choose another."),
            field="disposition",
        )
    return chosen


# --- The RMA's state machine (TOS-24) ---------------------------------------------------------
#
# One table: (state, event) -> next state. ``transition`` is the only way a state moves; the
# service that applies it locks the row and records an RmaEvent. Each part of issue #13 adds
# its own events here (receiving, inspection, refunds, warranty outcomes).


class RmaState(StrEnum):
    REQUESTED = "requested"  # begun by the customer or care, not yet issued
    ISSUED = "issued"  # number, label or pickup, arrival deadline (issue + 14 days)
    RECEIVED = "received"  # the unit arrived and its serial matched
    HELD = "held"  # serial mismatch: the unit is held for care
    INSPECTED = "inspected"  # condition, packaging, exclusions recorded
    REFUND_DUE = "refund_due"  # 45-day return accepted: refund due in 10-15 business days
    REFUNDED = "refunded"
    REPAIR = "repair"  # covered warranty: repaired free
    REPLACEMENT_SHIPPED = "replacement_shipped"  # covered warranty: replaced free
    QUOTED = "quoted"  # not covered: a priced quote offered
    ACCEPTED = "accepted"  # the customer accepted the quote
    DECLINED = "declined"  # the customer declined the quote
    EXPIRED = "expired"  # nothing arrived by the arrival deadline
    CANCELLED = "cancelled"
    CLOSED = "closed"


class RmaEventKind(StrEnum):
    ISSUE = "issue"
    EXPIRE = "expire"
    CANCEL = "cancel"
    RECEIVE = "receive"
    HOLD = "hold"  # serial mismatch at receiving
    RELEASE = "release"  # care resolved the hold: the unit counts as received
    INSPECT = "inspect"
    REFUND_DUE = "refund_due"
    REFUND = "refund"
    REPAIR = "repair"
    SHIP_REPLACEMENT = "ship_replacement"
    QUOTE = "quote"
    ACCEPT = "accept"
    DECLINE = "decline"
    CLOSE = "close"


TERMINAL_STATES = frozenset({RmaState.EXPIRED, RmaState.CANCELLED, RmaState.CLOSED})

RMA_TRANSITIONS: dict[tuple[RmaState, RmaEventKind], RmaState] = {
    (RmaState.REQUESTED, RmaEventKind.ISSUE): RmaState.ISSUED,
    (RmaState.REQUESTED, RmaEventKind.CANCEL): RmaState.CANCELLED,
    (RmaState.ISSUED, RmaEventKind.CANCEL): RmaState.CANCELLED,
    (RmaState.ISSUED, RmaEventKind.EXPIRE): RmaState.EXPIRED,
    (RmaState.ISSUED, RmaEventKind.RECEIVE): RmaState.RECEIVED,
    (RmaState.ISSUED, RmaEventKind.HOLD): RmaState.HELD,
    (RmaState.HELD, RmaEventKind.RELEASE): RmaState.RECEIVED,
    (RmaState.HELD, RmaEventKind.CLOSE): RmaState.CLOSED,
    (RmaState.RECEIVED, RmaEventKind.INSPECT): RmaState.INSPECTED,
    (RmaState.INSPECTED, RmaEventKind.REFUND_DUE): RmaState.REFUND_DUE,
    (RmaState.REFUND_DUE, RmaEventKind.REFUND): RmaState.REFUNDED,
    (RmaState.INSPECTED, RmaEventKind.REPAIR): RmaState.REPAIR,
    (RmaState.INSPECTED, RmaEventKind.SHIP_REPLACEMENT): RmaState.REPLACEMENT_SHIPPED,
    (RmaState.INSPECTED, RmaEventKind.QUOTE): RmaState.QUOTED,
    (RmaState.QUOTED, RmaEventKind.ACCEPT): RmaState.ACCEPTED,
    (RmaState.QUOTED, RmaEventKind.DECLINE): RmaState.DECLINED,
    (RmaState.ACCEPTED, RmaEventKind.REPAIR): RmaState.REPAIR,
    (RmaState.ACCEPTED, RmaEventKind.SHIP_REPLACEMENT): RmaState.REPLACEMENT_SHIPPED,
    (RmaState.REFUNDED, RmaEventKind.CLOSE): RmaState.CLOSED,
    (RmaState.REPAIR, RmaEventKind.CLOSE): RmaState.CLOSED,
    (RmaState.REPLACEMENT_SHIPPED, RmaEventKind.CLOSE): RmaState.CLOSED,
    (RmaState.DECLINED, RmaEventKind.CLOSE): RmaState.CLOSED,
    (RmaState.INSPECTED, RmaEventKind.CLOSE): RmaState.CLOSED,
}


def transition(state: RmaState, event: RmaEventKind) -> RmaState:
    """The state an RMA in ``state`` moves to on ``event`` (TOS-24's RMA, one table).

    Raises DomainError ``rma_transition`` (409) when the table has no such move: nothing
    changes.
    """
    state, event = RmaState(state), RmaEventKind(event)
    nxt = RMA_TRANSITIONS.get((state, event))
    if nxt is None:
        raise DomainError(
            AftersalesErrorCode.RMA_TRANSITION,
            gettext_noop("This step is not possible for the RMA in its current state."),
            status=409,
        )
    return nxt


def allowed_events(state: RmaState) -> tuple[RmaEventKind, ...]:
    """The events an RMA in ``state`` may take, in the table's order."""
    return tuple(event for (s, event) in RMA_TRANSITIONS if s == RmaState(state))


# --- How the product comes back (TOS-22, TOS-24) ----------------------------------------------


class ReturnMethod(StrEnum):
    LABEL = "label"  # a prepaid return label from the carrier, emailed as a PDF (TOS-24)
    PICKUP = "pickup"  # a free pickup at the original delivery address (TOS-22)


def return_methods(
    *, kind: ClaimKind, channel: Channel, country: str, service_region: str
) -> tuple[ReturnMethod, ...]:
    """The ways an RMA's product may come back, the default first.

    Every RMA gets a prepaid return label (TOS-24). A 45-day return of a direct purchase whose
    original delivery address lies inside the Service Region may instead be picked up there, free
    (TOS-22). Warranty claims and dealer purchases have no original delivery address of ours.
    """
    methods = [ReturnMethod.LABEL]
    if (
        ClaimKind(kind) == ClaimKind.RETURN
        and Channel(channel) in DIRECT_CHANNELS
        and country.strip().upper() == service_region
    ):
        methods.append(ReturnMethod.PICKUP)
    return tuple(methods)


def reminder_due(*, arrival_deadline: dt.date, on: dt.date) -> bool:
    """True from 3 days before the arrival deadline (TOS-24's reminder) until the deadline."""
    return arrival_deadline - dt.timedelta(days=RMA_REMINDER_DAYS_BEFORE) <= on <= arrival_deadline


def expired(*, arrival_deadline: dt.date, on: dt.date) -> bool:
    """True once the arrival deadline (inclusive) has passed without the product (TOS-24)."""
    return on > arrival_deadline


# --- RMA numbers ------------------------------------------------------------------------------

#: Upper-case letters and digits without the look-alikes (0/O, 1/I/L), read aloud on the phone.
RMA_NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RMA_NUMBER_LENGTH = 8
RMA_NUMBER_PREFIX = "RMA-"


def rma_number(random_indexes: Iterable[int]) -> str:
    """``RMA-`` + 8 characters from the alphabet, picked by the caller's random indexes."""
    chars = [RMA_NUMBER_ALPHABET[i % len(RMA_NUMBER_ALPHABET)] for i in random_indexes]
    if len(chars) != RMA_NUMBER_LENGTH:
        raise ValueError("an RMA number takes exactly 8 characters")
    return RMA_NUMBER_PREFIX + "".join(chars)


# --- A dealer's receipt (issue #13: image or PDF, size-limited, type checked) ------------------

RECEIPT_MAX_BYTES = 5 * 1024 * 1024  # 5 MB

#: The file types a receipt may have, recognised by their first bytes (never by the name or the
#: browser's claim).
_RECEIPT_MAGIC: tuple[tuple[str, bytes, int], ...] = (
    ("image/jpeg", b"\xff\xd8\xff", 0),
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("application/pdf", b"%PDF-", 0),
)


def receipt_content_type(head: bytes, size: int) -> str:
    """The content type of a receipt file from its first bytes, or DomainError naming ``receipt``.

    ``head`` is at least the file's first 12 bytes; ``size`` its full size. Accepted: JPEG,
    PNG, WebP (``RIFF....WEBP``) and PDF, up to 5 MB; an empty file is refused as not a receipt.
    """
    if size > RECEIPT_MAX_BYTES:
        raise DomainError(
            AftersalesErrorCode.RECEIPT_TOO_LARGE,
            gettext_noop("The receipt file is too big: it may be at most 5 MB."),
            field="receipt",
        )
    for content_type, magic, offset in _RECEIPT_MAGIC:
        if size > 0 and head[offset : offset + len(magic)] == magic:
            return content_type
    if size > 0 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    raise DomainError(
        AftersalesErrorCode.RECEIPT_TYPE,
        gettext_noop("The receipt must be a photo (JPEG, PNG or WebP) or a PDF."),
        field="receipt",
    )
