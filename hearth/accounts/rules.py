"""Pure rules of the accounts app: sign-in throttle, re-authentication window, address shape.

No ORM, no Django, no clock reads: time comes in as an argument.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

THROTTLE_LIMIT = 5
THROTTLE_WINDOW = dt.timedelta(minutes=15)
REAUTH_WINDOW = dt.timedelta(minutes=5)

PROVINCES: tuple[str, ...] = (
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
)  # fmt: skip
_CA_POSTAL = re.compile(r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$")


@dataclass(frozen=True)
class ThrottleVerdict:
    blocked: bool
    retry_at: dt.datetime | None = None


def throttle_verdict(
    failures: list[dt.datetime],
    *,
    now: dt.datetime,
    limit: int = THROTTLE_LIMIT,
    window: dt.timedelta = THROTTLE_WINDOW,
) -> ThrottleVerdict:
    """Blocked while at least ``limit`` failures fall inside the last ``window``.

    ``retry_at`` is when enough of them have aged out for one more attempt.
    """
    recent = sorted(at for at in failures if now - window < at <= now)
    if len(recent) < limit:
        return ThrottleVerdict(blocked=False)
    # The attempt unblocks when the oldest failure that keeps the count at `limit` leaves.
    return ThrottleVerdict(blocked=True, retry_at=recent[len(recent) - limit] + window)


def reauth_fresh(
    reauthed_at: dt.datetime | None, *, now: dt.datetime, window: dt.timedelta = REAUTH_WINDOW
) -> bool:
    """A password entered again at ``reauthed_at`` still covers a sensitive action at ``now``."""
    if reauthed_at is None:
        return False
    return reauthed_at <= now < reauthed_at + window


def normalise_postal_code(raw: str) -> str:
    compact = re.sub(r"\s+", "", raw).upper()
    return f"{compact[:3]} {compact[3:]}" if len(compact) == 6 else compact


def postal_code_valid(postal_code: str, country: str) -> bool:
    if country != "CA":
        return bool(postal_code.strip())
    return bool(_CA_POSTAL.match(normalise_postal_code(postal_code)))


def split_lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()]


# --- Email proof links (PP-15): signed, expiring, single use.

EMAIL_LINK_MAX_AGE = dt.timedelta(days=3)


def email_link_valid(
    *,
    issued_at: dt.datetime,
    now: dt.datetime,
    issued_for: str,
    current_email: str,
    proving: str,
    current_verified: bool,
) -> bool:
    """Whether an emailed link that proves ``proving`` still works.

    It expires ``EMAIL_LINK_MAX_AGE`` after issue; it was issued while the account's email was
    ``issued_for`` and only works while that is still so (so an email change voids older links);
    a sign-up link (``proving == issued_for``) works until the email is verified, a change link
    (``proving != issued_for``) until the change happened: each works once.
    """
    if not issued_at <= now <= issued_at + EMAIL_LINK_MAX_AGE:
        return False
    if current_email.casefold() != issued_for.casefold():
        return False
    if proving.casefold() == issued_for.casefold():
        return not current_verified
    return True
