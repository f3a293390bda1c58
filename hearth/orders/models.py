"""Orders, their lines, their status history and the emails sent about them.

Personal fields (name, phone, address) are encrypted at rest (PP-10) and declared in
data/personal_data.toml; orders are kept 6 years (tax records).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hearth.orders import rules
from hearth.privacy.fields import EncryptedTextField


class OrderStatus(models.TextChoices):
    PLACED = rules.Status.PLACED.value, pgettext_lazy("order status", "Placed")
    ON_HOLD = rules.Status.ON_HOLD.value, pgettext_lazy("order status", "On hold")
    RELEASED = (
        rules.Status.RELEASED.value,
        pgettext_lazy("order status", "Released to the warehouse"),
    )
    PICKING = rules.Status.PICKING.value, pgettext_lazy("order status", "Picking")
    PACKED = rules.Status.PACKED.value, pgettext_lazy("order status", "Packed")
    SHIPPED = rules.Status.SHIPPED.value, pgettext_lazy("order status", "Shipped")
    DELIVERED = rules.Status.DELIVERED.value, pgettext_lazy("order status", "Delivered")
    CANCELLED = rules.Status.CANCELLED.value, pgettext_lazy("order status", "Cancelled")
    REFUNDED = rules.Status.REFUNDED.value, pgettext_lazy("order status", "Refunded")
    RETURNED_TO_SENDER = (
        rules.Status.RETURNED_TO_SENDER.value,
        pgettext_lazy("order status", "Returned to sender"),
    )
    LOST = rules.Status.LOST.value, pgettext_lazy("order status", "Lost in transit")


class HoldReason(models.TextChoices):
    """Why an order is on hold for acceptance review (TOS-21)."""

    REVIEW = rules.HoldReason.REVIEW.value, _("The payment provider asked for a review")
    FRAUD = rules.HoldReason.FRAUD.value, _("Suspected fraud")
    DISCOUNT_MISUSE = rules.HoldReason.DISCOUNT_MISUSE.value, _("Possible discount code misuse")
    ADDRESS_DOUBT = rules.HoldReason.ADDRESS_DOUBT.value, _("The delivery address is in doubt")
    PAYMENT_EXPIRED = (
        rules.HoldReason.PAYMENT_EXPIRED.value,
        _("The payment authorisation lapsed and could not be renewed"),
    )


class Channel(models.TextChoices):
    WEB = rules.Channel.WEB.value, _("Web")
    PHONE = rules.Channel.PHONE.value, _("Phone")
    REPLACEMENT = rules.Channel.REPLACEMENT.value, _("Warranty replacement")


class PaymentMethod(models.TextChoices):
    CARD = rules.PaymentMethod.CARD.value, _("Card")
    PAYPAL = rules.PaymentMethod.PAYPAL.value, _("PayPal")


class CancellationReason(models.TextChoices):
    """TOS-9's non-acceptance reasons."""

    REQUIREMENTS_NOT_MET = (
        rules.CancellationReason.REQUIREMENTS_NOT_MET.value,
        _("The order requirements (TOS-3) were not met"),
    )
    PAYMENT_NOT_AUTHORISED = (
        rules.CancellationReason.PAYMENT_NOT_AUTHORISED.value,
        _("Payment was not authorised"),
    )
    OUTSIDE_SERVICE_REGION = (
        rules.CancellationReason.OUTSIDE_SERVICE_REGION.value,
        _("The destination is outside the Service Region"),
    )
    MANIFEST_ERROR = (
        rules.CancellationReason.MANIFEST_ERROR.value,
        _("A manifest error in a product's price or description"),
    )
    DISCOUNT_MISUSE = (
        rules.CancellationReason.DISCOUNT_MISUSE.value,
        _("Misuse of a discount code"),
    )
    SUSPECTED_FRAUD = rules.CancellationReason.SUSPECTED_FRAUD.value, _("Suspected fraud")
    CUSTOMER_REQUEST = (
        rules.CancellationReason.CUSTOMER_REQUEST.value,
        _("Cancelled at the customer's request"),
    )
    REFUNDED_BEFORE_SHIPMENT = (
        rules.CancellationReason.REFUNDED_BEFORE_SHIPMENT.value,
        _("Refunded before shipment"),
    )


