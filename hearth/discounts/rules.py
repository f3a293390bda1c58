"""Discount codes' rules, as pure functions of plain values (no ORM, no clock reads).

A code (TOS-9 "misuse of a discount code") is either percent or a fixed amount off the lines
before tax, never more than the lines; it applies only inside its validity window, above its
minimum spend, below its total and per-customer limits. :func:`discount_refusal` returns why a
code may not be used (a :class:`Refusal`, its code from
:class:`~hearth.discounts.errors.DiscountErrorCode`) or ``None``; the checks run in a fixed
order so that the customer hears the most basic reason first. Repeated invalid attempts from one
shopper are throttled (:func:`attempts_throttled`) and flagged for staff review.

Discounts sit below orders and checkout: orders redeem a code when placing, checkout previews it
before; neither is imported from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from hearth.core.money import round_cents

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")

#: Invalid discount codes one shopper may try inside the window before being throttled.
INVALID_ATTEMPT_LIMIT = 5
INVALID_ATTEMPT_WINDOW = dt.timedelta(minutes=15)


class DiscountKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"


@dataclass(frozen=True, slots=True)
class DiscountTerms:
    """What staff set on a code. ``valid_until`` is inclusive; ``None`` limits mean no limit."""

    code: str
    kind: DiscountKind
    value: Decimal
    min_spend: Decimal = ZERO
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    max_uses: int | None = None
    max_uses_per_customer: int | None = None
    is_active: bool = True


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why something was refused: a machine code and the values its message needs."""

    code: str
    params: dict[str, str] = field(default_factory=dict)


def normalise_code(raw: str | None) -> str:
    """Codes are compared without case or surrounding/inner spaces: " spring 10 " -> "SPRING10"."""
    return "".join((raw or "").split()).upper()


def discount_amount(*, kind: DiscountKind | str, value: Decimal, subtotal: Decimal) -> Decimal:
    """The amount off ``subtotal`` (lines before tax): percent rounded half-up, capped at it."""
    if subtotal <= 0:
        return ZERO
    if kind == DiscountKind.PERCENT:
        amount = round_cents(subtotal * value / HUNDRED)
    elif kind == DiscountKind.FIXED:
        amount = round_cents(value)
    else:
        raise ValueError(f"unknown discount kind {kind!r}")
    return max(ZERO, min(amount, round_cents(subtotal)))


def _iso(moment: dt.datetime) -> str:
    return moment.date().isoformat()


def discount_refusal(
    terms: DiscountTerms | None,
    *,
    subtotal: Decimal,
    at: dt.datetime,
    uses: int,
    uses_by_customer: int,
) -> Refusal | None:
    """Why ``terms`` may not discount an order of ``subtotal`` at ``at``, or None if it may.

    ``uses`` counts the code's redemptions so far, ``uses_by_customer`` this customer's.
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    if terms is None:
        return Refusal("discount_unknown")
    if not terms.is_active:
        return Refusal("discount_inactive")
    if terms.valid_from is not None and at < terms.valid_from:
        return Refusal("discount_not_started", {"valid_from": _iso(terms.valid_from)})
    if terms.valid_until is not None and at > terms.valid_until:
        return Refusal("discount_expired", {"valid_until": _iso(terms.valid_until)})
    if subtotal < terms.min_spend:
        return Refusal(
            "discount_below_minimum",
            {"min_spend": f"{terms.min_spend:.2f}", "subtotal": f"{subtotal:.2f}"},
        )
    if terms.max_uses is not None and uses >= terms.max_uses:
        return Refusal("discount_used_up")
    if terms.max_uses_per_customer is not None and uses_by_customer >= terms.max_uses_per_customer:
        return Refusal(
            "discount_over_limit", {"max_uses_per_customer": str(terms.max_uses_per_customer)}
        )
    return None


def attempts_throttled(
    failures: Sequence[dt.datetime],
    *,
    at: dt.datetime,
    limit: int = INVALID_ATTEMPT_LIMIT,
    window: dt.timedelta = INVALID_ATTEMPT_WINDOW,
) -> bool:
    """True when ``limit`` or more invalid attempts fall inside ``window`` before ``at``."""
    return sum(1 for f in failures if at - window < f <= at) >= limit
