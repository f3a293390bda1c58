"""What payments' services return to other apps: plain frozen values, never model instances."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Authorisation:
    payment_id: str
    status: str  # approved | declined | review
    decline_code: str | None  # insufficient_funds | stolen_card | card_declined
    fraud_suspected: bool
    message: str  # customer-readable, translated into the active language
    brand: str  # visa | mastercard | amex | paypal
    last4: str  # "" for PayPal
    method: str  # card | paypal
    amount: Decimal

    @property
    def approved(self) -> bool:
        return self.status != "declined"


@dataclass(frozen=True)
class PaymentStatus:
    payment_id: str
    # authorised | declined | review | captured | voided | refunded | partially_refunded
    status: str
    method: str
    amount: Decimal  # authorised
    captured_amount: Decimal | None
    refunded_amount: Decimal
    refundable: Decimal  # what may still be refunded
    decline_code: str | None
    fraud_suspected: bool
    brand: str
    last4: str
    reference: str


@dataclass(frozen=True)
class Refund:
    payment_id: str
    amount: Decimal  # this refund
    refunded_total: Decimal  # every refund of the payment so far, this one included
    remaining: Decimal  # still refundable after this one
    status: str  # refunded | partially_refunded
