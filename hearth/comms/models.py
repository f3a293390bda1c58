"""Comms models: the outbound queue (every email Hearth sends, each sent exactly once as far as
SMTP allows) and the outbox (what the embedded run's mail backend "delivered", for staff to read).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hearth.comms.rules import MessageStatus


class OutboundStatus(models.TextChoices):
    QUEUED = MessageStatus.QUEUED, _("queued")
    SENDING = MessageStatus.SENDING, _("sending")
    SENT = MessageStatus.SENT, _("sent")
    FAILED = MessageStatus.FAILED, _("failed")


class OutboundKind(models.TextChoices):
    TRANSACTIONAL = "transactional", _("transactional")
    MARKETING = "marketing", _("marketing")


class OutboundMessage(models.Model):
    """One email to send, written in the business transaction that caused it and sent by a task
    after the commit (``hearth.comms.services``). ``key`` makes queueing idempotent; ``message_id``
    is its Message-ID header, the same on every attempt."""

    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=250, unique=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=OutboundKind.choices, default=OutboundKind.TRANSACTIONAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED
    )
    to_addresses = models.JSONField(_("recipients"), default=list)
    from_address = models.CharField(_("from"), max_length=300)
    subject = models.CharField(_("subject"), max_length=500)
    body = models.TextField(_("text body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    # [{"filename", "mimetype", "content" (base64)}]: small documents such as a tax invoice.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    # Extra headers, name -> value (a care reply's Reply-To; a campaign's List-Unsubscribe).
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("queued at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    lease_until = models.DateTimeField(_("held by a worker until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # One-time links (a sign-in or confirmation token) and notices to a person being erased:
    # once sent, the row keeps no recipient and no content (subject and dates only).
    forget_once_sent = models.BooleanField(_("forget content once sent"), default=False)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        indexes = [
            models.Index(fields=("status", "next_attempt_at"), name="comms_outbound_due"),
            models.Index(fields=("created_at",), name="comms_outbound_created"),
        ]

    def __str__(self) -> str:
        return self.subject


class OutboxMessage(models.Model):
    """The embedded run's mail "server": a copy of each email its backend delivered."""

    to_addresses = models.JSONField(_("recipients"), default=list)
    from_address = models.CharField(_("from"), max_length=300)
    subject = models.CharField(_("subject"), max_length=500)
    body = models.TextField(_("text body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    attachment_names = models.JSONField(_("attachments"), default=list)
    raw = models.BinaryField(_("raw message"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")

    def __str__(self) -> str:
        return self.subject
