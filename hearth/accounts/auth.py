"""Session authentication for staff API endpoints: staff, active, and past the TOTP second factor
in this session (the same rule as the back office). Use ``auth=staff_session_auth`` on a router
operation, then check the model permission the role grants (``request.user.has_perm``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import SessionAuth

from hearth.accounts import rules
from hearth.core import clock

# When the customer last entered the password again in this session (ISO time). Download,
# erasure, email and password change, on the pages and over the API, ask for it within
# ``rules.REAUTH_WINDOW`` (issue #10 item 3: the same re-check everywhere).
REAUTH_SESSION_KEY = "hearth_reauth_at"


def reauthed_at(request: HttpRequest) -> dt.datetime | None:
    raw = request.session.get(REAUTH_SESSION_KEY)
    if not raw:
        return None
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError:
        return None


def reauth_fresh(request: HttpRequest) -> bool:
    return rules.reauth_fresh(reauthed_at(request), now=clock.now())


def note_reauth(request: HttpRequest, at: dt.datetime) -> None:
    request.session[REAUTH_SESSION_KEY] = at.isoformat()


def second_factor_passed(request: HttpRequest) -> bool:
    user = request.user
    return bool(
        user.is_authenticated and user.is_active and user.is_staff and user.is_verified()  # type: ignore[attr-defined]  # django-otp's middleware
    )


class StaffSessionAuth(SessionAuth):
    """Anonymous or staff without the second factor: 401. A signed-in customer: 403."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if second_factor_passed(request):
            return request.user
        user = request.user
        if user.is_authenticated and not user.is_staff:
            raise AuthorizationError
        return None


staff_session_auth = StaffSessionAuth(csrf=True)
