"""Models owned by the reports side of the devices app (partners, dropout cases).

Imported at the end of ``models.py`` so Django sees them as part of the ``devices`` app.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = ["DropoutCase", "DropoutCaseStatus", "Partner"]


class DropoutCaseStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("dropout case status", "Open")
    CLOSED = "closed", pgettext_lazy("dropout case status", "Closed")


class DropoutCase(models.Model):
    """A proactive care case opened by repeated dropouts of one music service (PP-19).

    At most one open case per household and service (a partial unique constraint): one case per
    episode, whatever the concurrency.
    """

    household_id = models.BigIntegerField(_("household ID"), db_index=True)
    service = models.CharField(_("music service"), max_length=40)
    dropouts = models.IntegerField(_("dropouts in the episode's window"), default=0)
    episode_start = models.DateTimeField(_("episode start (device time)"))
    opened_at = models.DateTimeField(_("opened at"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DropoutCaseStatus.choices,
        default=DropoutCaseStatus.OPEN,
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ("-opened_at", "-id")
        verbose_name = _("dropout case")
        verbose_name_plural = _("dropout cases")
        constraints = [
            models.UniqueConstraint(
                fields=["household_id", "service"],
                condition=models.Q(status="open"),
                name="devices_one_open_dropout_case",
            )
        ]
        indexes = [
            models.Index(fields=["household_id", "service", "-opened_at"], name="devices_case_hh")
        ]

    def __str__(self) -> str:
        return f"{self.household_id} · {self.service} · {self.status}"


class Partner(models.Model):
    """A partner music service that reads its own anonymous weekly reports (PP-20).

    Only the keyed hash of its API token is stored; ``manage.py create_partner`` prints the token
    once.
    """

    name = models.CharField(_("name"), max_length=120)
    service = models.CharField(_("music service key"), max_length=40, unique=True)
    token_hash = models.CharField(_("API token digest"), max_length=64, unique=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ("service",)
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return f"{self.name} ({self.service})"
