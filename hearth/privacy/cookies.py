"""The acknowledgement cookie: only the version keys acknowledged, no identifier (PP-11, PP-21).

It is a functional cookie (data/cookies.toml): kept only when the visitor accepted that
category. Otherwise the keys are kept in the session (which ends with the browser session), so
the notice still goes away for the rest of the visit.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse

COOKIE_NAME = "hearth_policy_ack"
SESSION_KEY = "policy_ack"
MAX_AGE = 2 * 365 * 24 * 3600
_KEY = re.compile(r"^(privacy|terms|eula)-[A-Za-z0-9._-]{1,20}$")


def acknowledged_versions(request: HttpRequest) -> set[str]:
    raw = request.COOKIES.get(COOKIE_NAME, "")
    session = getattr(request, "session", None)
    kept = session.get(SESSION_KEY, []) if session is not None else []
    return {key for key in [*raw.split("|"), *kept] if _KEY.match(key)}


def remember_acknowledged(request: HttpRequest, response: HttpResponse, keys: set[str]) -> None:
    from hearth.privacy.cookie_policy import may_set

    valid = sorted(k for k in keys if _KEY.match(k))
    if may_set(request, COOKIE_NAME):
        value = "|".join(valid)
        response.set_cookie(COOKIE_NAME, value, max_age=MAX_AGE, httponly=True, samesite="Lax")
    else:
        request.session[SESSION_KEY] = valid
