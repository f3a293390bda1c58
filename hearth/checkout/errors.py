"""Machine codes of the checkout app, and the customer-readable messages of discount refusals."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class CheckoutErrorCode(StrEnum):
    EMPTY_BASKET = "empty_basket"
    INVALID_QUANTITY = "invalid_quantity"
    QUANTITY_ABOVE_STOCK = "quantity_above_stock"
    NOT_IN_BASKET = "not_in_basket"
    LINE_UNAVAILABLE = "line_unavailable"
    SESSION_EXPIRED = "session_expired"
    BASKET_CHANGED = "basket_changed"
    CHECKOUT_INCOMPLETE = "checkout_incomplete"
    IDEMPOTENCY_KEY_REQUIRED = "idempotency_key_required"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    OUTSIDE_SERVICE_REGION = "outside_service_region"
    DISCOUNT_UNKNOWN = "discount_unknown"
    DISCOUNT_INACTIVE = "discount_inactive"
    DISCOUNT_NOT_STARTED = "discount_not_started"
    DISCOUNT_EXPIRED = "discount_expired"
    DISCOUNT_USED_UP = "discount_used_up"
    DISCOUNT_OVER_LIMIT = "discount_over_limit"
    DISCOUNT_BELOW_MINIMUM = "discount_below_minimum"
    DISCOUNT_THROTTLED = "discount_throttled"


DISCOUNT_MESSAGES = {
    CheckoutErrorCode.DISCOUNT_UNKNOWN: _("We do not know this discount code. Check its spelling."),
    CheckoutErrorCode.DISCOUNT_INACTIVE: _("This discount code is no longer offered."),
    CheckoutErrorCode.DISCOUNT_NOT_STARTED: _(
        "This discount code is not valid yet: it starts on %(valid_from)s."
    ),
    CheckoutErrorCode.DISCOUNT_EXPIRED: _("This discount code expired on %(valid_until)s."),
    CheckoutErrorCode.DISCOUNT_USED_UP: _(
        "This discount code has been used the most times it may be used."
    ),
    CheckoutErrorCode.DISCOUNT_OVER_LIMIT: _(
        "You have already used this discount code the most times one customer may "
        "(%(max_uses_per_customer)s)."
    ),
    CheckoutErrorCode.DISCOUNT_BELOW_MINIMUM: _(
        "This discount code needs a subtotal of at least $%(min_spend)s before tax; "
        "your basket comes to $%(subtotal)s."
    ),
    CheckoutErrorCode.DISCOUNT_THROTTLED: _(
        "Too many invalid discount codes were tried. Please wait %(minutes)s minutes, or "
        "place the order without a code."
    ),
}
