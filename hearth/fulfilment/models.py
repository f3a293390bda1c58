"""Fulfilment tables. Known forwarder addresses that staff add to the shipped list (TOS-17)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

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
