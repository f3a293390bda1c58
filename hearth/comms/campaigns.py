"""Commercial email campaigns (issue #14 items 5-10; PP-8, PP-9, PP-12; CASL).

Unsubscribe addresses: every campaign message carries a link to ``/unsubscribe/<token>/``
(the token signs the encrypted address and the campaign, valid ``unsubscribe_link_days``), the
same URL as ``List-Unsubscribe`` https with ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
(RFC 8058), and a ``mailto:`` to the unsubscribe mailbox tagged with the campaign
(``unsubscribe+c<id>-<mac>@``) so its figure counts it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core import signing

from hearth.privacy import crypto

POLICY_FILE = Path(__file__).resolve().parent / "data" / "campaigns.toml"
_SALT = "hearth.comms.unsubscribe"


@dataclass(frozen=True)
class CampaignPolicy:
    unsubscribe_link_days: int
    batch_size: int
    batch_interval_seconds: int


@cache
def policy() -> CampaignPolicy:
    with POLICY_FILE.open("rb") as fh:
        raw = tomllib.load(fh)
    for name in ("unsubscribe_link_days", "batch_size", "batch_interval_seconds"):
        if not isinstance(raw.get(name), int) or raw[name] < 1:
            raise ValueError(f"{POLICY_FILE.name}: {name} must be a positive whole number")
    if raw["unsubscribe_link_days"] < 60:
        raise ValueError(f"{POLICY_FILE.name}: CASL needs an unsubscribe valid 60 days or more")
    return CampaignPolicy(
        unsubscribe_link_days=raw["unsubscribe_link_days"],
        batch_size=raw["batch_size"],
        batch_interval_seconds=raw["batch_interval_seconds"],
    )


# --- Unsubscribe tokens.


@dataclass(frozen=True)
class UnsubscribeToken:
    address: str
    campaign_id: int | None


def unsubscribe_token(*, address: str, campaign_id: int | None) -> str:
    """A signed, timestamped token naming the address (encrypted: a URL lands in logs) and the
    campaign."""
    return signing.dumps(
        {"e": crypto.encrypt(address), "c": campaign_id}, salt=_SALT, compress=True
    )


def read_unsubscribe_token(token: str, *, max_age: dt.timedelta | None = None) -> UnsubscribeToken:
    """The address and campaign a token names. Raises ``signing.BadSignature`` when tampered
    with and ``signing.SignatureExpired`` (a subclass) when older than the link's life."""
    age = max_age or dt.timedelta(days=policy().unsubscribe_link_days)
    data = signing.loads(token, salt=_SALT, max_age=age)
    try:
        address = crypto.decrypt(str(data["e"]))
        campaign = data.get("c")
    except (KeyError, TypeError, crypto.DecryptionError) as exc:
        raise signing.BadSignature("unreadable unsubscribe token") from exc
    return UnsubscribeToken(address=address, campaign_id=int(campaign) if campaign else None)


def _tag_mac(campaign_id: int) -> str:
    key = hashlib.sha256((_SALT + settings.SECRET_KEY).encode("utf-8")).digest()
    return hmac.new(key, str(campaign_id).encode("ascii"), hashlib.sha256).hexdigest()[:10]


def mailbox_tag(campaign_id: int) -> str:
    """The ``+tag`` of the unsubscribe mailbox for one campaign (fits a 64-character local
    part)."""
    return f"c{campaign_id}-{_tag_mac(campaign_id)}"


def campaign_of_mailbox_tag(tag: str) -> int | None:
    """The campaign a mailbox tag names, or None if it is not one of ours."""
    head, _dash, mac = tag.partition("-")
    if not head.startswith("c") or not head[1:].isdigit():
        return None
    campaign_id = int(head[1:])
    return campaign_id if hmac.compare_digest(mac, _tag_mac(campaign_id)) else None


def unsubscribe_mailto(campaign_id: int) -> str:
    """``mailto:`` of the unsubscribe mailbox tagged with the campaign."""
    local, _at, domain = str(settings.HEARTH_UNSUBSCRIBE_MAILBOX).rpartition("@")
    return f"mailto:{local}+{mailbox_tag(campaign_id)}@{domain}?subject=unsubscribe"