class Order(models.Model):
    number = models.CharField(_("order number"), max_length=12, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PLACED
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    email = models.EmailField(_("email address"))
    contact_name = EncryptedTextField(_("name"))
    phone = EncryptedTextField(_("phone"), blank=True)
    address_lines = EncryptedTextField(_("street address"))  # newline-separated
    city = EncryptedTextField(_("city"))
    province = models.CharField(_("province or territory"), max_length=2)
    postal_code = EncryptedTextField(_("postal code"))
    # The shop's language when the order was placed ("en", "fr-ca"): the language a campaign's
    # audience filter reads (issue #14 item 5); "" for orders placed before it was recorded.
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    country = models.CharField(_("country"), max_length=2)
    subtotal = models.DecimalField(_("goods before tax"), max_digits=10, decimal_places=2)
    discount = models.DecimalField(_("discount"), max_digits=10, decimal_places=2, default=0)
    discount_code = models.CharField(_("discount code"), max_length=40, blank=True)
    shipping = models.DecimalField(_("shipping"), max_digits=10, decimal_places=2, default=0)
    shipping_method = models.CharField(_("shipping method"), max_length=20, default="standard")
    tax_components = models.JSONField(_("tax components"), default=list)
    total_tax = models.DecimalField(_("total tax"), max_digits=10, decimal_places=2)
    grand_total = models.DecimalField(_("total"), max_digits=10, decimal_places=2)
    bc_pst_number = models.CharField(_("BC PST number"), max_length=20, blank=True)
    terms_version = models.CharField(_("terms of sale version"), max_length=40, blank=True)
    # Issue #16: the language version of those terms the buyer accepted ("fr-ca", "en"): in
    # Quebec the French version is offered first (Charter of the French Language, Bill 96).
    terms_language = models.CharField(
        _("terms of sale language"), max_length=10, blank=True, default=""
    )
    privacy_version = models.CharField(_("privacy policy version"), max_length=40, blank=True)
    eula_version = models.CharField(_("EULA version"), max_length=40, blank=True)
    attestations = models.JSONField(_("attestations"), default=dict)
    payment_id = models.CharField(_("payment"), max_length=64, blank=True)
    payment_method = models.CharField(
        _("payment method"), max_length=10, choices=PaymentMethod.choices
    )
    fraud_suspected = models.BooleanField(_("fraud suspected"), default=False)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    # SHA-256 of the canonical request that placed the order with this key ("" when the caller
    # gave none): a replay with another body is refused, never answered with this order.
    request_hash = models.CharField(_("request hash"), max_length=64, blank=True, default="")
    placed_at = models.DateTimeField(_("placed at"))
    payment_confirmed_at = models.DateTimeField(_("payment confirmed at"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    ship_date = models.DateField(_("ship date"), null=True, blank=True)
    delivery_earliest = models.DateField(_("delivery from"), null=True, blank=True)
    delivery_latest = models.DateField(_("delivery by"), null=True, blank=True)
    hold_reason = models.CharField(
        _("hold reason"), max_length=20, choices=HoldReason.choices, blank=True
    )
    cancellation_reason = models.CharField(
        _("cancellation reason"),
        max_length=30,
        choices=CancellationReason.choices,
        blank=True,
    )

    class Meta:
        ordering = ("-placed_at", "-id")
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        permissions = [
            ("refund_order", _("Can cancel an order and refund its payments")),
            ("review_order", _("Can clear or cancel orders on hold")),
        ]
        indexes = [models.Index(fields=["status", "ship_date"])]

    def __str__(self) -> str:
        return self.number

    @property
    def line_list(self) -> list[str]:
        return [line for line in self.address_lines.splitlines() if line.strip()]

    @property
    def invoice_number(self) -> str:
        return rules.invoice_number(self.number)

    @property
    def tax_lines(self) -> list[rules.TaxLine]:
        """Each tax component as charged at placing (label, rate and amount come from here)."""
        return rules.tax_lines(self.tax_components)

    @property
    def taxable_subtotal(self) -> Decimal:
        """Goods after the discount, plus shipping: what the tax was computed on, as charged."""
        return self.grand_total - self.total_tax

    @property
    def is_open(self) -> bool:
        return rules.Status(self.status) in rules.OPEN_STATUSES

    @property
    def customer_may_cancel(self) -> bool:
        """The customer may still cancel (until picking starts; never a warranty replacement)."""
        return self.channel != rules.Channel.REPLACEMENT and rules.customer_may_cancel(self.status)


class OrderToShip(Order):
    """The warehouse's view of an order: what to ship and where, no customer history."""

    class Meta:
        proxy = True
        verbose_name = _("order to ship")
        verbose_name_plural = _("orders to ship")


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    sku = models.CharField(_("SKU"), max_length=40)
    name = models.CharField(_("product"), max_length=120)
    colour = models.CharField(_("colour"), max_length=40)
    unit_price = models.DecimalField(_("unit price before tax"), max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField(_("quantity"))
    availability = models.CharField(_("availability"), max_length=12)
    expected_ship_date = models.DateField(_("expected ship date"), null=True, blank=True)
    allocated_at = models.DateTimeField(
        _("stock allocated at"),
        null=True,
        blank=True,
        help_text=_("For a pre-order or backorder line: when received stock was set aside for it."),
    )

    class Meta:
        ordering = ("order", "sku")
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def waiting_for_stock(self) -> bool:
        return self.availability in rules.DELAYED and self.allocated_at is None


class OrderEvent(models.Model):
    """One status change: from, to, who, when and why."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ("at", "id")
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '-'} → {self.to_status}"


class OrderRefund(models.Model):
    """Money given back on an order, with its reason (the customer is emailed each one)."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="refunds"
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ("at", "id")
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="orders_refund_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.amount}"


class SentOrderEmail(models.Model):
    """An email sent about an order, so a task run twice does not send it twice.

    ``kind`` is one of ``Kind``, or ``ship_date:<new date>:<event id>`` for a new expected ship
    date (TOS-20): one per change, so a later change (even back to an earlier date) sends again.
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Order confirmation")
        TAX_INVOICE = "tax_invoice", _("Tax invoice")

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="emails_sent"
    )
    kind = models.CharField(_("kind"), max_length=40)
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("sent order email")
        verbose_name_plural = _("sent order emails")
        constraints = [
            models.UniqueConstraint(fields=["order", "kind"], name="orders_email_sent_once")
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


class CreditNote(models.Model):
    """A credit note: money given back against the order's tax invoice for returned units, in its
    own number series (``CN-<order digits>-<n>``), each tax component at the invoice's rate.

    ``reference`` is what the return is known by (the RMA number): one credit note per reference
    and order, so the same return is never refunded twice.
    """

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="credit_notes"
    )
    number = models.CharField(_("credit note number"), max_length=24, unique=True)
    sequence = models.PositiveIntegerField(_("sequence on the order"))
    reference = models.CharField(_("reference"), max_length=40)
    issued_at = models.DateTimeField(_("issued at"))
    goods = models.DecimalField(_("goods before tax"), max_digits=10, decimal_places=2)
    discount = models.DecimalField(_("discount"), max_digits=10, decimal_places=2, default=0)
    shipping = models.DecimalField(_("shipping"), max_digits=10, decimal_places=2, default=0)
    subtotal = models.DecimalField(_("taxable subtotal"), max_digits=10, decimal_places=2)
    tax_components = models.JSONField(_("tax components"), default=list)
    total_tax = models.DecimalField(_("total tax"), max_digits=10, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2)
    refund = models.OneToOneField(
        OrderRefund,
        verbose_name=_("refund"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_note",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ("order", "sequence")
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "reference"], name="orders_credit_note_once_per_reference"
            ),
            models.UniqueConstraint(
                fields=["order", "sequence"], name="orders_credit_note_sequence_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(total__gt=0), name="orders_credit_note_total_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CreditNoteLine(models.Model):
    """Returned units of one SKU on a credit note: price, their discount share, the serials."""

    credit_note = models.ForeignKey(
        CreditNote, verbose_name=_("credit note"), on_delete=models.CASCADE, related_name="lines"
    )
    sku = models.CharField(_("SKU"), max_length=40)
    name = models.CharField(_("product"), max_length=120)
    colour = models.CharField(_("colour"), max_length=40)
    unit_price = models.DecimalField(_("unit price before tax"), max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField(_("quantity"))
    discount = models.DecimalField(_("discount"), max_digits=10, decimal_places=2, default=0)
    amount = models.DecimalField(_("amount before tax"), max_digits=10, decimal_places=2)
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)

    class Meta:
        ordering = ("credit_note", "sku")
        verbose_name = _("credit note line")
        verbose_name_plural = _("credit note lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"
