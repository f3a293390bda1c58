"""Discount codes' writes: ``redeem`` at placement (inside the order's transaction) and ``preview``
before (which records an invalid attempt).

``redeem`` is what orders call: it locks the code's row so that total and per-customer limits
hold under concurrent orders, and records the redemption. ``preview`` answers the checkout form
and the API before placing; it is also where guessing is stopped: each invalid code a shopper
tries is recorded, and at :data:`~hearth.discounts.rules.INVALID_ATTEMPT_LIMIT` invalid attempts
inside the window the shopper is throttled (code ``discount_throttled``, HTTP 429) and a
:class:`~hearth.discounts.models.DiscountMisuseFlag` is raised for staff review (TOS-9).
A code below its minimum spend is not counted as misuse: the shopper may add to the basket.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext

from hearth.core.errors import DomainError
from hearth.core.l10n import money, percent
from hearth.discounts import rules
from hearth.discounts.errors import DISCOUNT_MESSAGES, DiscountErrorCode
from hearth.discounts.models import (
    DiscountAttempt,
    DiscountCode,
    DiscountMisuseFlag,
    DiscountRedemption,
)
from hearth.privacy.crypto import keyed_hash

FIELD = "discount_code"
NOT_MISUSE = {DiscountErrorCode.DISCOUNT_BELOW_MINIMUM.value}


@dataclass(frozen=True, slots=True)
class DiscountPreview:
    code: str
    kind: str
    value: Decimal
    amount: Decimal

    @property
    def description(self) -> str:
        """ "10% off" / "10 % de rabais", "$25.00 off" / "25,00 $ de rabais"."""
        if self.kind == rules.DiscountKind.PERCENT:
            return gettext("%(value)s off") % {"value": percent(self.value / 100)}
        return gettext("%(value)s off") % {"value": money(self.value)}


def refusal_error(refusal: rules.Refusal) -> DomainError:
    """The translated DomainError for a discount refusal, on the ``discount_code`` field."""
    code = DiscountErrorCode(refusal.code)
    message = str(DISCOUNT_MESSAGES[code])
    if refusal.params:
        message = message % refusal.params
    status = 429 if code == DiscountErrorCode.DISCOUNT_THROTTLED else 400
    return DomainError(code, message, field=FIELD, status=status)


def _evaluate(
    *, code: str, subtotal: Decimal, email: str | None, at: dt.datetime, lock: bool
) -> tuple[DiscountCode | None, rules.Refusal | None, str]:
    rows = DiscountCode.objects.filter(code=code)
    if lock:
        rows = rows.select_for_update()
    found = rows.first()
    email_hash = keyed_hash(email) if email else ""
    uses = by_customer = 0
    if found is not None:
        uses = found.redemptions.count()
        if email_hash:
            by_customer = found.redemptions.filter(email_hash=email_hash).count()
    refusal = rules.discount_refusal(
        found.terms if found else None,
        subtotal=subtotal,
        at=at,
        uses=uses,
        uses_by_customer=by_customer,
    )
    return found, refusal, email_hash


def amount_off(*, code: str | None, subtotal: Decimal, email: str, at: dt.datetime) -> Decimal:
    """What :func:`redeem` would take off now, without redeeming, locking or recording an
    attempt: to price an order before its payment is authorised; the redemption itself comes
    after, in the order's savepoint. The same refusals as :func:`redeem`."""
    normalised = rules.normalise_code(code)
    if not normalised:
        return rules.ZERO
    found, refusal, _hash = _evaluate(
        code=normalised, subtotal=subtotal, email=email, at=at, lock=False
    )
    if refusal is not None or found is None:
        raise refusal_error(refusal or rules.Refusal("discount_unknown"))
    return rules.discount_amount(kind=found.kind, value=found.value, subtotal=subtotal)


def redeem(
    *,
    code: str | None,
    subtotal: Decimal,
    email: str,
    at: dt.datetime,
    order_number: str = "",
    expected: Decimal | None = None,
) -> Decimal:
    """Use ``code`` on an order of ``subtotal`` (lines before tax) and return the amount off;
    ``expected`` (the amount the order was priced and paid with, :func:`amount_off`) refuses
    ``discount_changed`` if the code now takes off another amount.

    Call inside the order's ``transaction.atomic()``: the redemption is rolled back with the
    order. An empty code returns 0.00. Raises DomainError (field ``discount_code``) with
    ``discount_unknown``, ``discount_inactive``, ``discount_not_started``, ``discount_expired``,
    ``discount_below_minimum``, ``discount_used_up`` or ``discount_over_limit``.
    """
    normalised = rules.normalise_code(code)
    if not normalised:
        return rules.ZERO
    with transaction.atomic():
        found, refusal, email_hash = _evaluate(
            code=normalised, subtotal=subtotal, email=email, at=at, lock=True
        )
        if refusal is not None or found is None:
            raise refusal_error(refusal or rules.Refusal("discount_unknown"))
        amount = rules.discount_amount(kind=found.kind, value=found.value, subtotal=subtotal)
        if expected is not None and amount != expected:
            raise refusal_error(rules.Refusal("discount_changed"))
        DiscountRedemption.objects.create(
            code=found,
            order_number=order_number,
            email_hash=email_hash,
            amount=amount,
            at=at,
        )
    return amount


