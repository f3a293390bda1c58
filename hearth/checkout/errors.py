"""Machine codes of the checkout app (discount refusals' are in :mod:`hearth.discounts.errors`)."""

from __future__ import annotations

from enum import StrEnum


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
