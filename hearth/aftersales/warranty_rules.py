"""Warranty outcomes as pure functions (TOS-23, TOS-24): coverage per serial, quotes, and what
an advance replacement's card authorisation becomes.

No Django, no database, no clock (import-linter's "rules are pure" contract lists this module):
dates, prices and terms are arguments. The dates of a warranty come from :mod:`rules`
(``warranty_start``, ``warranty_end``); this module says what happens to them when a unit is
repaired or replaced, and prices what a not-covered claim is offered.

* **Coverage follows the first unit.** A replacement unit's serial takes over the original's
  warranty end date (and start), whatever the date it ships; a repair changes nothing; a new
  owner changes nothing (TOS-23: "repair or replacement does not extend the period; the
  warranty follows the product to a new owner"). So every serial of a replacement chain ends
  on the first unit's date.
* **Quotes.** A not-covered claim is offered a paid repair (a price per SKU) and a discounted
  replacement (the then-current standard price less a percentage per SKU), both from
  ``data/warranty_terms.toml``, tax added by the one pricing path.
* **Advance replacement.** The card is authorised for the standard price (tax included) when
  the replacement is requested. The authorisation is released when the original arrives and is
  covered; it is captured when the original does not arrive in time or is not covered, at the
  then-current standard price. A card authorisation cannot be captured above its amount, so
  when the then-current price is higher the authorised amount is charged (the customer agreed
  to that figure); when it is lower the whole authorisation is captured and the difference
  refunded at once (the payment interface captures whole authorisations only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from hearth.aftersales.rules import warranty_end
from hearth.core.errors import DomainError
from hearth.core.money import round_cents


def gettext_noop(message: str) -> str:
    """Mark ``message`` for translation without importing Django (translated at the edge)."""
    return message


class WarrantyErrorCode(StrEnum):
    SAME_SERIAL = "replacement_same_serial"
    UNKNOWN_TERMS = "warranty_terms_unknown"
    NOT_QUALIFIED = "advance_replacement_not_qualified"
    AUTHORISATION_REQUIRED = "authorisation_required"
    ADVANCE_MOVE_NOT_ALLOWED = "advance_move_not_allowed"
    OUTCOME_ALREADY_DECIDED = "outcome_already_decided"
    NOT_INSPECTED = "not_inspected"
    NOT_A_WARRANTY_CLAIM = "not_a_warranty_claim"
    QUOTE_CLOSED = "quote_closed"
    INVALID_OPTION = "invalid_option"
    ALREADY_REQUESTED = "advance_replacement_already_requested"
    NO_DELIVERY_ADDRESS = "no_delivery_address"


# --- Coverage per serial -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Coverage:
    """The warranty of one serial: first and last day (inclusive) and the serial it replaced."""

    serial: str
    start: dt.date
    end: dt.date
    replaces: str | None = None


def original_coverage(*, serial: str, start: dt.date) -> Coverage:
    """The warranty of a unit sold as itself: one year from ``start`` (TOS-23)."""
    return Coverage(serial=serial, start=start, end=warranty_end(start))


def replacement_coverage(original: Coverage, *, serial: str) -> Coverage:
    """The warranty of the unit ``serial`` that replaces ``original``: the original's dates.

    The replacement's own ship date plays no part (TOS-23: replacement does not extend the
    period). Raises DomainError when ``serial`` is the original's (that is a repair).
    """
    if serial == original.serial:
        raise DomainError(
            WarrantyErrorCode.SAME_SERIAL,
            gettext_noop("A replacement unit must have a serial other than the original's."),
            field="serial",
        )
    return Coverage(serial=serial, start=original.start, end=original.end, replaces=original.serial)


def after_repair(coverage: Coverage) -> Coverage:
    """A repaired unit keeps its warranty as it was (TOS-23: a repair does not extend it)."""
    return coverage


def after_new_owner(coverage: Coverage) -> Coverage:
    """A unit sold on keeps its warranty as it was (TOS-23: it follows the product)."""
    return coverage


def chain_root(coverages: Mapping[str, Coverage], serial: str) -> Coverage:
    """The first unit of ``serial``'s replacement chain (``coverages`` by serial)."""
    seen: set[str] = set()
    coverage = coverages[serial]
    while coverage.replaces is not None and coverage.replaces not in seen:
        seen.add(coverage.serial)
        coverage = coverages[coverage.replaces]
    return coverage


# --- Terms per SKU (data/warranty_terms.toml) --------------------------------------------------


@dataclass(frozen=True, slots=True)
class WarrantyTerms:
    sku: str
    repair_price: Decimal
    replacement_discount_percent: Decimal
    advance_replacement: bool


def _decimal(value: Any, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{what} must be a decimal string, not {value!r}") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{what} must be a finite amount of zero or more, not {value!r}")
    return number