def attach_order_number(*, code: str, email: str, at: dt.datetime, order_number: str) -> None:
    """Name the order on a redemption recorded before the order had its number."""
    DiscountRedemption.objects.filter(
        code__code=rules.normalise_code(code), email_hash=keyed_hash(email), at=at, order_number=""
    ).update(order_number=order_number)


def shopper_key(raw: str) -> str:
    """A keyed hash of whatever identifies the shopper (session token or user id)."""
    return keyed_hash(raw)


def check_throttle(*, shopper: str, at: dt.datetime) -> None:
    """Raise ``discount_throttled`` (429) while the shopper is over the invalid-attempt limit."""
    failures = list(
        DiscountAttempt.objects.filter(
            shopper=shopper, at__gt=at - rules.INVALID_ATTEMPT_WINDOW
        ).values_list("at", flat=True)
    )
    if rules.attempts_throttled(failures, at=at):
        raise refusal_error(
            rules.Refusal(
                "discount_throttled",
                {"minutes": str(int(rules.INVALID_ATTEMPT_WINDOW.total_seconds() // 60))},
            )
        )


def note_invalid_attempt(
    *, shopper: str, code: str, reason: str, at: dt.datetime, email: str | None = None
) -> None:
    """Count a refused code towards the shopper's throttle (not a code below its minimum)."""
    if reason in NOT_MISUSE or not rules.normalise_code(code):
        return
    earlier = list(
        DiscountAttempt.objects.filter(
            shopper=shopper, at__gt=at - rules.INVALID_ATTEMPT_WINDOW
        ).values_list("at", flat=True)
    )
    _record_invalid_attempt(
        shopper=shopper,
        code=rules.normalise_code(code),
        reason=reason,
        at=at,
        email_hash=keyed_hash(email) if email else "",
        earlier=earlier,
    )


def preview(
    *,
    code: str | None,
    subtotal: Decimal,
    at: dt.datetime,
    shopper: str,
    email: str | None = None,
) -> DiscountPreview | None:
    """What ``code`` would take off ``subtotal`` now, or raise the refusal (see module doc).

    ``shopper`` is :func:`shopper_key` of the session or customer. Nothing is redeemed.
    """
    normalised = rules.normalise_code(code)
    if not normalised:
        return None
    window_start = at - rules.INVALID_ATTEMPT_WINDOW
    failures = list(
        DiscountAttempt.objects.filter(shopper=shopper, at__gt=window_start).values_list(
            "at", flat=True
        )
    )
    if rules.attempts_throttled(failures, at=at):
        raise refusal_error(
            rules.Refusal(
                "discount_throttled",
                {"minutes": str(int(rules.INVALID_ATTEMPT_WINDOW.total_seconds() // 60))},
            )
        )
    found, refusal, email_hash = _evaluate(
        code=normalised, subtotal=subtotal, email=email, at=at, lock=False
    )
    if refusal is not None or found is None:
        refusal = refusal or rules.Refusal("discount_unknown")
        if refusal.code not in NOT_MISUSE:
            _record_invalid_attempt(
                shopper=shopper,
                code=normalised,
                reason=refusal.code,
                at=at,
                email_hash=email_hash,
                earlier=failures,
            )
        raise refusal_error(refusal)
    return DiscountPreview(
        code=found.code,
        kind=found.kind,
        value=found.value,
        amount=rules.discount_amount(kind=found.kind, value=found.value, subtotal=subtotal),
    )


def _record_invalid_attempt(
    *,
    shopper: str,
    code: str,
    reason: str,
    at: dt.datetime,
    email_hash: str,
    earlier: list[dt.datetime],
) -> None:
    with transaction.atomic():
        DiscountAttempt.objects.create(shopper=shopper, code_tried=code[:40], reason=reason, at=at)
        if rules.attempts_throttled([*earlier, at], at=at):
            tried = DiscountAttempt.objects.filter(
                shopper=shopper, at__gt=at - rules.INVALID_ATTEMPT_WINDOW
            ).values_list("code_tried", flat=True)
            DiscountMisuseFlag.objects.create(
                shopper=shopper,
                email_hash=email_hash,
                attempts=len(earlier) + 1,
                codes_tried=", ".join(sorted(set(tried))),
                flagged_at=at,
            )
