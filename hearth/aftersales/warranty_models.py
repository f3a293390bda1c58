"""Warranty outcomes (TOS-23, TOS-24): coverage per serial, the decision after inspection, the
quote of a claim not covered, replacements and the advance replacement's card authorisation.

Thin: fields and constraints. The rules are in :mod:`hearth.aftersales.warranty_rules`, the
steps in :mod:`hearth.aftersales.warranty`. Imported by :mod:`hearth.aftersales.models`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hearth.aftersales import warranty_rules as wr


class WarrantyCoverage(models.Model):
    """The warranty of one serial (TOS-23). A replacement's row names the serial it replaced and
    carries the first unit's dates; a repair or a new owner never changes a row."""

    serial = models.CharField(_("serial number"), max_length=40, unique=True)
    sku = models.CharField(_("SKU"), max_length=40)
    start = models.DateField(_("warranty from"))
    end = models.DateField(_("warranty until (inclusive)"))
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("warranty coverage")
        verbose_name_plural = _("warranty coverages")
        ordering = ("serial",)

    def __str__(self) -> str:
        return f"{self.serial} {self.start}..{self.end}"


class Resolution(models.TextChoices):
    REPAIR = wr.Resolution.REPAIR.value, _("repair")
    REPLACEMENT = wr.Resolution.REPLACEMENT.value, _("replacement")


class WarrantyDecision(models.Model):
    """What inspection decided for a warranty claim, and what was done about it."""

    rma = models.OneToOneField(
        "aftersales.Rma",
        verbose_name=_("RMA"),
        on_delete=models.CASCADE,
        related_name="warranty_decision",
    )
    covered = models.BooleanField(_("covered"))
    reasons = models.JSONField(_("reasons (codes)"), default=list)
    resolution = models.CharField(
        _("resolution"), max_length=12, choices=Resolution.choices, blank=True
    )
    decided_at = models.DateTimeField(_("decided at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    send_back_due = models.BooleanField(_("unit to send back to the customer"), default=False)
    sent_back_at = models.DateTimeField(_("sent back at"), null=True, blank=True)
    send_back_carrier = models.CharField(_("carrier"), max_length=20, blank=True)
    send_back_tracking_code = models.CharField(_("tracking code"), max_length=40, blank=True)
    send_back_label_pdf = models.BinaryField(_("label (PDF)"), null=True, editable=False)

    class Meta:
        verbose_name = _("warranty decision")
        verbose_name_plural = _("warranty decisions")

    def __str__(self) -> str:
        return f"{self.rma_id} {'covered' if self.covered else 'not covered'}"


class QuoteState(models.TextChoices):
    OFFERED = "offered", _("offered")
    ACCEPTED = "accepted", _("accepted and paid")
    DECLINED = "declined", _("declined")


class QuoteOption(models.TextChoices):
    PAID_REPAIR = wr.QuoteOption.PAID_REPAIR.value, _("paid repair")
    DISCOUNTED_REPLACEMENT = (
        wr.QuoteOption.DISCOUNTED_REPLACEMENT.value,
        _("discounted replacement"),
    )


class WarrantyQuote(models.Model):
    """The priced offer to a claim not covered (TOS-23): a paid repair and a discounted
    replacement, tax for the customer's province included; accepted (paid) or declined."""

    rma = models.OneToOneField(
        "aftersales.Rma",
        verbose_name=_("RMA"),
        on_delete=models.CASCADE,
        related_name="warranty_quote",
    )
    sku = models.CharField(_("SKU"), max_length=40)
    province = models.CharField(_("province or territory"), max_length=2)
    repair_price = models.DecimalField(_("repair before tax"), max_digits=10, decimal_places=2)
    repair_tax = models.JSONField(_("repair tax components"), default=list)
    repair_total = models.DecimalField(_("repair total"), max_digits=10, decimal_places=2)
    replacement_price = models.DecimalField(
        _("replacement before tax"), max_digits=10, decimal_places=2
    )
    replacement_tax = models.JSONField(_("replacement tax components"), default=list)
    replacement_total = models.DecimalField(_("replacement total"), max_digits=10, decimal_places=2)
    state = models.CharField(
        _("state"), max_length=10, choices=QuoteState.choices, default=QuoteState.OFFERED
    )
    option = models.CharField(
        _("option chosen"), max_length=30, choices=QuoteOption.choices, blank=True
    )
    payment_id = models.CharField(_("payment"), max_length=64, blank=True)
    offered_at = models.DateTimeField(_("offered at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("warranty quote")
        verbose_name_plural = _("warranty quotes")

    def __str__(self) -> str:
        return f"{self.rma_id} {self.state}"

    def total_of(self, option: str) -> object:
        if option == QuoteOption.PAID_REPAIR:
            return self.repair_total
        return self.replacement_total


class ReplacementReason(models.TextChoices):
    ADVANCE = "advance", _("advance replacement")
    COVERED = "covered", _("covered claim")
    QUOTE = "quote", _("accepted quote")


class WarrantyReplacement(models.Model):
    """A replacement unit on its way: the zero-priced order that ships it, and the serial it
    replaces (its coverage takes over that serial's dates once the new serial is packed)."""

    rma = models.ForeignKey(
        "aftersales.Rma",
        verbose_name=_("RMA"),
        on_delete=models.CASCADE,
        related_name="warranty_replacements",
    )
    original_serial = models.CharField(_("serial replaced"), max_length=40)
    sku = models.CharField(_("SKU"), max_length=40)
    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("replacement order"),
        on_delete=models.PROTECT,
        related_name="warranty_replacement",
    )
    reason = models.CharField(_("why"), max_length=10, choices=ReplacementReason.choices)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("warranty replacement")
        verbose_name_plural = _("warranty replacements")
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.original_serial} -> {self.order_id}"


class AdvanceState(models.TextChoices):
    AUTHORISED = wr.AdvanceState.AUTHORISED.value, _("card authorised")
    RELEASED = wr.AdvanceState.RELEASED.value, _("authorisation released")
    CAPTURED = wr.AdvanceState.CAPTURED.value, _("charged")
    CAPTURE_FAILED = wr.AdvanceState.CAPTURE_FAILED.value, _("charge failed: care follows up")


class AdvanceReplacement(models.Model):
    """An advance replacement (TOS-24): shipped within the 2nd business day of the request
    against a card authorisation of the standard price (tax included), released or charged
    when the original's fate is known."""

    rma = models.OneToOneField(
        "aftersales.Rma",
        verbose_name=_("RMA"),
        on_delete=models.CASCADE,
        related_name="advance",
    )
    sku = models.CharField(_("SKU"), max_length=40)
    state = models.CharField(
        _("state"), max_length=16, choices=AdvanceState.choices, default=AdvanceState.AUTHORISED
    )
    payment_id = models.CharField(_("payment"), max_length=64)
    authorised_amount = models.DecimalField(
        _("authorised (tax included)"), max_digits=10, decimal_places=2
    )
    charged_amount = models.DecimalField(
        _("charged"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    requested_on = models.DateField(_("requested on"))
    ship_by = models.DateField(_("ships by"))
    authorised_at = models.DateTimeField(_("authorised at"))
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("advance replacement")
        verbose_name_plural = _("advance replacements")
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"{self.rma_id} {self.state}"
