"""Pure payment rules: card number checks (Luhn, brand, length, expiry, CVC), the sandbox's test
card behaviours, payment status moves and refund limits. No Django, no database, no clock: the
brand table and today's date come in as arguments.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from hearth.payments.errors import CardProblemCode, DeclineCode, gettext_noop

_SEPARATORS = re.compile(r"[ \-]")
_MAX_DIGITS = 19
_MIN_DIGITS = 12


@dataclass(frozen=True)
class BrandSpec:
    key: str
    name: str
    accepted: bool
    prefixes: tuple[tuple[str, str], ...]  # (low, high) prefix ranges of equal length
    lengths: tuple[int, ...]
    cvc_length: int


@dataclass(frozen=True)
class CardProblem:
    code: CardProblemCode
    field: str  # card_number | expiry | cvc
    message: str  # untranslated (gettext_noop); the edge translates, formatting with `params`
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CardCheck:
    """The outcome of checking what a person typed on the card page."""

    digits: str  # the PAN without separators: never store, log or send it
    brand: BrandSpec | None
    problems: tuple[CardProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def last4(self) -> str:
        return self.digits[-4:]


def normalise_number(raw: str) -> str | None:
    """The digits of a card number typed with optional spaces or dashes; None if anything else."""
    text = _SEPARATORS.sub("", raw.strip())
    if not text.isascii() or not text.isdigit():
        return None
    return text


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of ISO/IEC 7812-1."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def brand_of(digits: str, brands: Sequence[BrandSpec]) -> BrandSpec | None:
    """The brand whose longest prefix range matches the number's first digits."""
    best: tuple[int, BrandSpec] | None = None
    for brand in brands:
        for low, high in brand.prefixes:
            size = len(low)
            head = digits[:size]
            matches = len(head) == size and int(low) <= int(head) <= int(high)
            if matches and (best is None or size > best[0]):
                best = (size, brand)
    return best[1] if best else None


def check_card(
    *,
    number: str,
    exp_month: int,
    exp_year: int,
    cvc: str,
    today: dt.date,
    brands: Sequence[BrandSpec],
) -> CardCheck:
    """Every problem with a typed card, number first. A card is good through its expiry month."""
    problems: list[CardProblem] = []
    digits = normalise_number(number)
    brand: BrandSpec | None = None
    if digits is None or not digits:
        problems.append(
            CardProblem(
                CardProblemCode.MALFORMED_NUMBER,
                "card_number",
                gettext_noop("Enter the card number using digits (spaces or dashes are fine)."),
            )
        )
        digits = ""
    elif not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
        problems.append(
            CardProblem(
                CardProblemCode.WRONG_LENGTH,
                "card_number",
                gettext_noop("A card number has between 12 and 19 digits."),
            )
        )
    else:
        brand = brand_of(digits, brands)
        if brand is None:
            problems.append(
                CardProblem(
                    CardProblemCode.UNKNOWN_BRAND,
                    "card_number",
                    gettext_noop(
                        "We do not recognise this card. We accept Visa, MasterCard and "
                        "American Express, or PayPal."
                    ),
                )
            )
        elif not brand.accepted:
            problems.append(
                CardProblem(
                    CardProblemCode.BRAND_NOT_ACCEPTED,
                    "card_number",
                    gettext_noop(
                        "We do not accept %(brand)s cards. Please pay with Visa, MasterCard, "
                        "American Express or PayPal."
                    ),
                    (("brand", brand.name),),
                )
            )
        elif len(digits) not in brand.lengths:
            problems.append(
                CardProblem(
                    CardProblemCode.WRONG_LENGTH,
                    "card_number",
                    gettext_noop("A %(brand)s card number has %(lengths)s digits."),
                    (
                        ("brand", brand.name),
                        ("lengths", " / ".join(str(n) for n in brand.lengths)),
                    ),
                )
            )
        elif not luhn_valid(digits):
            problems.append(
                CardProblem(
                    CardProblemCode.LUHN,
                    "card_number",
                    gettext_noop(
                        "This card number is not valid. Please check it for typing errors."
                    ),
                )
            )
    problems.extend(expiry_problems(exp_month=exp_month, exp_year=exp_year, today=today))
    expected_cvc = brand.cvc_length if brand is not None else None
    cvc_text = cvc.strip()
    wanted = (expected_cvc,) if expected_cvc is not None else (3, 4)
    if not (cvc_text.isascii() and cvc_text.isdigit() and len(cvc_text) in wanted):
        if expected_cvc == 4:
            message = gettext_noop("Enter the 4-digit security code printed on the card's front.")
        elif expected_cvc == 3:
            message = gettext_noop("Enter the 3-digit security code from the card's back.")
        else:
            message = gettext_noop("Enter the card's 3- or 4-digit security code.")
        problems.append(CardProblem(CardProblemCode.INVALID_CVC, "cvc", message))
    return CardCheck(digits=digits, brand=brand, problems=tuple(problems))


