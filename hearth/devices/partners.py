"""Partner music services and their API tokens (PP-20): only a keyed hash of a token is kept."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from hearth.core import audit
from hearth.core.audit import Actor, AuditAction
from hearth.core.errors import DomainError
from hearth.devices.models_reports import Partner
from hearth.devices.reports import ReportsErrorCode
from hearth.privacy.crypto import keyed_hash

TOKEN_PREFIX = "hp_"  # noqa: S105 (a prefix, not a secret)
_SERVICE = re.compile(r"^[a-z0-9_-]{1,40}$")


@transaction.atomic
def create_partner(
    *, name: str, service: str, at: dt.datetime, actor: Actor | None
) -> tuple[Partner, str]:
    """Create a partner for one music service; return it and its API token (shown once)."""
    name = name.strip()
    if not name:
        raise DomainError(ReportsErrorCode.BAD_PARTNER, _("A partner needs a name."), field="name")
    if not _SERVICE.match(service):
        raise DomainError(
            ReportsErrorCode.BAD_PARTNER,
            _("A music service key is 1-40 characters of a-z, 0-9, _ and -."),
            field="service",
        )
    if Partner.objects.filter(service=service).exists():
        raise DomainError(
            ReportsErrorCode.BAD_PARTNER,
            _("That music service already has a partner."),
            field="service",
        )
    token = TOKEN_PREFIX + secrets.token_hex(32)
    partner = Partner.objects.create(
        name=name, service=service, token_hash=keyed_hash(token), created_at=at
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATED,
        obj=partner,
        fields=["name", "service", "token_hash", "active", "created_at"],
    )
    return partner, token


def partner_for_token(token: str) -> Partner | None:
    """The active partner holding this API token, or None."""
    if not token or len(token) > 200 or not token.startswith(TOKEN_PREFIX):
        return None
    return Partner.objects.filter(token_hash=keyed_hash(token), active=True).first()
