"""The acknowledgement cookie: only the version keys acknowledged, no identifier (PP-11, PP-21)."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse

COOKIE_NAME = "hearth_policy_ack"
MAX_AGE = 2 * 365 * 24 * 3600
_KEY = re.compile(r"^(privacy|terms|eula)-[A-Za-z0-9._-]{1,20}$")


def acknowledged_versions(request: HttpRequest) -> set[str]:
    raw = request.COOKIES.get(COOKIE_NAME, "")
    return {key for key in raw.split("|") if _KEY.match(key)}


def remember_acknowledged(response: HttpResponse, keys: set[str]) -> None:
    value = "|".join(sorted(k for k in keys if _KEY.match(k)))
    response.set_cookie(COOKIE_NAME, value, max_age=MAX_AGE, httponly=True, samesite="Lax")
