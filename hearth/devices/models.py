"""Households, their products, raw telemetry events and the rollups that reports read.

The raw event table and its batch table are written off the ORM by
:mod:`hearth.devices.repository` (bulk statements per batch); everything else uses the ORM. On
PostgreSQL the raw table is range-partitioned by ``day`` (the UTC date of the device
timestamp); see docs/adr/0002 and 0004.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hearth.privacy.fields import EncryptedTextField, HashedLookupField


class Tier(models.TextChoices):
    """Registration tiers, lowest first (PP-16, PP-17, PP-18)."""

    DECLINE = "decline", _("Not registered (declined)")
    REGISTERED_OPT_OUT = "registered_opt_out", _("Registered, no usage statistics")
    REGISTERED_OPT_IN = "registered_opt_in", _("Registered, usage statistics shared")


class Household(models.Model):
    """A home's set of products. The id is random and 12 digits long; the device token is
    never stored, only its keyed hash."""

    id = models.BigIntegerField(_("household ID"), primary_key=True)
    token_hash = models.CharField(_("device token digest"), max_length=64, unique=True)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.DECLINE)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="households",
        verbose_name=_("customer"),
    )
    email = EncryptedTextField(_("email address"), null=True, blank=True)
    email_hash = HashedLookupField(source="email", verbose_name=_("email address digest"))
    postal_code = EncryptedTextField(_("postal code"), null=True, blank=True)
    country = models.CharField(_("country"), max_length=2, null=True, blank=True)  # noqa: DJ001
    confirm_token_hash = models.CharField(
        _("confirmation token digest"), max_length=64, blank=True, default=""
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    tier_changed_at = models.DateTimeField(_("tier changed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return str(self.id)


class HouseholdProduct(models.Model):
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="products", verbose_name=_("household")
    )
    serial = models.CharField(_("serial number"), max_length=64, unique=True)
    model = models.CharField(_("model"), max_length=64, blank=True, default="")
    software_version = models.CharField(
        _("software version"), max_length=32, blank=True, default=""
    )
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        ordering = ("added_at", "id")
        verbose_name = _("household product")
        verbose_name_plural = _("household products")

    def __str__(self) -> str:
        return self.serial


class ClaimCode(models.Model):
    """The claim code printed on a unit's box (issue #10 item 14), kept only as a keyed hash
    of serial and code: whoever holds the box may move the unit from the household it is in."""

    serial = models.CharField(_("serial number"), max_length=64, unique=True)
    code_hash = models.CharField(_("claim code digest"), max_length=64)
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("claim code")
        verbose_name_plural = _("claim codes")

    def __str__(self) -> str:
        return self.serial


class ClaimFailure(models.Model):
    """One wrong claim code, keyed by a keyed hash of the serial or of the client address: the
    claim-code throttle (5 in 15 minutes per serial and per client). No plaintext; rows older
    than the window are purged on the next failure."""

    class Kind(models.TextChoices):
        SERIAL = "serial", _("serial number")
        CLIENT = "client", _("client address")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    key_digest = models.CharField(_("key digest"), max_length=128, db_index=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("wrong claim code")
        verbose_name_plural = _("wrong claim codes")

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class WrittenJSONField(models.JSONField):
    """A JSONField without SQLite's ``CHECK (JSON_VALID(..))``: for a column written only by
    code that encodes the JSON itself (``repository.insert_batch``, from msgspec's encoder),
    where the check re-parses every value and bought nothing: about 0.4 ms CPU of a 500-event
    batch's ~1.8 ms insert (ADR 0004). PostgreSQL's jsonb is unchanged (it parses anyway)."""

    def db_check(self, connection: Any) -> None:
        return None


class TelemetryBatch(models.Model):
    """One accepted batch: what all its events share (the household, when it was received and
    the tier it was received under), kept once instead of on each of its up to 1,000 rows (ADR
    0004). Written only by ``repository.insert_batch`` in the transaction that stores its
    events; a batch that stores no new event (a replay) leaves no row. Rollups group events by
    their batch's ``tier_at_receipt`` and settle on its ``received_at``."""

    id = models.BigAutoField(primary_key=True)
    household = models.ForeignKey(
        Household,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("household"),
    )
    received_at = models.DateTimeField(_("received at"))
    tier_at_receipt = models.CharField(_("tier at receipt"), max_length=20, choices=Tier.choices)

    class Meta:
        verbose_name = _("telemetry batch")
        verbose_name_plural = _("telemetry batches")

    def __str__(self) -> str:
        return f"{self.household_id}#{self.id}"


class TelemetryEvent(models.Model):
    """One accepted event. Written only by ``repository.insert_batch``; deduplicated on
    (household_id, day, client_event_id); ``day`` is the UTC date of ``device_ts`` and the
    partition key on PostgreSQL. The batch row holds the receipt time and tier; the music
    service is read from the payload (the type's ``service_field``), ADR 0004."""

    id = models.BigAutoField(primary_key=True)
    # A relation for the ORM (export, admin) but no database constraint: the fast path writes
    # the raw id and the table may be partitioned.
    household = models.ForeignKey(
        Household,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the unique constraint below starts with household_id
        related_name="+",
        verbose_name=_("household"),
    )
    # No index: rollups find new events by ``id`` and join their batch by its key.
    batch = models.ForeignKey(
        TelemetryBatch,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("batch"),
    )
    client_event_id = models.CharField(_("client event ID"), max_length=64)
    type = models.CharField(_("type"), max_length=32)
    device_ts = models.DateTimeField(_("device timestamp"))
    day = models.DateField(_("day (UTC, from the device timestamp)"))
    payload = WrittenJSONField(_("payload"), default=dict)

    class Meta:
        verbose_name = _("telemetry event")
        verbose_name_plural = _("telemetry events")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "day", "client_event_id"],
                name="devices_event_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id}/{self.client_event_id}"


