"""Machine codes of discount refusals, and their customer-readable messages.

The codes are the API's (``discount_unknown`` ...), answered on the field ``discount_code``.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class DiscountErrorCode(StrEnum):
    DISCOUNT_UNKNOWN = "discount_unknown"
    DISCOUNT_INACTIVE = "discount_inactive"
    DISCOUNT_NOT_STARTED = "discount_not_started"
    DISCOUNT_EXPIRED = "discount_expired"
    DISCOUNT_USED_UP = "discount_used_up"
    DISCOUNT_OVER_LIMIT = "discount_over_limit"
    DISCOUNT_BELOW_MINIMUM = "discount_below_minimum"
    DISCOUNT_THROTTLED = "discount_throttled"
    DISCOUNT_CHANGED = "discount_changed"


DISCOUNT_MESSAGES = {
    DiscountErrorCode.DISCOUNT_UNKNOWN: _("We do not know this discount code. Check its spelling."),
    DiscountErrorCode.DISCOUNT_INACTIVE: _("This discount code is no longer offered."),
    DiscountErrorCode.DISCOUNT_NOT_STARTED: _(
        "This discount code is not valid yet: it starts on %(valid_from)s."
    ),
    DiscountErrorCode.DISCOUNT_EXPIRED: _("This discount code expired on %(valid_until)s."),
    DiscountErrorCode.DISCOUNT_USED_UP: _(
        "This discount code has been used the most times it may be used."
    ),
    DiscountErrorCode.DISCOUNT_OVER_LIMIT: _(
        "You have already used this discount code the most times one customer may "
        "(%(max_uses_per_customer)s)."
    ),
    DiscountErrorCode.DISCOUNT_BELOW_MINIMUM: _(
        "This discount code needs a subtotal of at least $%(min_spend)s before tax; "
        "your basket comes to $%(subtotal)s."
    ),
    DiscountErrorCode.DISCOUNT_CHANGED: _(
        "This discount code changed while you were paying: check your order again."
    ),
    DiscountErrorCode.DISCOUNT_THROTTLED: _(
        "Too many invalid discount codes were tried. Please wait %(minutes)s minutes, or "
        "place the order without a code."
    ),
}