def parse_terms(data: Mapping[str, Any]) -> dict[str, WarrantyTerms]:
    """The ``[[terms]]`` entries of the data file by SKU; ValueError naming the entry when one
    is malformed (a missing field, a negative price, a discount over 100 %, a SKU twice)."""
    terms: dict[str, WarrantyTerms] = {}
    for entry in data.get("terms", []):
        sku = str(entry.get("sku", "")).strip()
        if not sku:
            raise ValueError("a [[terms]] entry has no sku")
        if sku in terms:
            raise ValueError(f"{sku}: listed twice")
        for name in ("repair_price", "replacement_discount_percent", "advance_replacement"):
            if name not in entry:
                raise ValueError(f"{sku}: {name} is missing")
        percent = _decimal(entry["replacement_discount_percent"], f"{sku}: discount")
        if percent > 100:
            raise ValueError(f"{sku}: the discount cannot exceed 100 percent")
        if not isinstance(entry["advance_replacement"], bool):
            raise ValueError(f"{sku}: advance_replacement must be true or false")
        terms[sku] = WarrantyTerms(
            sku=sku,
            repair_price=round_cents(_decimal(entry["repair_price"], f"{sku}: repair_price")),
            replacement_discount_percent=percent,
            advance_replacement=entry["advance_replacement"],
        )
    return terms


def terms_for(terms: Mapping[str, WarrantyTerms], sku: str) -> WarrantyTerms:
    """The SKU's terms, or DomainError (nothing can be offered for a product without them)."""
    found = terms.get(sku)
    if found is None:
        raise DomainError(
            WarrantyErrorCode.UNKNOWN_TERMS,
            gettext_noop("This product has no warranty service terms; customer care decides."),
            field="sku",
        )
    return found


# --- Outcomes and quotes -----------------------------------------------------------------------


class Resolution(StrEnum):
    """What a covered claim gets, free (TOS-23)."""

    REPAIR = "repair"  # the same serial goes back, repaired
    REPLACEMENT = "replacement"  # a new unit ships; its serial takes over the warranty


class QuoteOption(StrEnum):
    """What a not-covered claim is offered, priced (TOS-23)."""

    PAID_REPAIR = "paid_repair"
    DISCOUNTED_REPLACEMENT = "discounted_replacement"


def discounted_price(standard_price: Decimal, percent: Decimal) -> Decimal:
    """``standard_price`` less ``percent`` percent, rounded half-up to the cent."""
    return round_cents(standard_price * (Decimal(100) - percent) / Decimal(100))


def option_price(option: QuoteOption, *, terms: WarrantyTerms, standard_price: Decimal) -> Decimal:
    """The price before tax of a quote option for a unit whose standard price is given."""
    if QuoteOption(option) == QuoteOption.PAID_REPAIR:
        return terms.repair_price
    return discounted_price(standard_price, terms.replacement_discount_percent)


def resolution_of(option: QuoteOption) -> Resolution:
    """What an accepted quote option does to the unit."""
    if QuoteOption(option) == QuoteOption.PAID_REPAIR:
        return Resolution.REPAIR
    return Resolution.REPLACEMENT


# --- Advance replacement -----------------------------------------------------------------------


class AdvanceState(StrEnum):
    """The card authorisation behind an advance replacement (TOS-24)."""

    AUTHORISED = "authorised"  # held; the replacement is on its way
    RELEASED = "released"  # the original arrived and is covered: nothing is charged
    CAPTURED = "captured"  # not arrived in time, or not covered: the standard price is charged
    CAPTURE_FAILED = "capture_failed"  # the card could not be charged: care follows up


class AdvanceEvent(StrEnum):
    COVERED = "covered"
    NOT_COVERED = "not_covered"
    NOT_ARRIVED = "not_arrived"
    CHARGE_FAILED = "charge_failed"
    CHARGED_LATER = "charged_later"


#: (state, event) -> next state; anything else is refused.
ADVANCE_MOVES: dict[tuple[AdvanceState, AdvanceEvent], AdvanceState] = {
    (AdvanceState.AUTHORISED, AdvanceEvent.COVERED): AdvanceState.RELEASED,
    (AdvanceState.AUTHORISED, AdvanceEvent.NOT_COVERED): AdvanceState.CAPTURED,
    (AdvanceState.AUTHORISED, AdvanceEvent.NOT_ARRIVED): AdvanceState.CAPTURED,
    (AdvanceState.AUTHORISED, AdvanceEvent.CHARGE_FAILED): AdvanceState.CAPTURE_FAILED,
    (AdvanceState.CAPTURE_FAILED, AdvanceEvent.CHARGED_LATER): AdvanceState.CAPTURED,
}


def advance_move(state: AdvanceState | str, event: AdvanceEvent | str) -> AdvanceState:
    """The state after ``event``; DomainError (409) when the state does not allow it."""
    found = ADVANCE_MOVES.get((AdvanceState(state), AdvanceEvent(event)))
    if found is None:
        raise DomainError(
            WarrantyErrorCode.ADVANCE_MOVE_NOT_ALLOWED,
            gettext_noop("The advance replacement's payment has already been settled."),
            status=409,
        )
    return found


def advance_replacement_qualifies(terms: WarrantyTerms | None) -> bool:
    """Whether the product may be replaced before the original arrives (data file)."""
    return terms is not None and terms.advance_replacement


@dataclass(frozen=True, slots=True)
class CapturePlan:
    """What capturing an advance replacement's authorisation takes: ``charge`` is what the
    customer pays; ``refund`` goes back at once (the authorisation is captured whole)."""

    charge: Decimal
    refund: Decimal


def capture_plan(*, authorised: Decimal, current_price: Decimal) -> CapturePlan:
    """Charge the then-current standard price, never more than was authorised (see the module
    docstring: a card authorisation cannot be captured above its amount)."""
    charge = min(round_cents(authorised), round_cents(current_price))
    return CapturePlan(charge=charge, refund=round_cents(authorised) - charge)
