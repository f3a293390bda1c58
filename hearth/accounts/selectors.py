"""Reads of the accounts app. A customer's objects are fetched only through their owner."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from hearth.accounts.models import Address, User
from hearth.core.errors import CoreErrorCode, DomainError


def addresses_for(*, user: User) -> QuerySet[Address]:
    return Address.objects.filter(user=user).order_by("id")


def address_for(*, user: User, address_id: int) -> Address:
    """The user's own address; another customer's is 'not found' (404), never 'forbidden'."""
    address = Address.objects.filter(user=user, pk=address_id).first()
    if address is None:
        raise DomainError(CoreErrorCode.NOT_FOUND, _("Not found."), status=404)
    return address


def profile_of(*, user: User) -> dict[str, Any]:
    return {"email": user.email, "full_name": user.full_name}
