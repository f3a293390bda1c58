"""RMAs (TOS-24): the return or warranty claim, its units, its history and a dealer's receipt.

Thin: fields, constraints and simple properties. The state moves through
:func:`hearth.aftersales.rules.transition` only, applied by the services under a row lock, and
every move leaves an :class:`RmaEvent` (the history My Stuff and care show).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hearth.aftersales import rules
from hearth.core.models import AppendOnlyModel
from hearth.privacy.fields import EncryptedTextField


class RmaKind(models.TextChoices):
    RETURN = rules.ClaimKind.RETURN.value, _("45-day return")
    WARRANTY = rules.ClaimKind.WARRANTY.value, _("warranty claim")


class RmaChannel(models.TextChoices):
    WEB = rules.Channel.WEB.value, _("web")
    PHONE = rules.Channel.PHONE.value, _("phone")
    DEALER = rules.Channel.DEALER.value, _("dealer")


class RmaState(models.TextChoices):
    REQUESTED = rules.RmaState.REQUESTED.value, _("requested")
    ISSUED = rules.RmaState.ISSUED.value, _("issued")
    RECEIVED = rules.RmaState.RECEIVED.value, _("received")
    HELD = rules.RmaState.HELD.value, _("held for care")
    INSPECTED = rules.RmaState.INSPECTED.value, _("inspected")
    REFUND_DUE = rules.RmaState.REFUND_DUE.value, _("refund due")
    REFUNDED = rules.RmaState.REFUNDED.value, _("refunded")
    REPAIR = rules.RmaState.REPAIR.value, _("repair")
    REPLACEMENT_SHIPPED = rules.RmaState.REPLACEMENT_SHIPPED.value, _("replacement shipped")
    QUOTED = rules.RmaState.QUOTED.value, _("quote offered")
    ACCEPTED = rules.RmaState.ACCEPTED.value, _("quote accepted")
    DECLINED = rules.RmaState.DECLINED.value, _("quote declined")
    EXPIRED = rules.RmaState.EXPIRED.value, _("expired")
    CANCELLED = rules.RmaState.CANCELLED.value, _("cancelled")
    CLOSED = rules.RmaState.CLOSED.value, _("closed")


class ReturnMethod(models.TextChoices):
    LABEL = rules.ReturnMethod.LABEL.value, _("prepaid return label")
    PICKUP = rules.ReturnMethod.PICKUP.value, _("free pickup at the delivery address")


class Rma(models.Model):
    """One return (TOS-22) or warranty claim (TOS-23) on an RMA number (TOS-24).

    ``order`` is null for a dealer purchase (the proof is a :class:`DealerProof`). The return
    address (name, street, phone) is copied from the order, or typed by care for a dealer
    purchase, and kept encrypted; it is the sender on the return label and the pickup address.
    """

    number = models.CharField(_("RMA number"), max_length=12, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=RmaKind.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=RmaState.choices, default=RmaState.REQUESTED
    )
    channel = models.CharField(_("channel"), max_length=10, choices=RmaChannel.choices)
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rmas",
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rmas",
    )
    email = models.EmailField(_("email address"))
    contact_name = EncryptedTextField(_("name"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    address_lines = EncryptedTextField(_("street address"), blank=True)  # newline-separated
    city = EncryptedTextField(_("city"), blank=True)
    province = models.CharField(_("province or territory"), max_length=2, blank=True)
    postal_code = EncryptedTextField(_("postal code"), blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    problem = models.TextField(_("what is wrong, in the customer's words"), blank=True)
    retail_purchased_on = models.DateField(_("retail purchase date"), null=True, blank=True)
    dealer = models.CharField(_("dealer"), max_length=120, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("begun by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    return_method = models.CharField(
        _("return method"), max_length=10, choices=ReturnMethod.choices, default=ReturnMethod.LABEL
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    arrival_deadline = models.DateField(_("must arrive by"), null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=20, blank=True)
    tracking_code = models.CharField(_("return tracking code"), max_length=40, blank=True)
    label_pdf = models.BinaryField(_("return label (PDF)"), null=True, blank=True, editable=False)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    advance_replacement = models.BooleanField(_("advance replacement"), default=False)

    class Meta:
        verbose_name = _("RMA")
        verbose_name_plural = _("RMAs")
        ordering = ("-requested_at", "-id")
        indexes = [
            models.Index(fields=["state", "arrival_deadline"]),
            models.Index(fields=["email"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_return(self) -> bool:
        return self.kind == RmaKind.RETURN


class RmaUnit(models.Model):
    """A serial on the RMA: the unit shipped on the order, or the dealer unit's serial."""

    rma = models.ForeignKey(
        Rma, verbose_name=_("RMA"), on_delete=models.CASCADE, related_name="units"
    )
    serial = models.CharField(_("serial number"), max_length=40, db_index=True)
    sku = models.CharField(_("SKU"), max_length=40)
    unit = models.ForeignKey(
        "fulfilment.Unit",
        verbose_name=_("unit shipped"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rma_units",
    )

    class Meta:
        verbose_name = _("RMA unit")
        verbose_name_plural = _("RMA units")
        ordering = ("rma", "id")
        constraints = [
            models.UniqueConstraint(fields=["rma", "serial"], name="aftersales_rmaunit_once")
        ]

    def __str__(self) -> str:
        return f"{self.rma.number} {self.serial}"


class RmaEvent(AppendOnlyModel):
    """One step in an RMA's history (append-only): what happened, when, who; My Stuff shows it."""

    rma = models.ForeignKey(
        Rma, verbose_name=_("RMA"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("at"))
    kind = models.CharField(_("step"), max_length=30)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("RMA event")
        verbose_name_plural = _("RMA events")
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.rma_id} {self.kind}"


class DealerProof(models.Model):
    """A dealer purchase's receipt (TOS-23: the warranty runs from the retail purchase date).

    The file is kept encrypted (base64 inside an AES-GCM token), its type checked from its first
    bytes (JPEG, PNG, WebP or PDF) and its size limited; it is erased with the person or when
    its retention ends.
    """

    rma = models.OneToOneField(
        Rma, verbose_name=_("RMA"), on_delete=models.CASCADE, related_name="dealer_proof"
    )
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content = EncryptedTextField(_("receipt (encrypted)"))
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("dealer receipt")
        verbose_name_plural = _("dealer receipts")

    def __str__(self) -> str:
        return f"{self.rma_id} {self.content_type}"


# Receiving and inspection (issue #13 item 3) live in their own module, registered here.
from hearth.aftersales.models_receiving import *  # noqa: E402, F403

# Warranty outcomes (issue #13 part [warranty]) live in their own module to keep merges small.
from hearth.aftersales.warranty_models import (  # noqa: E402, F401
    AdvanceReplacement,
    WarrantyCoverage,
    WarrantyDecision,
    WarrantyQuote,
    WarrantyReplacement,
)
