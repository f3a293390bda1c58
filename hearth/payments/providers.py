"""The payment provider interface and the built-in sandbox provider.

A provider authorises against a token that its own hosted page issued (Hearth never sees a card
number), then captures, refunds or voids by the provider's reference. A real processor plugs in
behind the same :class:`PaymentProvider` protocol (setting ``HEARTH_PAYMENT_PROVIDER``, a dotted
path to a class); Hearth's services keep the payment records and the idempotency keys.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from hearth.core.errors import DomainError
from hearth.payments.errors import PaymentsErrorCode
from hearth.payments.models import PaymentToken
from hearth.payments.rules import BEHAVIOURS, Behaviour


@dataclass(frozen=True)
class ProviderAuthorisation:
    status: str  # approved | declined | review
    decline_code: str | None
    fraud_suspected: bool
    method: str  # card | paypal
    brand: str
    last4: str


@runtime_checkable
class PaymentProvider(Protocol):
    """What Hearth asks of a payment processor."""

    key: str

    def authorise(
        self, *, token: str, amount: Decimal, reference: str, at: dt.datetime
    ) -> ProviderAuthorisation:
        """Hold ``amount`` on the card or PayPal account behind ``token``.

        Raises DomainError ``unknown_token`` or ``token_used`` (field ``payment_token``)."""
        ...

    def reauthorise(
        self, *, token: str, amount: Decimal, reference: str, at: dt.datetime
    ) -> ProviderAuthorisation:
        """Hold ``amount`` again on a stored credential whose first authorisation lapsed (a
        merchant-initiated authorisation: the customer agreed to it when they ordered)."""
        ...

    def capture(self, *, token: str, amount: Decimal, reference: str) -> None:
        """Take the held amount."""
        ...

    def refund(self, *, token: str, amount: Decimal, reference: str) -> None:
        """Give back ``amount`` of a captured (or release it from an authorised) payment."""
        ...

    def void(self, *, token: str, reference: str) -> None:
        """Release an authorisation that will not be captured."""
        ...


class SandboxProvider:
    """Behaves like a card processor's test mode: each token carries the behaviour of the test
    card it was made from (approve, decline for funds, decline as stolen, review)."""

    key = "sandbox"

    def authorise(
        self, *, token: str, amount: Decimal, reference: str, at: dt.datetime
    ) -> ProviderAuthorisation:
        row = PaymentToken.objects.select_for_update().filter(token=token).first()
        if row is None:
            raise DomainError(
                PaymentsErrorCode.UNKNOWN_TOKEN,
                _("This payment has expired or is unknown. Please enter your payment again."),
                field="payment_token",
            )
        if row.used_at is not None:
            raise DomainError(
                PaymentsErrorCode.TOKEN_USED,
                _("This payment was already used. Please enter your payment again."),
                field="payment_token",
            )
        row.used_at = at
        row.save(update_fields=["used_at"])
        outcome = BEHAVIOURS[Behaviour(row.behaviour)]
        return ProviderAuthorisation(
            status=outcome.status.value,
            decline_code=outcome.decline_code.value if outcome.decline_code else None,
            fraud_suspected=outcome.fraud_suspected,
            method=row.method,
            brand=row.brand,
            last4=row.last4,
        )

    def reauthorise(
        self, *, token: str, amount: Decimal, reference: str, at: dt.datetime
    ) -> ProviderAuthorisation:
        row = PaymentToken.objects.select_for_update().filter(token=token).first()
        if row is None or row.used_at is None:
            raise DomainError(
                PaymentsErrorCode.UNKNOWN_TOKEN,
                _("This payment has expired or is unknown. Please enter your payment again."),
                field="payment_token",
            )
        outcome = BEHAVIOURS[Behaviour(row.behaviour)]
        return ProviderAuthorisation(
            status=outcome.status.value,
            decline_code=outcome.decline_code.value if outcome.decline_code else None,
            fraud_suspected=outcome.fraud_suspected,
            method=row.method,
            brand=row.brand,
            last4=row.last4,
        )

    def capture(self, *, token: str, amount: Decimal, reference: str) -> None:
        return None

    def refund(self, *, token: str, amount: Decimal, reference: str) -> None:
        return None

    def void(self, *, token: str, reference: str) -> None:
        return None


def get_provider() -> PaymentProvider:
    """The configured provider (``settings.HEARTH_PAYMENT_PROVIDER``), the sandbox by default."""
    path = getattr(settings, "HEARTH_PAYMENT_PROVIDER", "hearth.payments.providers.SandboxProvider")
    provider = import_string(path)()
    if not isinstance(provider, PaymentProvider):
        raise TypeError(f"{path} does not implement PaymentProvider")
    return provider
