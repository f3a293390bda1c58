"""Discount codes' reads: misuse flags waiting for review (TOS-9)."""

from __future__ import annotations

from hearth.discounts.models import DiscountMisuseFlag
from hearth.privacy.crypto import keyed_hash


def misuse_flagged(*, email: str) -> bool:
    """Whether a discount-misuse flag waits for review for this customer (orders holds their
    discounted order for the acceptance review, TOS-9)."""
    if not email:
        return False
    return DiscountMisuseFlag.objects.filter(email_hash=keyed_hash(email), reviewed=False).exists()


def misuse_flags(*, reviewed: bool = False) -> list[DiscountMisuseFlag]:
    """Flags waiting for staff review (TOS-9)."""
    return list(DiscountMisuseFlag.objects.filter(reviewed=reviewed))
