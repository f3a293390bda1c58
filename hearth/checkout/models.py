"""Baskets. Prices are never stored here: they come from the catalogue (discount codes are the
``discounts`` app's)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Basket(models.Model):
    """A shopper's basket: a customer's (``user``) or a guest's (``session_key``: a random token
    kept in the guest's session, so that it survives the session key change at sign-in)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="basket",
        verbose_name=_("customer"),
    )
    # NULL (not "") for customers' baskets, so that the unique constraint ignores them.
    session_key = models.CharField(_("guest token"), max_length=64, null=True, blank=True)  # noqa: DJ001
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("basket")
        verbose_name_plural = _("baskets")
        constraints = [
            models.UniqueConstraint(fields=["session_key"], name="checkout_basket_unique_token"),
        ]

    def __str__(self) -> str:
        return f"basket {self.pk}"


class BasketLine(models.Model):
    basket = models.ForeignKey(
        Basket, on_delete=models.CASCADE, related_name="lines", verbose_name=_("basket")
    )
    sku = models.CharField(_("SKU"), max_length=40)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        ordering = ("added_at", "id")
        verbose_name = _("basket line")
        verbose_name_plural = _("basket lines")
        constraints = [
            models.UniqueConstraint(fields=["basket", "sku"], name="checkout_line_one_per_sku"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="checkout_line_quantity_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"
