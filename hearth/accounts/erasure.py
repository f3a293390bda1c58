"""The account's part of an erasure request (PP-15): the user row is anonymised, not deleted.

Other rows (orders, data requests, consent proofs) keep pointing at the row, so deleting it would
either cascade into records the law keeps or break them. What identifies the person goes: the
email becomes a unique placeholder on a reserved domain, the name and the age attestation are
cleared, the password is made unusable, the second factor is removed and the account deactivated.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hearth.privacy.erasure import EraserReport

ERASED_DOMAIN = "erased.invalid"


def erased_email(pk: Any) -> str:
    return f"erased-{pk}@{ERASED_DOMAIN}"


def erase_account(user: Any, at: dt.datetime) -> EraserReport:
    from hearth.accounts.second_factor import remove_devices

    remove_devices(user=user)
    user.email = erased_email(user.pk)
    user.full_name = ""
    user.adult_attested_at = None
    user.email_verified_at = None
    user.is_active = False
    user.set_unusable_password()
    user.save(
        update_fields=[
            "email",
            "full_name",
            "adult_attested_at",
            "email_verified_at",
            "is_active",
            "password",
        ]
    )
    return EraserReport(erased=[f"accounts.User#{user.pk}"])
