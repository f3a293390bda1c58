"""Error codes of the tax engine, each with its translatable message.

``rules.py`` raises :class:`~hearth.core.errors.DomainError` through :func:`tax_error`, so the
API answers ``{"error": {"code", "message", "fields"}}`` with a 400 naming the field at fault.
The messages are lazy translations, translated when an error is raised.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from hearth.core.errors import DomainError


class TaxErrorCode(StrEnum):
    UNKNOWN_PROVINCE = "unknown_province"
    DATE_BEFORE_RATE_DATA = "date_before_rate_data"
    INVALID_BC_PST_NUMBER = "invalid_bc_pst_number"
    NO_LINES = "no_lines"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_AMOUNT = "invalid_amount"
    AMOUNT_TOO_LARGE = "amount_too_large"
    DISCOUNT_EXCEEDS_LINES = "discount_exceeds_lines"


MESSAGES: dict[TaxErrorCode, Any] = {
    TaxErrorCode.UNKNOWN_PROVINCE: _(
        "Unknown province or territory %(value)s: use one of %(choices)s."
    ),
    TaxErrorCode.DATE_BEFORE_RATE_DATA: _(
        "Tax can be quoted for dates from %(first)s onwards, not %(value)s."
    ),
    TaxErrorCode.INVALID_BC_PST_NUMBER: _(
        'A BC PST number looks like "PST-1234-5678" or "12345678", not %(value)s.'
    ),
    TaxErrorCode.NO_LINES: _("A quote needs at least one line."),
    TaxErrorCode.INVALID_QUANTITY: _("The quantity must be a whole number of 1 or more."),
    TaxErrorCode.INVALID_AMOUNT: _(
        "The amount must be zero or more, with at most two decimal places."
    ),
    TaxErrorCode.AMOUNT_TOO_LARGE: _("The amount is too large to quote."),
    TaxErrorCode.DISCOUNT_EXCEEDS_LINES: _(
        "The discount (%(value)s) is larger than the lines' total (%(limit)s)."
    ),
}


def tax_error(code: TaxErrorCode, *, field: str, **params: object) -> DomainError:
    """A DomainError with ``code``'s message (formatted with ``params``) at ``field``.

    The message is translated when the error is raised, in the language then active.
    """
    message = MESSAGES[code]
    return DomainError(code, message % params if params else message, field=field)
