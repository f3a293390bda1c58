"""Reads for devices: a household's tier, an owner's households."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from hearth.devices import rules
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
