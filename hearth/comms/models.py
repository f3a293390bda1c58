"""Comms models: the outbound queue (every email Hearth sends, each sent exactly once as far as
SMTP allows) and the outbox (what the embedded run's mail backend "delivered", for staff to read).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hearth.comms.rules import CampaignState, MessageStatus, SuppressionReason
from hearth.privacy.fields import EncryptedTextField


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
    # A message whose content is costly to make (a tax invoice's PDF) is queued with only its
    # key, recipients and this renderer (a dotted path, called with ``key=``); the worker that
    # first claims it renders and stores subject, body and attachments, then clears this.
    render_with = models.CharField(_("rendered at first delivery by"), max_length=200, blank=True)
    # Issue #16: the recipient's language ("en", "fr-ca"), chosen by the sender (the customer's
    # stored language, else the order's, else the page's): the content is written in it, and a
    # message rendered at first delivery is rendered in it, whatever the worker's language.
    language = models.CharField(_("language"), max_length=10, blank=True, default="")

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        indexes = [
            models.Index(fields=("status", "next_attempt_at"), name="comms_outbound_due"),
            models.Index(fields=("created_at",), name="comms_outbound_created"),
        ]

    def __str__(self) -> str:
        return self.subject or self.key


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


class SuppressionReasonChoice(models.TextChoices):
    UNSUBSCRIBE_LINK = SuppressionReason.UNSUBSCRIBE_LINK, _("unsubscribe link")
    ONE_CLICK = SuppressionReason.ONE_CLICK, _("one-click unsubscribe (mail client)")
    UNSUBSCRIBE_EMAIL = SuppressionReason.UNSUBSCRIBE_EMAIL, _("unsubscribe by email")
    REPLY_STOP = SuppressionReason.REPLY_STOP, _("reply asking to stop")
    HARD_BOUNCE = SuppressionReason.HARD_BOUNCE, _("hard bounce")
    STAFF = SuppressionReason.STAFF, _("asked staff")


class Suppression(models.Model):
    """An address no commercial email goes to: a keyed hash (HMAC-SHA256 of the normalised
    address, ``privacy.crypto.keyed_hash``), never the address. Kept through erasure, so that
    an erased person is never emailed again (declared in data/personal_data.toml)."""

    address_hash = models.CharField(_("address digest"), max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=20, choices=SuppressionReasonChoice.choices)
    at = models.DateTimeField(_("suppressed at"), db_index=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ("-at", "-id")
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")

    def __str__(self) -> str:
        return f"{self.address_hash[:12]}… ({self.get_reason_display()})"


class CampaignStatus(models.TextChoices):
    DRAFT = CampaignState.DRAFT, _("draft")
    SCHEDULED = CampaignState.SCHEDULED, _("scheduled")
    SENDING = CampaignState.SENDING, _("sending")
    SENT = CampaignState.SENT, _("sent")
    CANCELLED = CampaignState.CANCELLED, _("cancelled")


class Campaign(models.Model):
    """A commercial email (news and offers) to the customers who may be contacted when it is
    sent (``hearth.comms.campaigns``). Figures are aggregate only: no per-recipient opens."""

    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("body (Markdown)"),
        help_text=_("Markdown. The sender identification and unsubscribe link are added below."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        help_text=_("Only customers who use the shop in this language (blank: everyone)."),
    )
    provinces = models.JSONField(_("provinces"), default=list, blank=True)
    product_skus = models.JSONField(_("products owned (SKUs)"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    # CASL s.6(2): who sends it and how to reach them, fixed when the campaign is saved.
    sender_name = models.CharField(_("sender name"), max_length=200)
    sender_mailing_address = models.TextField(_("sender mailing address"))
    sender_contact = models.CharField(_("sender contact (email, phone or web)"), max_length=300)
    unsubscribe_url = models.CharField(_("unsubscribe page"), max_length=300)
    unsubscribe_mailto = models.CharField(_("unsubscribe mailbox"), max_length=300)
    created_at = models.DateTimeField(_("created at"))
    started_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("sending finished at"), null=True, blank=True)
    # Who was in and who was out when sending started: {"express": n, "implied": n,
    # "excluded": {"no_consent": n, "withdrawn": n, "expired": n, "suppressed": n}}.
    audience_figures = models.JSONField(_("audience at send time"), default=dict, blank=True)
    sent_count = models.PositiveIntegerField(_("sent"), default=0)
    bounced_count = models.PositiveIntegerField(_("bounced"), default=0)
    unsubscribed_count = models.PositiveIntegerField(_("unsubscribed"), default=0)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            # CASL s.6(2)-(3): never a campaign without sender identification or unsubscribe.
            models.CheckConstraint(
                condition=~models.Q(sender_name="")
                & ~models.Q(sender_mailing_address="")
                & ~models.Q(sender_contact="")
                & ~models.Q(unsubscribe_url="")
                & ~models.Q(unsubscribe_mailto=""),
                name="comms_campaign_identifies_and_unsubscribes",
            )
        ]

    def __str__(self) -> str:
        return self.subject


class CampaignSendState(models.TextChoices):
    PENDING = "pending", _("waiting for its batch")
    QUEUED = "queued", _("queued")
    SKIPPED = "skipped", _("skipped (no longer contactable)")


class CampaignSend(models.Model):
    """One recipient of one campaign, written when sending starts (unique per campaign and
    address); its batch re-checks consent, queues its email and marks it queued in one
    transaction, so a crash or a restart never sends a campaign twice to anybody. The address
    is kept (encrypted) only until the outbox's 90 days end."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="sends", verbose_name=_("campaign")
    )
    recipient_hash = models.CharField(_("recipient digest"), max_length=64)
    address = EncryptedTextField(_("email address"), blank=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=CampaignSendState.choices,
        default=CampaignSendState.PENDING,
    )
    outbound = models.ForeignKey(
        OutboundMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("email"),
    )
    at = models.DateTimeField(_("queued at"))

    class Meta:
        verbose_name = _("campaign send")
        verbose_name_plural = _("campaign sends")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "recipient_hash"], name="comms_campaign_sends_once"
            )
        ]
        indexes = [models.Index(fields=("campaign", "state", "id"), name="comms_send_batch")]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.recipient_hash[:12]}"
