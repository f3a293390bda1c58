"""Receiving and inspection of returned units (issue #13 item 3; TOS-22, TOS-23, TOS-24).

:class:`UnitScan` is each serial the returns bench scanned against an RMA: a unit received, or a
serial that did not match, which held the RMA and the unit for care. :class:`Inspection` is what
the warehouse found on a received unit (condition, packaging, exclusions), what that decides
(:func:`hearth.aftersales.rules.inspection_outcome`) and where the unit went. Thin: the writes
are :mod:`hearth.aftersales.receiving`'s.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hearth.aftersales import rules


class ScanOutcome(models.TextChoices):
    RECEIVED = "received", _("Received")
    HELD = "held", _("Serial mismatch: held for care")
    RELEASED = "released", _("Received by care after a hold")


class UnitScan(models.Model):
    """One serial scanned at the returns bench against an RMA (each one kept, held ones too)."""

    rma = models.ForeignKey(
        "aftersales.Rma", verbose_name=_("RMA"), on_delete=models.CASCADE, related_name="scans"
    )
    rma_unit = models.ForeignKey(
        "aftersales.RmaUnit",
        verbose_name=_("RMA unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="scans",
        help_text=_("Empty when the serial scanned is not one of the RMA's."),
    )
    serial = models.CharField(_("serial scanned"), max_length=40, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=ScanOutcome.choices)
    late = models.BooleanField(
        _("arrived after the deadline"),
        default=False,
        help_text=_("TOS-24: the unit arrived after the RMA's issue date + 14 days."),
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("returned unit scan")
        verbose_name_plural = _("returned unit scans")
        ordering = ("at", "id")
        constraints = [
            # Receiving twice is refused by the service; the table says so too.
            models.UniqueConstraint(
                fields=["rma_unit"],
                condition=~models.Q(outcome="held"),
                name="aftersales_unit_received_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.serial} {self.outcome}"


class InspectionCondition(models.TextChoices):
    NEW = rules.Condition.NEW.value, _("New (never used, seals intact)")
    AS_NEW = rules.Condition.AS_NEW.value, _("As new (no marks or wear)")
    USED = rules.Condition.USED.value, _("Used (marks or wear)")
    DAMAGED = rules.Condition.DAMAGED.value, _("Damaged")


class InspectionVerdict(models.TextChoices):
    REFUND = rules.InspectionVerdict.REFUND.value, _("Refund due")
    RETURN_REFUSED = rules.InspectionVerdict.RETURN_REFUSED.value, _("Return refused")
    COVERED = rules.InspectionVerdict.COVERED.value, _("Covered by the warranty")
    NOT_COVERED = rules.InspectionVerdict.NOT_COVERED.value, _("Not covered by the warranty")


class Disposition(models.TextChoices):
    RESTOCK = rules.Disposition.RESTOCK.value, _("Back to stock (sold as new)")
    REFURBISH = rules.Disposition.REFURBISH.value, _("To refurbishment")
    SCRAP = rules.Disposition.SCRAP.value, _("Scrap")
    KEEP = rules.Disposition.KEEP.value, _("Keep for the customer (repair, refused, quote)")


class Inspection(models.Model):
    """What the warehouse found on one received unit, what it decides and where the unit went."""

    rma = models.ForeignKey(
        "aftersales.Rma",
        verbose_name=_("RMA"),
        on_delete=models.CASCADE,
        related_name="inspections",
    )
    rma_unit = models.OneToOneField(
        "aftersales.RmaUnit",
        verbose_name=_("RMA unit"),
        on_delete=models.CASCADE,
        related_name="inspection",
    )
    condition = models.CharField(
        _("condition"), max_length=10, choices=InspectionCondition.choices, blank=True
    )
    original_packaging = models.BooleanField(
        _("original packaging with all materials"), null=True, blank=True
    )
    exclusions = models.JSONField(_("warranty exclusions found"), default=list, blank=True)
    verdict = models.CharField(_("verdict"), max_length=20, choices=InspectionVerdict.choices)
    reasons = models.JSONField(_("reasons (codes)"), default=list, blank=True)
    disposition = models.CharField(_("disposition"), max_length=10, choices=Disposition.choices)
    movement = models.ForeignKey(
        "fulfilment.ReturnMovement",
        verbose_name=_("stock movement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("inspector's note"), blank=True)
    at = models.DateTimeField(_("inspected at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspected by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.rma_unit_id} {self.verdict}"

    @property
    def reason_messages(self) -> list[str]:
        """The reasons' English msgids (translate at the edge)."""
        return [rules.REASONS[rules.ReasonCode(code)].message for code in self.reasons]
