"""Fulfilment tables. Known forwarder addresses that staff add to the shipped list (TOS-17)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hearth.fulfilment import rules
from hearth.fulfilment.address import forwarder_line_key, normalise_postal_code


class KnownForwarder(models.Model):
    """A freight or parcel forwarder's street address: an order to it is refused at checkout.

    ``line`` is the street line as written ("2500 Meyerside Dr"); an address is refused when one of
    its lines contains this line (case, accents, punctuation and street-type spelling folded) and
    its postal code is the same. The postal code is stored normalised ("L5T 1V3").
    """

    line = models.CharField(
        _("street line"),
        max_length=200,
        help_text=_("The forwarder's street line, e.g. 2500 Meyerside Dr (no unit number)."),
    )
    postal_code = models.CharField(_("postal code"), max_length=7)
    note = models.TextField(_("note"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("known forwarder")
        verbose_name_plural = _("known forwarders")
        ordering = ("postal_code", "line")
        constraints = [
            models.UniqueConstraint(
                fields=("line", "postal_code"), name="fulfilment_forwarder_unique_address"
            )
        ]
        # An address check reads the forwarders at one postal code (selectors.known_forwarders).
        indexes = [models.Index(fields=("postal_code",), name="fulfilment_forwarder_postal")]

    def __str__(self) -> str:
        return f"{self.line}, {self.postal_code}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.postal_code = normalise_postal_code(self.postal_code) or self.postal_code
        self.line = " ".join(self.line.split())
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if not forwarder_line_key(self.line or ""):
            errors["line"] = _("Enter the forwarder's street line.")
        postal = normalise_postal_code(self.postal_code or "")
        if postal is None:
            errors["postal_code"] = _("Enter a Canadian postal code in the form A1A 1A1.")
        else:
            self.postal_code = postal
        if errors:
            raise ValidationError(errors)
        self.line = " ".join(self.line.split())


# --- Warehouse: units, shipments, tracking, delivery exceptions, stock movements (issue #11).


class ShipmentStatus(models.TextChoices):
    LABEL_CREATED = (
        rules.ShipmentStatus.LABEL_CREATED.value,
        pgettext_lazy("shipment status", "Label created"),
    )
    SHIPPED = (
        rules.ShipmentStatus.SHIPPED.value,
        pgettext_lazy("shipment status", "Handed to the carrier"),
    )
    IN_TRANSIT = (
        rules.ShipmentStatus.IN_TRANSIT.value,
        pgettext_lazy("shipment status", "In transit"),
    )
    OUT_FOR_DELIVERY = (
        rules.ShipmentStatus.OUT_FOR_DELIVERY.value,
        pgettext_lazy("shipment status", "Out for delivery"),
    )
    DELIVERED = rules.ShipmentStatus.DELIVERED.value, pgettext_lazy("shipment status", "Delivered")
    RETURNED_TO_SENDER = (
        rules.ShipmentStatus.RETURNED_TO_SENDER.value,
        pgettext_lazy("shipment status", "Returned to sender"),
    )
    LOST = rules.ShipmentStatus.LOST.value, pgettext_lazy("shipment status", "Lost")


class Shipment(models.Model):
    """One parcel of one order: its carrier, service, tracking code and where it is now.

    ``promised_ship_date`` is the order's ship date when the label was made (the chart of promises
    kept reads it with ``shipped_on``, the Eastern day the carrier took the parcel).
    """

    order = models.OneToOneField(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="shipment"
    )
    carrier = models.CharField(_("carrier"), max_length=20)
    service = models.CharField(_("service"), max_length=20)
    tracking_code = models.CharField(_("tracking code"), max_length=40, unique=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ShipmentStatus.choices,
        default=ShipmentStatus.LABEL_CREATED,
    )
    promised_ship_date = models.DateField(_("promised ship date"), null=True, blank=True)
    label_pdf = models.BinaryField(_("label (PDF)"), editable=False)
    label_created_at = models.DateTimeField(_("label created at"))
    label_created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("label made by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    shipped_at = models.DateTimeField(_("handed to the carrier at"), null=True, blank=True)
    shipped_on = models.DateField(_("shipped on"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(
        _("shipping confirmation sent at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ("-label_created_at", "-id")
        indexes = [models.Index(fields=["promised_ship_date"])]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_code}"


class Unit(models.Model):
    """One serial-numbered unit captured at packing, tied to its order line: one sale of it.

    ``shipped_on`` (the day the carrier took it) starts the unit's warranty; after-sales builds
    the warranty record on this row. A unit returned and restocked (``restocked_at``) may be sold
    again: the new sale is a new row with the same serial, so each order keeps its own; at most
    one row per serial is live (not restocked).
    """

    serial = models.CharField(_("serial number"), max_length=40, db_index=True)
    sku = models.CharField(_("SKU"), max_length=40, db_index=True)
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="units",
    )
    captured_at = models.DateTimeField(_("scanned at"))
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scanned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    shipped_on = models.DateField(_("shipped on (warranty start)"), null=True, blank=True)
    restocked_at = models.DateTimeField(
        _("returned and restocked at"),
        null=True,
        blank=True,
        help_text=_(
            "This sale of the serial ended: the unit came back and went to stock. Selling it "
            "again captures the serial on a new row for the new order line."
        ),
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ("order_line", "captured_at", "id")
        constraints = [
            # One live row per serial; rows of earlier sales (restocked) stay for their orders.
            models.UniqueConstraint(
                fields=["serial"],
                condition=models.Q(restocked_at__isnull=True),
                name="fulfilment_unit_serial_live_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.serial}"


class TrackingEvent(models.Model):
    """One event the carrier reported for a shipment (each carrier event recorded once)."""

    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="events"
    )
    carrier_event_id = models.CharField(_("carrier's event id"), max_length=64)
    kind = models.CharField(_("kind"), max_length=20, choices=ShipmentStatus.choices)
    code = models.CharField(_("carrier's code"), max_length=20)
    description = models.CharField(_("description"), max_length=200)
    location = models.CharField(_("location"), max_length=120, blank=True)
    at = models.DateTimeField(_("at"))
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ("at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "carrier_event_id"], name="fulfilment_tracking_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class DeliveryExceptionKind(models.TextChoices):
    RETURNED_TO_SENDER = (
        rules.ShipmentStatus.RETURNED_TO_SENDER.value,
        pgettext_lazy("shipment status", "Returned to sender"),
    )
    LOST = rules.ShipmentStatus.LOST.value, pgettext_lazy("shipment status", "Lost")


class DeliveryExceptionCase(models.Model):
    """A delivery that went wrong, waiting for customer care (the care app will absorb these).

    Opened by the carrier's event (returned to sender, lost); a care agent resolves it with a note.
    """

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("delivery exception state", "Open")
        RESOLVED = "resolved", pgettext_lazy("delivery exception state", "Resolved")

    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.PROTECT, related_name="exceptions"
    )
    kind = models.CharField(
        _("what happened"), max_length=20, choices=DeliveryExceptionKind.choices
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(_("opened at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("care note"), blank=True)

    class Meta:
        verbose_name = _("delivery exception case")
        verbose_name_plural = _("delivery exception cases")
        ordering = ("state", "opened_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "kind"], name="fulfilment_exception_case_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.shipment.tracking_code}"


class StockReceipt(models.Model):
    """Units of a SKU received into the warehouse, with the supplier's reference."""

    sku = models.CharField(_("SKU"), max_length=40, db_index=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    reference = models.CharField(_("reference"), max_length=80)
    received_at = models.DateTimeField(_("received at"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stock receipt")
        verbose_name_plural = _("stock receipts")
        ordering = ("-received_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="fulfilment_receipt_quantity_positive"
            )
        ]

    def __str__(self) -> str:
        return f"+{self.quantity} {self.sku} ({self.reference})"


class AdjustmentReason(models.TextChoices):
    DAMAGED = rules.AdjustmentReason.DAMAGED.value, _("Damaged in the warehouse")
    COUNT_CORRECTION = rules.AdjustmentReason.COUNT_CORRECTION.value, _("Stock count correction")
    FOUND = rules.AdjustmentReason.FOUND.value, _("Found in the warehouse")
    MISSING = rules.AdjustmentReason.MISSING.value, _("Missing (not found)")
    SUPPLIER_RETURN = rules.AdjustmentReason.SUPPLIER_RETURN.value, _("Returned to the supplier")


class StockAdjustment(models.Model):
    """A change of stock on hand that is not a receipt or a sale, with its reason (audited)."""

    sku = models.CharField(_("SKU"), max_length=40, db_index=True)
    delta = models.IntegerField(_("change"))
    stock_after = models.IntegerField(_("stock on hand after"))
    reason = models.CharField(_("reason"), max_length=20, choices=AdjustmentReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
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
        verbose_name = _("stock adjustment")
        verbose_name_plural = _("stock adjustments")
        ordering = ("-at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(delta=0), name="fulfilment_adjustment_not_zero"
            )
        ]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.sku} ({self.reason})"


class ReturnDisposition(models.TextChoices):
    RESTOCK = rules.ReturnDisposition.RESTOCK.value, _("Back to stock")
    REFURBISH = rules.ReturnDisposition.REFURBISH.value, _("To refurbishment")
    SCRAP = rules.ReturnDisposition.SCRAP.value, _("Scrapped")


class ReturnMovement(models.Model):
    """A returned unit leaving inspection: back to stock on hand (``stock_after`` set), to the
    refurbishment bench or to scrap. ``reference`` is the RMA it came back on; a unit moves once
    per RMA."""

    serial = models.CharField(_("serial number"), max_length=40, db_index=True)
    sku = models.CharField(_("SKU"), max_length=40, db_index=True)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="return_movements",
    )
    disposition = models.CharField(
        _("disposition"), max_length=10, choices=ReturnDisposition.choices
    )
    reference = models.CharField(_("RMA"), max_length=40)
    stock_after = models.IntegerField(_("stock on hand after"), null=True, blank=True)
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
        verbose_name = _("returned unit movement")
        verbose_name_plural = _("returned unit movements")
        ordering = ("-at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("serial", "reference"), name="fulfilment_return_moves_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.serial} {self.disposition} ({self.reference})"


class TrackingLookup(models.Model):
    """A guest's look-up of an order's tracking, by a keyed hash of the client (for the limit)."""

    client = models.CharField(_("client (keyed hash)"), max_length=64, db_index=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("tracking look-up")
        verbose_name_plural = _("tracking look-ups")

    def __str__(self) -> str:
        return f"{self.client[:8]} {self.at:%Y-%m-%d %H:%M}"
