"""Care's models: a case per customer question, its threaded messages and their attachments.

Personal data is encrypted at rest (PP-10): the customer's email and name, every message body
and every attachment. A case is found by its reply token (in the address the customer replies
to) or by the keyed hash of the customer's email, never by reading the encrypted columns.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hearth.care.rules import CaseState, Direction
from hearth.privacy.fields import EncryptedTextField, HashedLookupField


class Channel(models.TextChoices):
    WEB = "web", _("Support form")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    DROPOUT = "dropout", _("Playback dropouts (proactive)")
    DELIVERY_EXCEPTION = "delivery_exception", _("Delivery exception")
    RMA = "rma", _("Return or warranty (RMA)")


class State(models.TextChoices):
    OPEN = CaseState.OPEN.value, pgettext_lazy("case state", "Waiting for care")
    WAITING = (
        CaseState.WAITING.value,
        pgettext_lazy("case state", "Answered, waiting for the customer"),
    )
    CLOSED = CaseState.CLOSED.value, pgettext_lazy("case state", "Closed")


class MessageDirection(models.TextChoices):
    IN = Direction.IN.value, _("From the customer")
    OUT = Direction.OUT.value, _("Reply from care")
    NOTE = Direction.NOTE.value, _("Internal note")


class Case(models.Model):
    """One customer question (TOS-27), with its promise: first response due, resolution target."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_cases",
    )
    email = EncryptedTextField(_("email address"), blank=True, default="")
    email_hash = HashedLookupField(source="email", verbose_name=_("email address digest"))
    name = EncryptedTextField(_("name"), blank=True, default="")
    subject = EncryptedTextField(_("subject"), blank=True, default="")
    # The language the customer wrote in (the page's): care's emails to them use it.
    language = models.CharField(_("language"), max_length=10, default="en")
    received_at = models.DateTimeField(_("received at"))
    first_response_due = models.DateTimeField(_("first response due"), db_index=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    resolution_target = models.DateTimeField(_("resolution target"))
    delay_notices = models.PositiveSmallIntegerField(_("delay notices sent"), default=0)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_care_cases",
    )
    reply_token = models.CharField(_("reply token"), max_length=40, unique=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Where a case that care opened (not the customer) came from.
    household_id = models.BigIntegerField(_("household ID"), null=True, blank=True, db_index=True)
    order_number = models.CharField(_("order number"), max_length=40, blank=True, default="")

    class Meta:
        ordering = ("first_response_due", "id")
        verbose_name = _("care case")
        verbose_name_plural = _("care cases")
        indexes = [
            models.Index(fields=("state", "first_response_due"), name="care_case_queue"),
            models.Index(fields=("state", "resolution_target"), name="care_case_target"),
            models.Index(fields=("received_at",), name="care_case_received"),
        ]

    def __str__(self) -> str:
        return self.reference


class CaseLink(models.Model):
    """What a case was opened for, in another app: a dropout episode's cases, a delivery
    exception, an RMA. ``(kind, ref)`` is unique: opening a case for it twice finds the first."""

    class Kind(models.TextChoices):
        DROPOUT = "dropout", _("Dropout case")
        DELIVERY_EXCEPTION = "delivery_exception", _("Delivery exception case")
        RMA = "rma", _("RMA")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="links"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    ref = models.CharField(_("reference"), max_length=60)

    class Meta:
        verbose_name = _("case link")
        verbose_name_plural = _("case links")
        constraints = [models.UniqueConstraint(fields=("kind", "ref"), name="care_link_once")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"


class CaseMessage(models.Model):
    """One message of a case's thread: in (from the customer), out (emailed), or an internal
    note."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(_("direction"), max_length=4, choices=MessageDirection.choices)
    body = EncryptedTextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author (staff)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    # An inbound email's Message-ID: the same email delivered twice lands once.
    email_message_id = models.CharField(
        _("email Message-ID"), max_length=250, null=True, blank=True, unique=True
    )

    class Meta:
        ordering = ("at", "id")
        verbose_name = _("case message")
        verbose_name_plural = _("case messages")

    def __str__(self) -> str:
        return f"{self.case_id} · {self.direction} · {self.at:%Y-%m-%d %H:%M}"


class CaseAttachment(models.Model):
    """A file the customer sent with a message: type-checked by its bytes, size-limited, and
    stored encrypted (base64 inside an AES-GCM token)."""

    message = models.ForeignKey(
        CaseMessage,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    filename = EncryptedTextField(_("file name"))
    content_type = models.CharField(_("type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content = EncryptedTextField(_("content"))

    class Meta:
        ordering = ("id",)
        verbose_name = _("case attachment")
        verbose_name_plural = _("case attachments")

    def __str__(self) -> str:
        return f"{self.message_id} · {self.content_type} · {self.size}"


class SupportAttempt(models.Model):
    """One question sent through the public support form, kept an hour for its limit: the
    keyed hash of the client or of the address, never either itself."""

    digest = models.CharField(_("keyed digest"), max_length=64, db_index=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("support form attempt")
        verbose_name_plural = _("support form attempts")

    def __str__(self) -> str:
        return f"{self.digest[:8]}… {self.at:%Y-%m-%d %H:%M}"
