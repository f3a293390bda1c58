"""Reads for devices: a household's tier, an owner's households."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from hearth.devices.models import Household, Tier
from hearth.privacy.crypto import keyed_hash


def household_tier(household_id: int, at: dt.datetime | None = None) -> str:
    """The tier in force for a household (``decline`` for an unknown one). Tiers take effect at
    once, so ``at`` is accepted for the contract but the current row is the answer."""
    tier = Household.objects.filter(pk=household_id).values_list("tier", flat=True).first()
    return tier or Tier.DECLINE


def household_for_token(token: str) -> Household | None:
    if not token or len(token) > 200:
        return None
    return Household.objects.filter(token_hash=keyed_hash(token)).first()


def households_of(user: Any) -> QuerySet[Household]:
    """The households linked to a customer account (after the owner confirmed by email)."""
    return (
        Household.objects.filter(customer=user)
        .prefetch_related("products")
        .order_by("created_at", "id")
    )
