"""The suppression list and unsubscribing (PP-8, PP-12; CASL s.11).

An unsubscribe, from wherever it comes (the link in a message, the mail client's one-click
``List-Unsubscribe-Post``, the ``mailto`` address, a reply saying "stop", staff), is one call:
:func:`unsubscribe`. In one transaction it puts the address's keyed hash on the suppression list
and appends a withdrawal of every commercial-email purpose to privacy's consent ledger, so it
takes effect at once, is on record, and a later implied consent (a purchase) never undoes it:
the ledger's derivation ignores an implied grant after a withdrawal (``privacy.rules
.consent_state``) and :func:`hearth.comms.rules.suppressed_now` keeps the address off every
commercial send until the person gives an express consent after it. A hard bounce suppresses
the address without touching the ledger (the person asked nothing).

Every commercial send checks :func:`is_suppressed` (per message) or
:func:`suppressed_hashes` (per audience, one query).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F

from hearth.comms import rules
from hearth.comms.models import Suppression
from hearth.core import audit
from hearth.core.audit import Actor
from hearth.privacy import selectors as privacy_selectors
from hearth.privacy import services as privacy_services
from hearth.privacy.crypto import keyed_hash
from hearth.privacy.rules import Kind

#: The consent purposes an unsubscribe withdraws: the ones whose messages are commercial
#: electronic messages under CASL (news and offers; surveys sent by email).
COMMERCIAL_PURPOSES = ("marketing_email", "market_research")


def address_hash(address: str) -> str:
    """The suppression list's key: HMAC-SHA256 of the normalised address."""
    return keyed_hash(address)


def suppress(
    *,
    address: str,
    reason: rules.SuppressionReason,
    at: dt.datetime,
    source: str,
    actor: Actor | None = None,
) -> bool:
    """Put ``address`` on the suppression list (again, if an express consent lifted it).
    True when it was not suppressed before."""
    digest = address_hash(address)
    with transaction.atomic():
        row = Suppression.objects.select_for_update().filter(address_hash=digest).first()
        if row is not None and not _lifted(row, address):
            return False
        if row is None:
            row = Suppression.objects.create(
                address_hash=digest, reason=reason, at=at, source=source[:200]
            )
            action = audit.AuditAction.CREATED
        else:
            row.reason, row.at, row.source = reason, at, source[:200]
            row.save(update_fields=["reason", "at", "source"])
            action = audit.AuditAction.CHANGED
        audit.record(actor=actor, action=action, obj=row, fields=["reason"])
    return True


def unsubscribe(
    *,
    address: str,
    reason: rules.SuppressionReason,
    at: dt.datetime,
    source: str,
    campaign_id: int | None = None,
    actor: Actor | None = None,
) -> bool:
    """The person asked to stop: suppress the address and record the withdrawal of every
    commercial purpose in the consent ledger, at once. Safe to repeat (True the first time).
    ``campaign_id``: the campaign whose message carried the link (its unsubscribed figure)."""
    from hearth.comms.models import Campaign

    with transaction.atomic():
        new = suppress(address=address, reason=reason, at=at, source=source, actor=actor)
        if new:
            for purpose in COMMERCIAL_PURPOSES:
                # Recorded even when nothing was granted: a later implied consent then never
                # counts (only an express grant does).
                privacy_services.record_consent(
                    purpose=purpose,
                    granted=False,
                    kind=Kind.EXPRESS,
                    source=source,
                    at=at,
                    email=address,
                    evidence=str(reason),
                    actor=actor,
                )
            if campaign_id is not None:
                Campaign.objects.filter(pk=campaign_id).update(
                    unsubscribed_count=F("unsubscribed_count") + 1
                )
    return new


def _express_since(address: str) -> dt.datetime | None:
    from hearth.core import clock

    state = privacy_selectors.current_consents(at=clock.now(), email=address)["marketing_email"]
    return state.since if state.granted and state.kind == Kind.EXPRESS else None


def _lifted(row: Suppression, address: str) -> bool:
    return not rules.suppressed_now(suppressed_at=row.at, express_since=_express_since(address))


def is_suppressed(address: str) -> bool:
    """Is this address off commercial email now (checked by every commercial send)?"""
    row = Suppression.objects.filter(address_hash=address_hash(address)).first()
    return row is not None and not _lifted(row, address)


def suppressed_hashes() -> dict[str, dt.datetime]:
    """{address digest: suppressed at} for the whole list, in one query (audiences)."""
    return dict(Suppression.objects.values_list("address_hash", "at"))
