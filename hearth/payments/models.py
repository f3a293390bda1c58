"""Payments' tables. No table holds a card number (PAN): a card is kept as a token with its brand,
last four digits, expiry and sandbox behaviour (PP-10)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hearth.payments.rules import Behaviour, PaymentState


class Method(models.TextChoices):
    CARD = "card", _("Card")
    PAYPAL = "paypal", _("PayPal")


class HostedSession(models.Model):
    """One visit to a provider page (card entry, agent card entry, PayPal approval), created by
    Hearth with the amount and the return URLs, so the person paying cannot change them."""

    class Kind(models.TextChoices):
        CARD = "card", _("Card entry")
        AGENT_CARD = "agent_card", _("Card entry by a sales agent")
        PAYPAL = "paypal", _("PayPal approval")

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("payment session state", "Open")
        COMPLETED = "completed", pgettext_lazy("payment session state", "Completed")
        CANCELLED = "cancelled", pgettext_lazy("payment session state", "Cancelled")

    session_id = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reference = models.CharField(max_length=64)
    return_url = models.CharField(max_length=500)
    cancel_url = models.CharField(max_length=500)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    token = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.session_id


class PaymentToken(models.Model):
    """What the provider keeps of a card (or a PayPal approval): never the card number."""

    token = models.CharField(max_length=40, unique=True)
    method = models.CharField(max_length=8, choices=Method.choices)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    behaviour = models.CharField(max_length=32, choices=[(b.value, b.value) for b in Behaviour])
    entered_by_agent = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.token


class Payment(models.Model):
    payment_id = models.CharField(max_length=40, unique=True)
    token = models.ForeignKey(PaymentToken, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=8, choices=Method.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)  # authorised
    captured_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    refunded_amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    status = models.CharField(max_length=20, choices=[(s.value, s.value) for s in PaymentState])
    decline_code = models.CharField(max_length=32, blank=True)
    fraud_suspected = models.BooleanField(default=False)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4, blank=True)
    reference = models.CharField(max_length=64, db_index=True)
    payer_email_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        permissions = [("refund_payment", "Can refund a payment")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0), name="payment_refunded_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.payment_id


class PaymentOperation(models.Model):
    """One authorise/capture/refund/void, keyed by the caller's idempotency key: a replay finds
    this row and returns ``result`` unchanged."""

    class Kind(models.TextChoices):
        AUTHORISE = "authorise", _("Authorise")
        CAPTURE = "capture", _("Capture")
        REFUND = "refund", _("Refund")
        VOID = "void", _("Void")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="operations")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    result = models.JSONField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"
