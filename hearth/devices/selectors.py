"""Reads for devices: a household's tier, an owner's households."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from typing import Any

from django.db.models import QuerySet

from hearth.devices import conf, rules
from hearth.devices.models import Household, Tier
from hearth.privacy.crypto import keyed_hash
from hearth.privacy.models import Purpose
from hearth.privacy.selectors import household_consent


def household_tier(household_id: int, at: dt.datetime) -> str:
    """The tier in force for a household at ``at`` (``decline`` for an unknown one)."""
    household = Household.objects.filter(pk=household_id).select_related("customer").first()
    if household is None:
        return Tier.DECLINE
    return tier_in_force(household, at)


def tier_in_force(household: Household, at: dt.datetime) -> str:
    """The household's tier as the consent ledger has it now: the opt-in tier counts only while
    the ledger grants product usage statistics for this household (its own records and its
    owner's person-level ones, e.g. My Stuff). Asked by ingestion and dropout outreach; one
    query, and none below the opt-in tier."""
    if household.tier != Tier.REGISTERED_OPT_IN:
        return household.tier
    state = household_consent(
        purpose=Purpose.PRODUCT_USAGE_ANALYTICS,
        at=at,
        household_id=household.id,
        user=household.customer,
        email=household.email or None,
    )
    return rules.tier_with_usage_consent(
        rules.event_schema(), household.tier, usage_granted=state.granted
    )


def household_for_token(token: str) -> Household | None:
    if not token or len(token) > 200:
        return None
    return Household.objects.filter(token_hash=keyed_hash(token)).select_related("customer").first()


# The ingest path's device-token cache (issue #12 item 5): keyed hash of the token -> (household
# row as read, monotonic expiry). In-process, LRU-bounded, short TTL (HEARTH_DEVICE_AUTH_TTL,
# default 5 s; 0 turns it off). A change made through this process's services clears it at once;
# a change made in another process (another gunicorn worker) reaches a cached token within the
# TTL at most. Fresh on every batch whatever the cache holds: the consent ledger (tier_in_force).
_AUTH_MAX = 10_000
_auth_cache: OrderedDict[str, tuple[Household, float]] = OrderedDict()
_auth_lock = threading.Lock()


def household_for_device_token(token: str) -> Household | None:
    """``household_for_token`` through the short-lived cache: what the telemetry batch endpoint
    authenticates with. Unknown tokens are not cached (a token created a moment ago works)."""
    ttl = conf.device_auth_ttl()
    if ttl <= 0 or not token or len(token) > 200:
        return household_for_token(token)
    digest = keyed_hash(token)
    now = time.monotonic()
    with _auth_lock:
        hit = _auth_cache.get(digest)
        if hit is not None and hit[1] > now:
            _auth_cache.move_to_end(digest)
            return hit[0]
    household = Household.objects.filter(token_hash=digest).select_related("customer").first()
    if household is not None:
        with _auth_lock:
            _auth_cache[digest] = (household, now + ttl)
            _auth_cache.move_to_end(digest)
            while len(_auth_cache) > _AUTH_MAX:
                _auth_cache.popitem(last=False)
    return household


def forget_device_tokens() -> None:
    """Drop every cached device-token answer of this process: called by each service that
    changes a household's tier, registration, owner or existence."""
    with _auth_lock:
        _auth_cache.clear()


def households_of(user: Any) -> QuerySet[Household]:
    """The households linked to a customer account (after the owner confirmed by email)."""
    return (
        Household.objects.filter(customer=user)
        .prefetch_related("products")
        .order_by("created_at", "id")
    )


def shares_usage(user: Any, at: dt.datetime) -> bool:
    """Does any household linked to this account share usage statistics now (as the ledger
    has it)? What the My Stuff contact preferences box shows."""
    households = Household.objects.filter(customer=user, tier=Tier.REGISTERED_OPT_IN)
    return any(
        tier_in_force(h, at) == Tier.REGISTERED_OPT_IN
        for h in households.select_related("customer")
    )
