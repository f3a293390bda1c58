"""The privacy officer's records: consent ledger, policy versions and acknowledgements, data
requests, processors and disclosures, access audit, confidentiality incidents, retention holds."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from hearth.core.models import AppendOnlyModel
from hearth.privacy.fields import EncryptedTextField, HashedLookupField


class Purpose(models.TextChoices):
    """Purposes that need consent (hearth/privacy/data/purposes.toml, kind = "consent")."""

    MARKETING_EMAIL = "marketing_email", _("News and offers by email")
    MARKET_RESEARCH = "market_research", _("Surveys and market research")
    PRODUCT_USAGE_ANALYTICS = "product_usage_analytics", _("Product usage statistics")
    PLAYBACK_PROBLEM_CONTACT = (
        "playback_problem_contact",
        _("Contacting you about repeated playback problems"),
    )
    # Cookie categories (issue #15): the banner's choice, for signed-in customers.
    COOKIES_FUNCTIONAL = "cookies_functional", _("Functional cookies")
    COOKIES_STATISTICS = "cookies_statistics", _("Visitor statistics")
    # Any disclosure a processor could count as a sale or share (PP-6); Global Privacy Control
    # records a withdrawal of it.
    SALE_OR_SHARE = "sale_or_share", _("Disclosures that could count as a sale or share")


class ConsentKind(models.TextChoices):
    EXPRESS = "express", _("express")
    IMPLIED = "implied", _("implied")


class ImpliedFrom(models.TextChoices):
    PURCHASE = "purchase", _("a purchase")
    ENQUIRY = "enquiry", _("an enquiry")


class ConsentRecord(AppendOnlyModel):
    """One grant or withdrawal. Append-only: current consent is derived, never stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consent_records",
        verbose_name=_("customer"),
    )
    email = EncryptedTextField(_("email address"), blank=True)
    email_hash = HashedLookupField(source="email", verbose_name=_("email address digest"))
    household_id = models.BigIntegerField(_("household ID"), null=True, blank=True, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=40, choices=Purpose.choices)
    granted = models.BooleanField(_("granted"))
    kind = models.CharField(_("kind"), max_length=10, choices=ConsentKind.choices)
    implied_from = models.CharField(
        _("implied from"), max_length=10, choices=ImpliedFrom.choices, blank=True
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    source = models.CharField(_("source (form and page)"), max_length=200)
    policy_version = models.CharField(_("privacy policy version in force"), max_length=40)
    at = models.DateTimeField(_("at"), db_index=True)
    evidence = models.TextField(_("evidence"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ("at", "id")
        verbose_name = _("consent record")
        verbose_name_plural = _("consent ledger")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(user=None, email="", household_id=None),
                name="privacy_consent_names_someone",
            )
        ]

    def __str__(self) -> str:
        verb = _("granted") if self.granted else _("withdrawn")
        return f"{self.get_purpose_display()}: {verb} ({self.at:%Y-%m-%d})"


class PolicyKind(models.TextChoices):
    PRIVACY = "privacy", _("Privacy policy")
    TERMS = "terms", _("Terms of sale")
    EULA = "eula", _("End-user licence agreement")


class PolicyDocument(models.Model):
    """One version of a policy, in English and Canadian French."""

    kind = models.CharField(_("kind"), max_length=10, choices=PolicyKind.choices)
    version = models.CharField(_("version"), max_length=20)
    effective_at = models.DateTimeField(_("in force from"))
    last_updated = models.DateField(_("last updated"))
    material = models.BooleanField(_("material change"), default=False)
    title = models.CharField(_("title (English)"), max_length=200)
    body = models.TextField(_("text (English, Markdown-like)"))
    title_fr = models.CharField(_("title (French)"), max_length=200)
    body_fr = models.TextField(_("text (French)"))
    summary = models.TextField(_("what changed (English)"), blank=True)
    summary_fr = models.TextField(_("what changed (French)"), blank=True)

    class Meta:
        ordering = ("kind", "effective_at")
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints = [
            models.UniqueConstraint(fields=("kind", "version"), name="privacy_policy_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.version}"

    def get_absolute_url(self) -> str:
        """The version's stable address, readable for as long as Hearth runs (TOS-25)."""
        return reverse("privacy:version", args=[self.kind, self.version])

    @property
    def key(self) -> str:
        """The version key (kept by consents, orders and the acknowledgement cookie)."""
        return f"{self.kind}-{self.version}"

    def _french(self) -> bool:
        return (get_language() or "en").lower().startswith("fr")

    @property
    def localized_title(self) -> str:
        return self.title_fr if self._french() else self.title

    @property
    def localized_body(self) -> str:
        return self.body_fr if self._french() else self.body

    @property
    def localized_summary(self) -> str:
        return self.summary_fr if self._french() else self.summary


class PolicyAcknowledgement(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="policy_acknowledgements",
        verbose_name=_("customer"),
    )
    document = models.ForeignKey(
        PolicyDocument, on_delete=models.PROTECT, verbose_name=_("policy version")
    )
    at = models.DateTimeField(_("acknowledged at"))

    class Meta:
        verbose_name = _("policy acknowledgement")
        verbose_name_plural = _("policy acknowledgements")
        constraints = [
            models.UniqueConstraint(fields=("user", "document"), name="privacy_ack_once")
        ]

    def __str__(self) -> str:
        return f"{self.document} @ {self.at:%Y-%m-%d}"


class DataRequestKind(models.TextChoices):
    ACCESS = "access", _("Access")
    EXPORT = "export", _("Export (portable copy)")
    CORRECTION = "correction", _("Correction")
    ERASURE = "erasure", _("Erasure")


class DataRequestStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("data request status", "Open")
    EXTENDED = "extended", pgettext_lazy("data request status", "Extended")
    COMPLETED = "completed", pgettext_lazy("data request status", "Completed")
    REFUSED = "refused", pgettext_lazy("data request status", "Refused")


class DataRequest(models.Model):
    """A person's request about their data; answered within 30 days, one 30-day extension."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="data_requests",
        verbose_name=_("customer"),
    )
    # For a person with no account (a guest buyer, a news subscriber): the confirmed address.
    requester_email = EncryptedTextField(_("requester's email"), blank=True, default="")
    requester_email_hash = models.CharField(
        _("requester's email (keyed hash)"), max_length=64, blank=True, default="", db_index=True
    )
    kind = models.CharField(_("kind"), max_length=12, choices=DataRequestKind.choices)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DataRequestStatus.choices,
        default=DataRequestStatus.OPEN,
    )
    received_at = models.DateTimeField(_("received at"), db_index=True)
    deadline = models.DateField(_("legal deadline"), db_index=True)
    extended_at = models.DateTimeField(_("extended at"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    available_on = models.DateField(_("can be done on"), null=True, blank=True)
    # What the person wrote with the request: read-only to staff (the officer adds a note).
    request_text = models.TextField(_("the request, in the person's words"), blank=True)
    note = models.TextField(_("officer's note"), blank=True)

    class Meta:
        ordering = ("deadline", "id")
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} ({self.get_status_display()})"


class Processor(models.Model):
    """A contractor that receives personal information to perform its service (PP-7)."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    purpose = models.TextField(_("purpose"))
    categories = models.JSONField(_("data categories"), default=list)
    location = models.CharField(_("location"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ("key",)
        verbose_name = _("processor")
        verbose_name_plural = _("processor registry")

    def __str__(self) -> str:
        return self.name


class DisclosureKind(models.TextChoices):
    HANDOVER = "handover", _("Hand-over of personal data")
    CORRECTION = "correction", _("Correction passed on")
    ERASURE = "erasure", _("Erasure passed on")


class Disclosure(models.Model):
    """Every hand-over of personal data to a processor, and every correction or erasure passed
    on to one: what, to whom, why, when (PP-7)."""

    processor = models.ForeignKey(
        Processor, on_delete=models.PROTECT, verbose_name=_("to whom (processor)")
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("about whom"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=DisclosureKind.choices)
    what = models.TextField(_("what (data categories or fields)"))
    why = models.TextField(_("why"))
    at = models.DateTimeField(_("when"), db_index=True)
    data_request = models.ForeignKey(
        DataRequest, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("request")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ("-at", "-id")
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosure log")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.processor} ({self.at:%Y-%m-%d})"


class IncidentQuerySet(models.QuerySet["ConfidentialityIncident"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The incident register is append-only: record a correction.")

    def delete(self) -> tuple[int, dict[str, int]]:
        from hearth.core import clock

        if self.filter(keep_until__gt=clock.now().date()).exists():
            raise PermissionError("An incident is kept at least 5 years (until keep_until).")
        return super().delete()


class ConfidentialityIncident(models.Model):
    """The register of confidentiality incidents (Quebec Law 25, s.3.8; regulation s.7).

    Append-only: an entry is never changed; a correction is a new entry that restates the
    incident and points at the entry it corrects (``corrects``). Kept at least 5 years after the
    incident became known (``keep_until``), and a correction at least as long as what it
    corrects: deletion before ``keep_until`` is refused.
    """

    reference = models.CharField(_("reference"), max_length=40)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects entry"),
    )
    information_concerned = models.TextField(_("personal information concerned"))
    circumstances = models.TextField(_("circumstances of the incident"))
    occurred_on = models.DateField(_("date or start of the incident"), null=True, blank=True)
    occurred_until = models.DateField(_("end of the incident"), null=True, blank=True)
    discovered_on = models.DateField(_("date the organisation became aware"))
    people_affected = models.PositiveIntegerField(_("number of people concerned"), null=True)
    risk_assessment = models.TextField(
        _("assessment of the risk of serious injury (sensitivity, possible misuse, consequences)")
    )
    serious_injury_risk = models.BooleanField(_("risk of serious injury"), default=False)
    commission_notified_on = models.DateField(
        _("Commission d'accès à l'information notified on"), null=True, blank=True
    )
    persons_notified_on = models.DateField(
        _("persons concerned notified on"), null=True, blank=True
    )
    notifications = models.TextField(_("notifications sent (to whom, how)"), blank=True)
    measures = models.TextField(_("measures taken to reduce the risk"))
    recorded_at = models.DateTimeField(_("recorded at"))
    keep_until = models.DateField(_("keep until"), editable=False)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ("-discovered_on", "-id")
        verbose_name = _("confidentiality incident")
        verbose_name_plural = _("confidentiality incident register")
        constraints = [
            models.UniqueConstraint(
                fields=("reference",),
                condition=models.Q(corrects__isnull=True),
                name="privacy_incident_reference_once",
            ),
            models.UniqueConstraint(fields=("corrects",), name="privacy_incident_corrected_once"),
        ]

    def __str__(self) -> str:
        if self.corrects_id is not None:
            return f"{self.reference} (correction #{self.pk})"
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The incident register is append-only: record a correction.")
        from hearth.privacy.rules import incident_keep_until

        self.keep_until = incident_keep_until(
            self.discovered_on,
            corrected_keep_until=self.corrects.keep_until if self.corrects else None,
        )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        from hearth.core import clock

        if clock.now().date() < self.keep_until:
            raise PermissionError("An incident is kept at least 5 years (until keep_until).")
        return super().delete(*args, **kwargs)


class RetentionHold(models.Model):
    """A record the law keeps after an erasure request: purged by the retention task when due."""

    model = models.CharField(_("model"), max_length=100)
    object_pk = models.CharField(_("object"), max_length=64)
    retention = models.CharField(_("retention rule"), max_length=40)
    purge_after = models.DateTimeField(_("purge after"), db_index=True)
    data_request = models.ForeignKey(
        DataRequest, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("request")
    )
    purged_at = models.DateTimeField(_("purged at"), null=True, blank=True)

    class Meta:
        ordering = ("purge_after", "id")
        verbose_name = _("retention hold")
        verbose_name_plural = _("retention holds")
        constraints = [
            models.UniqueConstraint(fields=("model", "object_pk"), name="privacy_hold_once")
        ]

    def __str__(self) -> str:
        return f"{self.model}#{self.object_pk} until {self.purge_after:%Y-%m-%d}"


class GpcSignalDay(models.Model):
    """How many page views carried Global Privacy Control on a day: a count, no identity."""

    day = models.DateField(_("day"), primary_key=True)
    page_views = models.PositiveBigIntegerField(_("page views with the signal"), default=0)

    class Meta:
        ordering = ("-day",)
        verbose_name = _("Global Privacy Control day")
        verbose_name_plural = _("Global Privacy Control days")

    def __str__(self) -> str:
        return f"{self.day}: {self.page_views}"