def expiry_problems(*, exp_month: int, exp_year: int, today: dt.date) -> list[CardProblem]:
    """A card is valid through the last day of its expiry month."""
    if not 1 <= exp_month <= 12 or not 2000 <= exp_year <= 2100:
        return [
            CardProblem(
                CardProblemCode.INVALID_EXPIRY,
                "expiry",
                gettext_noop("Enter the expiry month (1-12) and year shown on the card."),
            )
        ]
    if (exp_year, exp_month) < (today.year, today.month):
        return [
            CardProblem(
                CardProblemCode.EXPIRED,
                "expiry",
                gettext_noop("This card has expired. Please use another card."),
            )
        ]
    return []


def full_year(year: int) -> int:
    """A two-digit expiry year means 20YY."""
    return 2000 + year if 0 <= year < 100 else year


# --- Sandbox behaviours (a card processor's test mode).


class Behaviour(StrEnum):
    APPROVE = "approve"
    REVIEW = "review"
    DECLINE_INSUFFICIENT_FUNDS = "decline_insufficient_funds"
    DECLINE_STOLEN = "decline_stolen"
    DECLINE_GENERIC = "decline_generic"


class AuthorisationStatus(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    REVIEW = "review"


@dataclass(frozen=True)
class Outcome:
    status: AuthorisationStatus
    decline_code: DeclineCode | None
    fraud_suspected: bool


BEHAVIOURS: Mapping[Behaviour, Outcome] = {
    Behaviour.APPROVE: Outcome(AuthorisationStatus.APPROVED, None, False),
    Behaviour.REVIEW: Outcome(AuthorisationStatus.REVIEW, None, True),
    Behaviour.DECLINE_INSUFFICIENT_FUNDS: Outcome(
        AuthorisationStatus.DECLINED, DeclineCode.INSUFFICIENT_FUNDS, False
    ),
    Behaviour.DECLINE_STOLEN: Outcome(AuthorisationStatus.DECLINED, DeclineCode.STOLEN_CARD, True),
    Behaviour.DECLINE_GENERIC: Outcome(
        AuthorisationStatus.DECLINED, DeclineCode.CARD_DECLINED, False
    ),
}

# What the customer reads (TOS-9: a payment not authorised, and why).
OUTCOME_MESSAGES: Mapping[AuthorisationStatus | DeclineCode, str] = {
    AuthorisationStatus.APPROVED: gettext_noop("Payment authorised."),
    AuthorisationStatus.REVIEW: gettext_noop(
        "Payment authorised. Your order will be checked by our team before it ships."
    ),
    DeclineCode.INSUFFICIENT_FUNDS: gettext_noop(
        "Your card was declined for insufficient funds. Please use another card or PayPal."
    ),
    DeclineCode.STOLEN_CARD: gettext_noop(
        "Your card was declined by its issuer. Please contact your bank or use another "
        "payment method."
    ),
    DeclineCode.CARD_DECLINED: gettext_noop(
        "Your card was declined by its issuer. Please use another card or PayPal."
    ),
}


def outcome_message(status: str, decline_code: str | None) -> str:
    """The untranslated customer message for an authorisation outcome."""
    if status == AuthorisationStatus.DECLINED:
        return OUTCOME_MESSAGES[DeclineCode(decline_code or DeclineCode.CARD_DECLINED)]
    return OUTCOME_MESSAGES[AuthorisationStatus(status)]


# --- Payment status and refund limits.


class PaymentState(StrEnum):
    AUTHORISED = "authorised"
    DECLINED = "declined"
    REVIEW = "review"
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


CAPTURABLE = frozenset({PaymentState.AUTHORISED, PaymentState.REVIEW})

#: How long an authorisation holds the money before the issuer lets it lapse: card networks
#: release most holds after 7 days; PayPal honours an authorisation for 3 days (it can be
#: reauthorised within 29). Past this a capture is refused and the order re-authorises first.
AUTHORISATION_VALID_FOR: Mapping[str, dt.timedelta] = {
    "card": dt.timedelta(days=7),
    "paypal": dt.timedelta(days=3),
}


def authorisation_expired(*, method: str, authorised_at: dt.datetime, at: dt.datetime) -> bool:
    """Whether an authorisation made at ``authorised_at`` has lapsed by ``at``."""
    valid_for = AUTHORISATION_VALID_FOR.get(method, dt.timedelta(days=3))
    return at - authorised_at > valid_for


VOIDABLE = frozenset({PaymentState.AUTHORISED, PaymentState.REVIEW})
REFUNDABLE = frozenset(
    {
        PaymentState.AUTHORISED,
        PaymentState.REVIEW,
        PaymentState.CAPTURED,
        PaymentState.PARTIALLY_REFUNDED,
    }
)


def refundable_balance(
    *, authorised: Decimal, captured: Decimal | None, refunded: Decimal
) -> Decimal:
    """What may still be refunded: the captured amount if captured, else the authorised amount,
    less everything already refunded. Never negative."""
    base = captured if captured is not None else authorised
    return max(base - refunded, Decimal("0.00"))


def status_after_refund(*, balance_before: Decimal, amount: Decimal) -> PaymentState:
    return PaymentState.REFUNDED if amount == balance_before else PaymentState.PARTIALLY_REFUNDED
