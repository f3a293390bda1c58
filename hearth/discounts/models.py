"""Discount codes staff create, their redemptions by orders, invalid attempts and misuse flags.

The tables kept the names they had under checkout (``checkout_discount*``): the models moved
apps, the data did not (migration ``0001`` adopts them).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hearth.discounts.rules import DiscountKind, DiscountTerms, normalise_code


class DiscountCode(models.Model):
    """A discount code staff create in the back office (one code per order)."""

    class Kind(models.TextChoices):
        PERCENT = DiscountKind.PERCENT.value, _("percent off")
        FIXED = DiscountKind.FIXED.value, _("fixed amount off")

    code = models.CharField(_("code"), max_length=40, unique=True, help_text=_("Upper case."))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.DecimalField(
        _("value"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Percent (e.g. 10.00) or dollars before tax (e.g. 25.00)."),
    )
    min_spend = models.DecimalField(
        _("minimum spend before tax"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(_("most uses in all"), null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(
        _("most uses per customer"), null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        db_table = "checkout_discountcode"  # moved from checkout: same table
        ordering = ("code",)
        verbose_name = _("discount code")
        verbose_name_plural = _("discount codes")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100),
                name="checkout_discount_percent_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args: object, **kwargs: object) -> None:
        self.code = normalise_code(self.code)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def terms(self) -> DiscountTerms:
        return DiscountTerms(
            code=self.code,
            kind=DiscountKind(self.kind),
            value=self.value,
            min_spend=self.min_spend,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            max_uses=self.max_uses,
            max_uses_per_customer=self.max_uses_per_customer,
            is_active=self.is_active,
        )


class DiscountRedemption(models.Model):
    """One use of a code by one order. The customer is known only by a keyed hash of the email."""

    code = models.ForeignKey(
        DiscountCode, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("code")
    )
    order_number = models.CharField(_("order number"), max_length=20, blank=True)
    email_hash = models.CharField(_("customer (keyed hash of the email)"), max_length=64)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    at = models.DateTimeField(_("at"))

    class Meta:
        db_table = "checkout_discountredemption"  # moved from checkout: same table
        ordering = ("-at",)
        verbose_name = _("discount redemption")
        verbose_name_plural = _("discount redemptions")
        indexes = [
            models.Index(fields=["code", "email_hash"], name="checkout_di_code_id_8e497a_idx")
        ]

    def __str__(self) -> str:
        return f"{self.code_id} {self.order_number}"


class DiscountAttempt(models.Model):
    """An invalid discount code tried by a shopper (for throttling; TOS-9 misuse)."""

    shopper = models.CharField(_("shopper (keyed hash)"), max_length=64, db_index=True)
    code_tried = models.CharField(_("code tried"), max_length=40)
    reason = models.CharField(_("reason"), max_length=40)
    at = models.DateTimeField(_("at"))

    class Meta:
        db_table = "checkout_discountattempt"  # moved from checkout: same table
        ordering = ("-at",)
        verbose_name = _("invalid discount attempt")
        verbose_name_plural = _("invalid discount attempts")

    def __str__(self) -> str:
        return f"{self.code_tried} ({self.reason})"


class DiscountMisuseFlag(models.Model):
    """Raised when a shopper hits the invalid-attempt limit: staff review it (TOS-9)."""

    shopper = models.CharField(_("shopper (keyed hash)"), max_length=64)
    email_hash = models.CharField(
        _("customer (keyed hash of the email)"), max_length=64, blank=True
    )
    attempts = models.PositiveIntegerField(_("invalid attempts"))
    codes_tried = models.TextField(_("codes tried"), blank=True)
    flagged_at = models.DateTimeField(_("flagged at"))
    reviewed = models.BooleanField(_("reviewed"), default=False)

    class Meta:
        db_table = "checkout_discountmisuseflag"  # moved from checkout: same table
        ordering = ("-flagged_at",)
        verbose_name = _("discount misuse flag")
        verbose_name_plural = _("discount misuse flags")

    def __str__(self) -> str:
        return f"{self.shopper[:8]}… {self.attempts}"
