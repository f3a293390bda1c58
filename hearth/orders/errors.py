"""Error codes of the orders app (the API maps them to ``{"error": {"code", ...}}``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from hearth.core.errors import DomainError


class OrdersErrorCode(StrEnum):
    ATTESTATION_REQUIRED = "attestation_required"
    NO_LINES = "no_lines"
    INVALID_QUANTITY = "invalid_quantity"
    UNKNOWN_SKU = "unknown_sku"
    NOT_FOR_SALE = "not_for_sale"
    ADDRESS_REFUSED = "address_refused"
    BC_PST_PHONE_ONLY = "bc_pst_number_phone_only"
    UNKNOWN_CHANNEL = "unknown_channel"
    UNKNOWN_PAYMENT_METHOD = "unknown_payment_method"
    MISSING_CONTACT = "missing_contact"
    INVALID_EMAIL = "invalid_email"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_NOT_CAPTURED = "payment_not_captured"
    MOVE_NOT_ALLOWED = "status_move_not_allowed"
    UNKNOWN_REASON = "unknown_cancellation_reason"
    IDEMPOTENCY_KEY_MISMATCH = "idempotency_key_mismatch"
    UNKNOWN_HOLD_REASON = "unknown_hold_reason"
    UNKNOWN_EXCEPTION = "unknown_shipment_exception"
    REFUND_REFUSED = "refund_refused"
    REASON_REQUIRED = "reason_required"
    CANCEL_TOO_LATE = "cancel_too_late"
    MARKETING_CHOICES_CONFLICT = "marketing_choices_conflict"
    PRICE_CHANGED = "price_changed"
    # Credit notes for returned units (issue #13).
    REFERENCE_REQUIRED = "reference_required"
    NOTHING_RETURNED = "nothing_returned"
    UNKNOWN_SERIAL = "unknown_serial"
    NOT_SHIPPED = "return_before_shipment"
    ALREADY_REFUNDED = "already_refunded"
    CREDIT_EXCEEDS_INVOICE = "credit_exceeds_invoice"


class PaymentDeclined(DomainError):
    """The provider did not authorise the payment: no order was kept (TOS-9).

    ``fraud_suspected`` is true for a card reported stolen (the payment is flagged with the
    provider); ``decline_code`` is the provider's reason (``insufficient_funds``, ...).
    """

    status = 402

    def __init__(
        self, message: Any, *, payment_id: str, decline_code: str | None, fraud_suspected: bool
    ) -> None:
        super().__init__(OrdersErrorCode.PAYMENT_DECLINED, message, field="payment_token")
        self.payment_id = payment_id
        self.decline_code = decline_code
        self.fraud_suspected = fraud_suspected


class RefusedAfterAuthorisation(DomainError):
    """Someone else took the last unit (or the discount code's last use) between the check
    before payment and the reservation after it: no order was kept and the authorisation
    ``payment_id`` was voided. Code, message, fields and status are the refusal's own
    (``out_of_stock``, ``discount_used_up`` ...), as when refused before payment."""

    def __init__(self, refusal: DomainError, *, payment_id: str) -> None:
        super().__init__(
            refusal.code, refusal.message, fields=refusal.fields, status=refusal.status
        )
        self.payment_id = payment_id
