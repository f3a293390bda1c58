"""Machine codes of the payments app."""

from __future__ import annotations

from enum import StrEnum


class PaymentsErrorCode(StrEnum):
    """Codes of the :class:`hearth.core.errors.DomainError` raised by payments' services."""

    UNKNOWN_TOKEN = "unknown_token"  # noqa: S105 - an error code, not a secret
    TOKEN_USED = "token_used"  # noqa: S105
    UNKNOWN_PAYMENT = "unknown_payment"
    UNKNOWN_SESSION = "unknown_session"
    SESSION_CLOSED = "session_closed"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_RETURN_URL = "invalid_return_url"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    NOT_CAPTURABLE = "not_capturable"
    NOT_REFUNDABLE = "not_refundable"
    REFUND_EXCEEDS_BALANCE = "refund_exceeds_balance"
    NOT_VOIDABLE = "not_voidable"
    AUTHORISATION_EXPIRED = "authorisation_expired"


class CardProblemCode(StrEnum):
    """Why a card was refused on the card page. Problems are results of a check, not errors."""

    MALFORMED_NUMBER = "malformed_number"
    WRONG_LENGTH = "wrong_length"
    LUHN = "luhn"
    UNKNOWN_BRAND = "unknown_brand"
    BRAND_NOT_ACCEPTED = "brand_not_accepted"
    EXPIRED = "expired"
    INVALID_EXPIRY = "invalid_expiry"
    INVALID_CVC = "invalid_cvc"


class DeclineCode(StrEnum):
    """Why the (sandbox) issuer declined an authorisation (TOS-9)."""

    INSUFFICIENT_FUNDS = "insufficient_funds"
    STOLEN_CARD = "stolen_card"
    CARD_DECLINED = "card_declined"


def gettext_noop(message: str) -> str:
    """Mark a message for translation without translating it (rules import no Django)."""
    return message
