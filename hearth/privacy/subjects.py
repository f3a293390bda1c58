"""Who a row found by email belongs to (PP-15, PP-17).

An account's email address counts as the person's only once they proved they hold it
(``email_verified_at`` set: they followed the emailed link or a password reset). Until then
nothing found by that email (guest orders, households, data requests, consent given as a guest)
is linked to, shown to, exported for or erased with the account. Duck-typed on the user so that
privacy needs no import of accounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model


def email_proven(user: Any) -> bool:
    return bool(getattr(user, "email", "")) and getattr(user, "email_verified_at", None) is not None


def proven_email(user: Any) -> str:
    """The account's email if proven, else "" (so nothing is found by it)."""
    return str(user.email) if email_proven(user) else ""


def account_with_proven_email(email: str) -> Any | None:
    """The active account whose proven email is ``email``, or None."""
    address = (email or "").strip()
    if not address:
        return None
    return (
        get_user_model()
        ._default_manager.filter(
            email__iexact=address, is_active=True, email_verified_at__isnull=False
        )
        .first()
    )


# --- Linking at the moment of proof.
# Each app that holds rows created under an email before any account proved it registers a
# linker (in its AppConfig.ready), as with erasure's registries: ``fn(user, email, at) -> int``
# links that app's rows for ``email`` to ``user`` and says how many. accounts calls
# ``link_proven_email`` when the person proves the email, and at no other time.

LinkerFn = Callable[[Any, str, dt.datetime], int]
_linkers: dict[str, LinkerFn] = {}


def register_linker(name: str, fn: LinkerFn) -> LinkerFn:
    _linkers[name] = fn
    return fn


def link_proven_email(user: Any, at: dt.datetime) -> dict[str, int]:
    """Link every registered app's rows created under the user's (now proven) email."""
    email = proven_email(user)
    if not email:
        return {}
    return {name: fn(user, email, at) for name, fn in sorted(_linkers.items())}