class DailyRollup(models.Model):
    """Sum of one metric per day × service × tier, and how many households contributed."""

    day = models.DateField(_("day"))
    service = models.CharField(_("music service"), max_length=40)
    metric = models.CharField(_("metric"), max_length=40)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    households = models.IntegerField(_("households"), default=0)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "service", "metric", "tier"], name="devices_rollup_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.service} {self.metric} {self.tier}: {self.value}"


class DailyRollupHousehold(models.Model):
    """Membership behind ``DailyRollup.households`` (exact distinct counts, incrementally)."""

    day = models.DateField(_("day"))
    service = models.CharField(_("music service"), max_length=40)
    metric = models.CharField(_("metric"), max_length=40)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    household_id = models.BigIntegerField(_("household ID"), db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "service", "metric", "tier", "household_id"],
                name="devices_rollup_member_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.service} {self.metric} {self.tier}: {self.household_id}"


class WeeklyServiceHouseholds(models.Model):
    """Which households used a service in a week (Monday start): exact weekly distinct counts
    without scanning raw events."""

    week_start = models.DateField(_("week starting (Monday)"))
    service = models.CharField(_("music service"), max_length=40)
    household_id = models.BigIntegerField(_("household ID"), db_index=True)

    class Meta:
        verbose_name = _("weekly service household")
        verbose_name_plural = _("weekly service households")
        constraints = [
            models.UniqueConstraint(
                fields=["week_start", "service", "household_id"], name="devices_week_member_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.week_start} {self.service}: {self.household_id}"


class RollupWatermark(models.Model):
    """The highest raw event id already folded into the rollups (one row, key "rollup")."""

    key = models.CharField(_("key"), max_length=40, unique=True)
    last_event_id = models.BigIntegerField(_("last event ID"), default=0)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.last_event_id}"


from hearth.devices.models_reports import *  # noqa: E402, F403
