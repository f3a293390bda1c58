"""Content-Security-Policy header (Django 5.2 has none built in).

Everywhere, the API docs included, a strict same-origin policy: scripts only from this site (never
inline), no plug-ins, no framing, forms post only here. Styles allow inline blocks because the
site's base template carries its small stylesheet inline. The interactive API docs need no
exception: with ``ninja`` in INSTALLED_APPS, Swagger UI's files are served from this site.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"

STRICT: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def render_policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


POLICY = render_policy(STRICT)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = POLICY
        return response


class CookiePolicyViolation(RuntimeError):
    """A response tried to send a cookie the inventory lacks or the visitor has not accepted."""


def _is_deletion(morsel: Any) -> bool:
    return str(morsel["max-age"]) == "0" or str(morsel["expires"]).startswith("Thu, 01 Jan 1970")


class CookiePolicyMiddleware:
    """The one gate every cookie passes (issue #15; PP-11), outside the middleware that set
    cookies (sessions, CSRF, messages), so their cookies pass it too.

    A cookie not in ``data/cookies.toml``, or whose category the visitor has not accepted, is
    refused: it raises when ``COOKIE_POLICY_RAISE`` (DEBUG and tests), else it is dropped and
    logged. Deleting a cookie is always allowed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:

        response = self.get_response(request)
        if response.cookies:
            self._enforce(request, response)
        return response

    def _enforce(self, request: HttpRequest, response: HttpResponse) -> None:
        from django.conf import settings

        from hearth.privacy import cookie_policy

        for name, morsel in list(response.cookies.items()):
            if _is_deletion(morsel) or cookie_policy.may_set(request, name):
                continue
            message = (
                f"Cookie {name!r} refused on {request.path}: not in the inventory or not accepted"
            )
            if getattr(settings, "COOKIE_POLICY_RAISE", False):
                raise CookiePolicyViolation(message)
            cookie_policy.logger.warning(message)
            del response.cookies[name]


class GlobalPrivacyControlMiddleware:
    """After authentication: a page request carrying ``Sec-GPC: 1`` is recorded
    (``cookie_policy.record_gpc``: the ledger once per session for a customer, else the day's
    count). Its refusal of every optional cookie category needs no record: it is read from the
    header on every request (``cookie_policy.consent_for``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from hearth.privacy import rules

        if (
            request.method == "GET"
            and rules.gpc_signal(request.META.get("HTTP_SEC_GPC"))
            and not request.path_info.startswith(("/api/", "/admin/", "/static/"))
        ):
            from hearth.core import clock
            from hearth.privacy import cookie_policy

            cookie_policy.record_gpc(request, at=clock.now())
        return self.get_response(request)
