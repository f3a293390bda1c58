"""The outbox: every email Hearth sends in the embedded run, for staff to read."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    to_addresses = models.JSONField(_("recipients"), default=list)
    from_address = models.CharField(_("from"), max_length=300)
    subject = models.CharField(_("subject"), max_length=500)
    body = models.TextField(_("text body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    attachment_names = models.JSONField(_("attachments"), default=list)
    raw = models.BinaryField(_("raw message"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")

    def __str__(self) -> str:
        return self.subject
