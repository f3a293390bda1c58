"""Payments' reads."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hearth.core.errors import DomainError
from hearth.payments.errors import PaymentsErrorCode
from hearth.payments.models import HostedSession, Payment
from hearth.payments.results import PaymentStatus
from hearth.payments.services import status_of


def payment(payment_id: str) -> PaymentStatus:
    """A payment's current state; DomainError ``unknown_payment`` (404) if there is none."""
    row = Payment.objects.filter(payment_id=payment_id).first()
    if row is None:
        raise DomainError(
            PaymentsErrorCode.UNKNOWN_PAYMENT, _("No such payment."), field="payment_id", status=404
        )
    return status_of(row)


def payments_for_reference(reference: str) -> list[PaymentStatus]:
    """Every payment made for an order (by its reference), oldest first."""
    return [status_of(p) for p in Payment.objects.filter(reference=reference).order_by("pk")]


def hosted_session(session_id: str, kind: HostedSession.Kind) -> HostedSession | None:
    """A provider page's session (for showing the amount and merchant), open or not."""
    return HostedSession.objects.filter(session_id=session_id, kind=kind).first()
