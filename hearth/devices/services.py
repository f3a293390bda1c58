"""Writes for devices: households, registration and tiers (consent ledger), telemetry ingestion,
purges. Each is one transaction; emails go out on commit."""

from __future__ import annotations

import datetime as dt
import gzip
import hmac
import re
import secrets
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import msgspec
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from hearth.accounts.rules import THROTTLE_WINDOW, throttle_verdict
from hearth.comms.services import queue_email
from hearth.core import audit, clock
from hearth.core.audit import Actor, AuditAction, SystemActor
from hearth.core.errors import CoreErrorCode, DomainError
from hearth.core.ids import random_numeric_id, random_token
from hearth.core.input import json_may_hold_nul, nul_field, nul_message
from hearth.devices import conf, outreach, repository, rules, stream, stream_format
from hearth.devices.errors import DevicesErrorCode
from hearth.devices.models import (
    ClaimCode,
    ClaimFailure,
    DailyRollupHousehold,
    Household,
    HouseholdProduct,
    TelemetryBatch,
    TelemetryEvent,
    Tier,
    WeeklyServiceHouseholds,
)
from hearth.devices.selectors import forget_device_tokens, tier_in_force
from hearth.privacy.crypto import keyed_hash
from hearth.privacy.models import ConsentKind, Purpose
from hearth.privacy.services import record_consent
from hearth.privacy.subjects import account_with_proven_email, proven_email

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
_POSTAL_CA = re.compile(r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d")
_POSTAL_ANY = re.compile(r"[A-Z0-9][A-Z0-9 \-]{1,9}")
_COUNTRY = re.compile(r"[A-Z]{2}")
REGISTERED_TIERS = (Tier.REGISTERED_OPT_OUT, Tier.REGISTERED_OPT_IN)


class DeviceAction(StrEnum):
    """Audit actions of this app (core.audit)."""

    PRODUCT_CLAIMED = "product_claimed"  # moved here from another household with its claim code
    PRODUCT_RELEASED = "product_released"  # let go by its household


# --- Households (PP-16).

# Calls from a household's controller app over the device API (authenticated by its token).
HOUSEHOLD_DEVICE = SystemActor("household device")


def create_household(
    *, serials: Any, at: dt.datetime, claim_codes: Any = None, client: str = ""
) -> tuple[Household, str]:
    """A household with a random 12-digit ID and its products' serials; returns the device token,
    which is shown once and never stored (only its keyed hash). A serial already in another
    household comes only with its box's claim code (``claim_codes``: {serial: code}); otherwise
    nothing is created and the answer is a 409."""
    cleaned = rules.clean_serials(serials)
    if cleaned is None:
        raise DomainError(
            DevicesErrorCode.BAD_SERIALS,
            _("Send 1 to 32 product serial numbers (letters, digits and dashes)."),
            field="serials",
        )
    codes = _clean_claim_codes(claim_codes)
    check_claim_allowed(serials=list(codes), client=client, at=at)
    token = random_token()
    for _attempt in range(5):
        try:
            with _counting_wrong_codes(client=client, at=at), transaction.atomic():
                household = Household.objects.create(
                    id=random_numeric_id(12),
                    token_hash=keyed_hash(token),
                    tier=Tier.DECLINE,
                    created_at=at,
                )
                _add_products(household, cleaned, at=at, claim_codes=codes)
                return household, token
        except IntegrityError:  # an ID collision (or a serial taken meanwhile): draw again
            continue
    raise RuntimeError("could not draw a free household ID")


# --- The claim-code throttle: wrong codes per serial and per client, as the sign-in one.


class _WrongClaimCode(DomainError):
    """A claim code that does not match its serial's (409 ``bad_claim_code``)."""

    status = 409

    def __init__(self, serial: str) -> None:
        super().__init__(
            DevicesErrorCode.BAD_CLAIM_CODE,
            _("The claim code for %(serial)s does not match the one on its box.")
            % {"serial": serial},
            field="claim_codes",
        )
        self.serial = serial


def _claim_keys(serials: list[str], client: str) -> list[tuple[str, str]]:
    keys = [(ClaimFailure.Kind.SERIAL.value, keyed_hash(f"serial:{s}")) for s in serials]
    if client:
        keys.append((ClaimFailure.Kind.CLIENT.value, keyed_hash(f"client:{client}")))
    return keys


def check_claim_allowed(*, serials: list[str], client: str, at: dt.datetime) -> None:
    """Raise ``claim_throttled`` (429) when any of these serials, or this client, had too many
    wrong claim codes in the last 15 minutes. Nothing to check without claim codes."""
    if not serials:
        return
    since = at - THROTTLE_WINDOW
    for kind, key in _claim_keys(serials, client):
        failures = list(
            ClaimFailure.objects.filter(kind=kind, key_digest=key, at__gt=since).values_list(
                "at", flat=True
            )
        )
        verdict = throttle_verdict(failures, now=at)
        if verdict.blocked and verdict.retry_at is not None:
            minutes = max(1, -(-int((verdict.retry_at - at).total_seconds()) // 60))
            raise DomainError(
                DevicesErrorCode.CLAIM_THROTTLED,
                _(
                    "Too many wrong claim codes. For the owner's security, claiming is paused "
                    "for %(minutes)s minutes. Check the code printed on the box."
                )
                % {"minutes": minutes},
                field="claim_codes",
                status=429,
            )


def record_claim_failure(*, serial: str, client: str, at: dt.datetime) -> None:
    with transaction.atomic():
        ClaimFailure.objects.filter(at__lte=at - THROTTLE_WINDOW).delete()
        ClaimFailure.objects.bulk_create(
            [ClaimFailure(kind=k, key_digest=d, at=at) for k, d in _claim_keys([serial], client)]
        )


@contextmanager
def _counting_wrong_codes(*, client: str, at: dt.datetime) -> Iterator[None]:
    """Around the transaction that claims: a wrong code is recorded after its rollback."""
    try:
        yield
    except _WrongClaimCode as error:
        record_claim_failure(serial=error.serial, client=client, at=at)
        raise


def _clean_claim_codes(claim_codes: Any) -> dict[str, str | None]:
    """{SERIAL: canonical code or None when it cannot be a code}; a bad shape is a 400."""
    if claim_codes is None:
        return {}
    if not isinstance(claim_codes, dict) or len(claim_codes) > rules.MAX_SERIALS:
        raise DomainError(
            DevicesErrorCode.BAD_CLAIM_CODE,
            _("claim_codes: an object of serial number to the claim code on its box."),
            field="claim_codes",
        )
    return {
        str(serial).strip().upper(): rules.normalise_claim_code(code)
        for serial, code in claim_codes.items()
    }


def _claim_proved(serial: str, code: str | None) -> bool:
    if code is None:
        return False
    digest = keyed_hash(rules.claim_material(serial, code))
    stored = ClaimCode.objects.filter(serial=serial).values_list("code_hash", flat=True).first()
    return stored is not None and hmac.compare_digest(stored, digest)


def _add_products(
    household: Household,
    serials: list[str],
    *,
    at: dt.datetime,
    claim_codes: dict[str, str | None] | None = None,
) -> None:
    """Add serials to ``household`` (inside the caller's transaction). A serial in no household
    is added; one already here stays; one in another household moves only with its claim code
    (PP-16; issue #10 item 14), else nothing is added and the answer is a 409."""
    codes = claim_codes or {}
    held = {
        p.serial: p for p in HouseholdProduct.objects.select_for_update().filter(serial__in=serials)
    }
    moves: list[HouseholdProduct] = []
    for serial in serials:
        product = held.get(serial)
        if product is None or product.household_id == household.id:
            continue
        if serial not in codes:
            raise DomainError(
                DevicesErrorCode.SERIAL_CLAIMED,
                _(
                    "%(serial)s is in another household. It moves when that household releases "
                    "it, or with the claim code printed on its box."
                )
                % {"serial": serial},
                field="serials",
                status=409,
            )
        if not _claim_proved(serial, codes[serial]):
            raise _WrongClaimCode(serial)
        moves.append(product)
    moved = ["household", "added_at", "model", "software_version"]
    for product in moves:
        product.household = household
        product.added_at = at
        product.model = ""
        product.software_version = ""
        product.save(update_fields=moved)
        audit.record(actor=None, action=DeviceAction.PRODUCT_CLAIMED, obj=product, fields=moved)
    new = [s for s in serials if s not in held]
    HouseholdProduct.objects.bulk_create(
        [HouseholdProduct(household=household, serial=s, added_at=at) for s in new]
    )


def add_products(
    *,
    household: Household,
    serials: Any,
    at: dt.datetime,
    claim_codes: Any = None,
    client: str = "",
) -> list[str]:
    cleaned = rules.clean_serials(serials)
    if cleaned is None:
        raise DomainError(
            DevicesErrorCode.BAD_SERIALS,
            _("Send 1 to 32 product serial numbers (letters, digits and dashes)."),
            field="serials",
        )
    codes = _clean_claim_codes(claim_codes)
    check_claim_allowed(serials=list(codes), client=client, at=at)
    with _counting_wrong_codes(client=client, at=at), transaction.atomic():
        _add_products(household, cleaned, at=at, claim_codes=codes)
    return cleaned


def release_product(*, household: Household, serial: Any, at: dt.datetime) -> str:
    """The household lets a unit go (sold, given away): it leaves this household, and the next
    household may add it without a claim code. 404 for a serial not in this household."""
    wanted = str(serial or "").strip().upper()
    with transaction.atomic():
        product = (
            HouseholdProduct.objects.select_for_update()
            .filter(household=household, serial=wanted)
            .first()
        )
        if product is None:
            raise DomainError(
                DevicesErrorCode.UNKNOWN_SERIAL,
                _("No product with this serial number in your household."),
                status=404,
            )
        audit.record(
            actor=None, action=DeviceAction.PRODUCT_RELEASED, obj=product, fields=["household"]
        )
        product.delete()
    return wanted


def issue_claim_code(*, serial: Any, at: dt.datetime) -> str:
    """The factory's step: draw the claim code printed on a unit's box and keep only its keyed
    hash. Returns the code, formatted XXXX-XXXX-XXXX; a second call replaces the code."""
    cleaned = rules.clean_serials([serial])
    if not cleaned:
        raise DomainError(
            DevicesErrorCode.BAD_SERIALS, _("Not a product serial number."), field="serial"
        )
    code = "".join(secrets.choice(rules.CLAIM_ALPHABET) for _i in range(rules.CLAIM_LENGTH))
    ClaimCode.objects.update_or_create(
        serial=cleaned[0],
        defaults={"code_hash": keyed_hash(rules.claim_material(cleaned[0], code)), "issued_at": at},
    )
    return rules.format_claim_code(code)


def authenticate_device(token: str) -> Household:
    """The household whose device token this is; DomainError 401 otherwise."""
    from hearth.devices.selectors import household_for_token

    household = household_for_token(token)
    if household is None:
        raise DomainError(DevicesErrorCode.BAD_TOKEN, _("Unknown device token."), status=401)
    return household


# --- Registration and tiers (PP-17, PP-18).


def _clean_registration(email: Any, postal_code: Any, country: Any) -> tuple[str, str, str]:
    email_s = str(email or "").strip()
    if len(email_s) > 254 or not _EMAIL.fullmatch(email_s):
        raise DomainError(
            DevicesErrorCode.BAD_EMAIL, _("Enter a valid email address."), field="email"
        )
    country_s = str(country or "").strip().upper()
    if not _COUNTRY.fullmatch(country_s):
        raise DomainError(
            DevicesErrorCode.BAD_COUNTRY,
            _("Country: a two-letter ISO 3166 code, such as CA."),
            field="country",
        )
    postal = str(postal_code or "").strip().upper()
    pattern = _POSTAL_CA if country_s == "CA" else _POSTAL_ANY
    if not pattern.fullmatch(postal):
        raise DomainError(
            DevicesErrorCode.BAD_POSTAL_CODE, _("Enter a valid postal code."), field="postal_code"
        )
    if country_s == "CA" and " " not in postal:
        postal = f"{postal[:3]} {postal[3:]}"
    return email_s, postal, country_s


def _check_tier(tier: Any, allowed: tuple[str, ...]) -> str:
    if tier not in allowed:
        raise DomainError(
            DevicesErrorCode.BAD_TIER,
            _("Tier: one of %(tiers)s.") % {"tiers": ", ".join(allowed)},
            field="tier",
        )
    return str(tier)


def _ledger(
    household: Household, *, tier: str, at: dt.datetime, source: str, actor: Actor | None
) -> None:
    """One consent-ledger entry per tier change: usage statistics granted or withdrawn."""
    record_consent(
        purpose=Purpose.PRODUCT_USAGE_ANALYTICS,
        granted=tier == Tier.REGISTERED_OPT_IN,
        kind=ConsentKind.EXPRESS,
        source=source,
        at=at,
        user=household.customer,
        email=household.email or None,
        household_id=household.id,
        evidence=f"tier={tier}",
        actor=actor,
    )


def register_household(
    *,
    household: Household,
    email: Any,
    postal_code: Any,
    country: Any,
    tier: Any,
    at: dt.datetime,
    actor: Actor | None = HOUSEHOLD_DEVICE,
    source: str = "api:households/registration",
) -> Household:
    """Register (or re-register) a household: store email, postal code and country, set the tier,
    append a consent-ledger entry, and email a confirmation link. The household is linked to the
    customer account with that email only when the owner follows the link."""
    email_s, postal, country_s = _clean_registration(email, postal_code, country)
    new_tier = _check_tier(tier, REGISTERED_TIERS)
    confirm = random_token()
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        old_tier = household.tier
        email_changed = (household.email or "").casefold() != email_s.casefold()
        household.email = email_s
        household.postal_code = postal
        household.country = country_s
        if email_changed or household.confirmed_at is None:
            household.customer = None
            household.confirmed_at = None
            household.confirm_token_hash = keyed_hash(confirm)
        household.tier = new_tier
        household.tier_changed_at = at
        household.save()
        audit.record(
            actor=actor,
            action=AuditAction.CHANGED,
            obj=household,
            fields=["email", "postal_code", "country", "tier", "tier_changed_at"]
            + (["customer", "confirmed_at"] if household.confirmed_at is None else []),
        )
        forget_device_tokens()
        transaction.on_commit(forget_device_tokens)
        _ledger(household, tier=new_tier, at=at, source=source, actor=actor)
        if rules.is_lowering(rules.event_schema(), old_tier, new_tier):
            _enqueue_purge(household.id)
        if email_changed or household.confirmed_at is None:
            _send_confirmation(household, confirm)
    return household


def _send_confirmation(household: Household, token: str) -> None:
    from django.urls import reverse

    language = translation.get_language() or settings.LANGUAGE_CODE
    to = household.email or ""
    path = reverse("devices:confirm", args=[token])
    base = getattr(settings, "HEARTH_SITE_URL", "http://127.0.0.1:8000")
    context = {
        "household_id": household.id,
        "link": f"{base}{path}",
        "brand": settings.HEARTH_BRAND,
    }

    # Queued in the caller's transaction, sent once after it (comms); the link is one-time, so
    # the sent row keeps neither the address nor the content.
    with translation.override(language):
        body = render_to_string("devices/email/confirm_registration.txt", context)
    subject, _sep, text = body.partition("\n")
    queue_email(
        key=f"devices:confirm:{keyed_hash(token)[:40]}",
        to=[to],
        subject=subject.strip(),
        body=text.lstrip(),
        at=clock.now(),
        forget_once_sent=True,
    )


def household_for_confirmation(token: str) -> Household | None:
    if not token or len(token) > 200:
        return None
    return Household.objects.filter(confirm_token_hash=keyed_hash(token)).first()


def confirm_registration(*, token: str, at: dt.datetime, actor: Actor | None = None) -> Household:
    """The owner followed the emailed link: link the household to the account with that email
    (if there is one; otherwise it is linked when... it stays confirmed and unlinked)."""
    household = household_for_confirmation(token)
    if household is None or not household.email:
        raise DomainError(
            DevicesErrorCode.BAD_CONFIRMATION,
            _("This confirmation link is not valid any more."),
            status=404,
        )
    # Only an account whose email is proven is linked (PP-17); an unproven one gets the
    # household when its owner proves the email (accounts.services.verify_email).
    user = account_with_proven_email(household.email)
    with transaction.atomic():
        household.customer = user
        household.confirmed_at = at
        household.confirm_token_hash = ""
        household.save(update_fields=["customer", "confirmed_at", "confirm_token_hash"])
        audit.record(
            actor=actor,
            action=AuditAction.CHANGED,
            obj=household,
            fields=["customer", "confirmed_at"],
        )
        forget_device_tokens()
        transaction.on_commit(forget_device_tokens)
    return household


@transaction.atomic
def link_confirmed_households(user: Any, email: str, at: dt.datetime) -> int:
    """Households whose owner confirmed this email (and that no account holds yet) become the
    account's: called by privacy's ``subjects.link_proven_email`` once the email is proven.
    The account holder proved the email, so they are the actor of each link's audit row."""
    transaction.on_commit(forget_device_tokens)
    linked = list(
        Household.objects.select_for_update()
        .filter(customer__isnull=True, confirmed_at__isnull=False, email_hash=keyed_hash(email))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Household.objects.filter(pk__in=linked).update(customer=user)
    for household_id in linked:
        audit.record(
            actor=user,
            action=AuditAction.CHANGED,
            obj=audit.ObjectRef(label=Household._meta.label, pk=str(household_id)),
            fields=["customer"],
        )
    return len(linked)


def change_tier(
    *,
    household: Household,
    tier: Any,
    at: dt.datetime,
    actor: Actor | None = HOUSEHOLD_DEVICE,
    source: str = "api",
) -> Household:
    """Move a registered household between tiers (or to ``decline`` = unregister). A lower tier
    takes effect on the next batch; data held above it is purged by a task enqueued now (and by
    the daily sweep)."""
    new_tier = _check_tier(tier, tuple(Tier.values))
    if new_tier == Tier.DECLINE:
        return unregister(household=household, at=at, actor=actor, source=source)
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        if not household.email:
            raise DomainError(
                DevicesErrorCode.BAD_TIER,
                _("Register the household (email, postal code, country) first."),
                field="tier",
            )
        old_tier = household.tier
        if old_tier == new_tier:
            return household
        household.tier = new_tier
        household.tier_changed_at = at
        household.save(update_fields=["tier", "tier_changed_at"])
        audit.record(
            actor=actor,
            action=AuditAction.CHANGED,
            obj=household,
            fields=["tier", "tier_changed_at"],
        )
        forget_device_tokens()
        transaction.on_commit(forget_device_tokens)
        _ledger(household, tier=new_tier, at=at, source=source, actor=actor)
        if rules.is_lowering(rules.event_schema(), old_tier, new_tier):
            _enqueue_purge(household.id)
    return household


def unregister(
    *,
    household: Household,
    at: dt.datetime,
    actor: Actor | None = HOUSEHOLD_DEVICE,
    source: str = "api",
) -> Household:
    """Back to ``decline``: email, postal code, country and the account link are erased; only
    the household ID and serials stay (PP-16)."""
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        was_registered = household.tier != Tier.DECLINE or bool(household.email)
        customer, email = household.customer, household.email
        household.tier = Tier.DECLINE
        household.tier_changed_at = at
        household.email = None
        household.postal_code = None
        household.country = None
        household.customer = None
        household.confirmed_at = None
        household.confirm_token_hash = ""
        household.save()
        forget_device_tokens()
        transaction.on_commit(forget_device_tokens)
        if was_registered:  # recorded after the row changed, as the owner had it
            audit.record(
                actor=actor,
                action=AuditAction.ERASED,
                obj=household,
                fields=["email", "postal_code", "country", "customer", "confirmed_at", "tier"],
            )
            record_consent(
                purpose=Purpose.PRODUCT_USAGE_ANALYTICS,
                granted=False,
                kind=ConsentKind.EXPRESS,
                source=source,
                at=at,
                user=customer,
                email=email or None,
                household_id=household.id,
                evidence=f"tier={Tier.DECLINE}",
                actor=actor,
            )
        _enqueue_purge(household.id)
    return household


def follow_usage_consent(record: Any, *, actor: Actor | None = None) -> list[int]:
    """Consent listener for product usage statistics: a withdrawal recorded anywhere (My Stuff,
    the privacy API, the back office) lowers every opted-in household it covers to
    ``registered_opt_out`` and purges the usage held, in the same transaction.
    A record naming a household covers that one; a person-level record covers the households
    linked to the account or registered with its email. Grants change no tier. Returns the ids
    lowered."""
    if record.granted:
        return []
    if record.household_id is not None:
        covered = models.Q(pk=record.household_id)
    else:
        covered = models.Q(pk__in=[])
        if record.user_id is not None:
            covered |= models.Q(customer_id=record.user_id)
        # The account's email counts only once proven (a stranger's sign-up cannot reach).
        proven = proven_email(record.user) if record.user_id is not None else ""
        hashes = {keyed_hash(e) for e in (record.email, proven) if e}
        if hashes:
            covered |= models.Q(email_hash__in=hashes)
    lowered = list(
        Household.objects.select_for_update()
        .filter(covered, tier=Tier.REGISTERED_OPT_IN)
        .values_list("pk", flat=True)
    )
    if lowered:
        Household.objects.filter(pk__in=lowered).update(
            tier=Tier.REGISTERED_OPT_OUT, tier_changed_at=record.at
        )
        forget_device_tokens()
        transaction.on_commit(forget_device_tokens)
        for household_id in lowered:
            audit.record(
                actor=actor,
                action=AuditAction.CHANGED,
                obj=audit.ObjectRef(label=Household._meta.label, pk=str(household_id)),
                fields=["tier", "tier_changed_at"],
            )
        # Purged now, in the withdrawal's transaction: a person's few households, and no task
        # left holding their household IDs (an erasure withdraws every consent first).
        for household_id in lowered:
            purge_above_tier(household_id=household_id)
    return lowered


def _enqueue_purge(household_id: int) -> None:
    from hearth.core.enqueue import enqueue_on_commit
    from hearth.devices.tasks import purge_household

    enqueue_on_commit(purge_household, household_id)


# --- Purges.


def purge_above_tier(*, household_id: int) -> int:
    """Delete what a household holds above its current tier: raw events of higher types and,
    below opt-in, its rollup memberships. Returns raw events deleted."""
    schema = rules.event_schema()
    tier = Household.objects.filter(pk=household_id).values_list("tier", flat=True).first()
    tier = tier or Tier.DECLINE
    above = schema.types_above(tier)
    with transaction.atomic():
        deleted, _detail = TelemetryEvent.objects.filter(
            household_id=household_id, type__in=above
        ).delete()
        if not schema.allowed("usage", tier):
            DailyRollupHousehold.objects.filter(household_id=household_id).delete()
            WeeklyServiceHouseholds.objects.filter(household_id=household_id).delete()
    return deleted


def sweep_above_tier() -> int:
    """The daily sweep: for every tier, delete events of types above it (one statement each)."""
    schema = rules.event_schema()
    total = 0
    with transaction.atomic():
        for tier in schema.tiers:
            above = schema.types_above(tier)
            if not above:
                continue
            in_tier = Household.objects.filter(tier=tier).values("id")
            deleted, _detail = TelemetryEvent.objects.filter(
                household_id__in=in_tier, type__in=above
            ).delete()
            total += deleted
            if not schema.allowed("usage", tier):
                DailyRollupHousehold.objects.filter(household_id__in=in_tier).delete()
                WeeklyServiceHouseholds.objects.filter(household_id__in=in_tier).delete()
    return total


def purge_expired(*, at: dt.datetime) -> int:
    """Raw events past HEARTH_TELEMETRY_RETENTION_DAYS (by their day), and the batch rows
    they leave empty; rollups stay."""
    from hearth.devices import partitions

    cutoff = (at - dt.timedelta(days=conf.retention_days())).date()
    dropped = partitions.drop_partitions_before(cutoff)
    with transaction.atomic():
        deleted, _detail = TelemetryEvent.objects.filter(day__lt=cutoff).delete()
        # A batch's events are at most a day ahead of its receipt (rules.MAX_FUTURE), so a
        # batch received two days before the cutoff has none left: its row goes too.
        emptied = dt.datetime.combine(cutoff, dt.time(), tzinfo=dt.UTC) - 2 * rules.MAX_FUTURE
        TelemetryBatch.objects.filter(received_at__lt=emptied).delete()
    return dropped + deleted


# --- Telemetry ingestion (PP-16 to PP-18).


class _Batch(msgspec.Struct, forbid_unknown_fields=True):
    events: list[Any]


_decoder = msgspec.json.Decoder(_Batch)
_encoder = msgspec.json.Encoder()


def decode_batch(body: bytes, *, content_encoding: str = "") -> list[Any]:
    """Bytes of a request to the list of raw events; DomainError (4xx) for a bad batch."""
    encoding = content_encoding.strip().lower()
    if len(body) > rules.MAX_BATCH_BYTES:
        raise DomainError(
            DevicesErrorCode.BATCH_TOO_LARGE, _("A batch holds at most 1 MB."), status=413
        )
    if encoding == "gzip":
        try:
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            data = inflater.decompress(body, rules.MAX_BATCH_BYTES + 1)
            if inflater.unconsumed_tail:
                raise DomainError(
                    DevicesErrorCode.BATCH_TOO_LARGE,
                    _("A batch holds at most 1 MB once decompressed."),
                    status=413,
                )
            if not inflater.eof:
                raise DomainError(
                    DevicesErrorCode.BAD_GZIP, _("The gzip body is truncated."), field="body"
                )
            if inflater.unused_data:
                # A second gzip member (or trailing bytes) would be silently ignored here and
                # read by other decoders: one body, one member.
                raise DomainError(
                    DevicesErrorCode.BAD_GZIP,
                    _("The gzip body must be exactly one gzip member, with nothing after it."),
                    field="body",
                )
        except (zlib.error, gzip.BadGzipFile, EOFError) as exc:
            raise DomainError(
                DevicesErrorCode.BAD_GZIP, _("The body is not valid gzip."), field="body"
            ) from exc
        body = data
    elif encoding not in ("", "identity"):
        raise DomainError(
            DevicesErrorCode.UNSUPPORTED_ENCODING,
            _("Content-Encoding: only gzip is accepted."),
            status=415,
        )
    if len(body) > rules.MAX_BATCH_BYTES:
        raise DomainError(
            DevicesErrorCode.BATCH_TOO_LARGE, _("A batch holds at most 1 MB."), status=413
        )
    try:
        batch = _decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise DomainError(
            DevicesErrorCode.MALFORMED_BATCH,
            _('A batch is {"events": [...]}: %(detail)s') % {"detail": str(exc)},
            field="events",
        ) from exc
    except (msgspec.DecodeError, RecursionError) as exc:  # RecursionError: nested too deep
        raise DomainError(
            CoreErrorCode.MALFORMED_JSON,
            _("The request body is not valid JSON."),
            fields={"body": _("Send a JSON object.")},
        ) from exc
    if json_may_hold_nul(body):  # a gzip body is seen here first, decompressed
        where = nul_field(batch.events, "events")
        if where is not None:
            reason = nul_message()
            raise DomainError(
                CoreErrorCode.INVALID,
                _("Invalid input: %(field)s: %(reason)s") % {"field": where, "reason": reason},
                fields={where: reason},
            )
    if len(batch.events) > rules.MAX_EVENTS:
        raise DomainError(
            DevicesErrorCode.TOO_MANY_EVENTS,
            _("A batch holds at most %(n)d events.") % {"n": rules.MAX_EVENTS},
            field="events",
            status=413,
        )
    return batch.events


@dataclass
class IngestResult:
    accepted: int
    stored: int
    rejected: list[dict[str, Any]] = field(default_factory=list)
    queued: int = 0  # appended to the telemetry stream, stored later by its consumer


@dataclass
class CheckedBatch:
    """A batch after the per-event rules and the consent gate: what would be stored."""

    tier: str
    valid: list[rules.ValidEvent]
    rejected: list[rules.Rejection]
    payloads: list[str]  # each valid event's payload as the JSON text the repository writes


def check_batch(
    *, household: Household, events: list[Any], at: dt.datetime, from_json: bool = False
) -> CheckedBatch:
    """Validate each event against events.toml and the household's tier now (the consent
    ledger's answer), and refuse ``product_added`` events for another household's serial.
    Writes nothing: the direct path stores the result, the stream path appends it."""
    if len(events) > rules.MAX_EVENTS:
        raise DomainError(
            DevicesErrorCode.TOO_MANY_EVENTS,
            _("A batch holds at most %(n)d events.") % {"n": rules.MAX_EVENTS},
            field="events",
            status=413,
        )
    schema = rules.event_schema()
    oldest = at - dt.timedelta(days=conf.retention_days())
    tier = tier_in_force(household, at)  # the consent ledger's answer, not the row's copy
    valid, rejected = rules.validate_events(
        events, schema=schema, tier=tier, now=at, oldest=oldest, from_json=from_json
    )
    if "product_added" in {e.type for e in valid}:
        valid, rejected = _refuse_claimed_serials(household, valid, rejected)
    # All payloads in one encoder call, one JSON text a line (JSON output holds no raw newline).
    payloads = (
        _encoder.encode_lines([e.payload for e in valid]).decode().split("\n") if valid else []
    )
    return CheckedBatch(tier=str(tier), valid=valid, rejected=rejected, payloads=payloads)


def ingest_batch(
    *, household: Household, events: list[Any], at: dt.datetime, from_json: bool = False
) -> IngestResult:
    """Validate each event against events.toml and the household's tier now; store the valid
    ones exactly once (one statement); report each rejected one with its reason. A
    ``system_report`` sets the model and software version of the household's products it lists.

    ``from_json``: ``events`` came from ``decode_batch`` (JSON values only), which lets the
    validation take its fast path; the outcome is the same either way."""
    checked = check_batch(household=household, events=events, at=at, from_json=from_json)
    hid, tier = household.id, checked.tier
    stored = repository.insert_batch(
        household_id=hid,
        tier=tier,
        received_at=at,
        events=[
            (e.client_event_id, e.type, e.device_ts, e.day, payload)
            for e, payload in zip(checked.valid, checked.payloads, strict=False)
        ],
        method=conf.insert_method(),  # type: ignore[arg-type]
    )
    after_store(household, checked.valid, at=at)
    return IngestResult(
        accepted=len(checked.valid),
        stored=stored,
        rejected=[r.as_dict() for r in checked.rejected],
    )


def queue_batch(
    *, household: Household, events: list[Any], at: dt.datetime, from_json: bool = False
) -> IngestResult:
    """The stream path (HEARTH_TELEMETRY_STREAM set): the same checks as ``ingest_batch``, then
    the accepted events are appended to the JetStream stream with their dedupe key; returns
    once the stream acknowledged them. ``stream.StreamUnavailable`` when it did not (the API
    answers 503 with Retry-After). The consumer (``manage.py telemetry_consumer``) stores them
    and does what ``after_store`` does."""
    checked = check_batch(household=household, events=events, at=at, from_json=from_json)
    if checked.valid:
        data, msg_id = stream_format.encode_batch(
            household_id=household.id,
            tier=checked.tier,
            received_at=at,
            events=[
                (e.client_event_id, e.type, e.device_ts, e.day, e.service, payload)
                for e, payload in zip(checked.valid, checked.payloads, strict=False)
            ],
        )
        stream.publish_batch(data, msg_id=msg_id, events=len(checked.valid))
    return IngestResult(
        accepted=len(checked.valid),
        stored=0,
        rejected=[r.as_dict() for r in checked.rejected],
        queued=len(checked.valid),
    )


def after_store(household: Household, valid: list[rules.ValidEvent], *, at: dt.datetime) -> None:
    """What stored events change beyond the raw table: a ``product_added`` adds its serial, a
    ``system_report`` updates the listed products, dropouts may open an outreach case (PP-19).
    Each is idempotent, so the stream consumer may run it again after a redelivery."""
    types = {e.type for e in valid}  # one pass; most batches hold none of these three types
    serials = (
        [e.payload["serial"] for e in valid if e.type == "product_added"]
        if "product_added" in types
        else []
    )
    if serials:
        cleaned = rules.clean_serials(serials)
        if cleaned:
            try:
                with transaction.atomic():
                    _add_products(household, cleaned, at=at)
            except DomainError:  # taken by another household since the check: it stays there
                pass
    if "system_report" in types:
        reports = [e for e in valid if e.type == "system_report" and e.payload.get("products")]
        if reports:
            _update_reported_products(household, reports)
    if "playback_error" in types:
        dropout_services = {
            e.service
            for e in valid
            if e.type == "playback_error" and e.payload.get("kind") == "dropout" and e.service
        }
        if dropout_services:
            outreach.after_ingest(household_id=household.id, at=at, services=dropout_services)


def _refuse_claimed_serials(
    household: Household, valid: list[rules.ValidEvent], rejected: list[rules.Rejection]
) -> tuple[list[rules.ValidEvent], list[rules.Rejection]]:
    """A ``product_added`` event cannot move a unit from another household (issue #10 item
    14): such an event is refused, with its reason, and nothing of it is stored."""
    wanted = {str(e.payload["serial"]).strip().upper() for e in valid if e.type == "product_added"}
    elsewhere = set(
        HouseholdProduct.objects.filter(serial__in=wanted)
        .exclude(household=household)
        .values_list("serial", flat=True)
    )
    if not elsewhere:
        return valid, rejected
    kept: list[rules.ValidEvent] = []
    refused = list(rejected)
    for e in valid:
        serial = str(e.payload.get("serial", "")).strip().upper()
        if e.type == "product_added" and serial in elsewhere:
            refused.append(
                rules.Rejection(
                    e.index,
                    e.client_event_id,
                    rules.Reject.SERIAL_CLAIMED,
                    _(
                        "This serial is in another household: add it through the households "
                        "API with the claim code from its box, or once that household releases it."
                    ),
                )
            )
        else:
            kept.append(e)
    refused.sort(key=lambda r: r.index)
    return kept, refused


def _column_max_length(name: str) -> int:
    field = HouseholdProduct._meta.get_field(name)
    if not isinstance(field, models.CharField) or field.max_length is None:
        raise TypeError(f"HouseholdProduct.{name} is not a bounded text column.")
    return field.max_length


def _update_reported_products(household: Household, reports: list[rules.ValidEvent]) -> None:
    """PP-17: each product a ``system_report`` lists (by serial) gets the model and software
    version reported, the latest device time winning; only this household's products, and a
    value longer than its column is left out rather than cut."""
    limits = {name: _column_max_length(name) for name in ("model", "software_version")}
    latest: dict[str, dict[str, str]] = {}
    for report in sorted(reports, key=lambda e: (e.device_ts, e.index)):
        for product in report.payload["products"]:
            serial = product["serial"].strip().upper()
            values = latest.setdefault(serial, {})
            for name, limit in limits.items():
                value = product.get(name)
                if value is not None and len(value) <= limit:
                    values[name] = value
    latest = {serial: values for serial, values in latest.items() if values}
    if not latest:
        return
    with transaction.atomic():
        for product in HouseholdProduct.objects.select_for_update().filter(
            household=household, serial__in=list(latest)
        ):
            values = latest[product.serial]
            changed = [name for name, value in values.items() if getattr(product, name) != value]
            if changed:
                for name in changed:
                    setattr(product, name, values[name])
                product.save(update_fields=changed)
