"""The privacy app's middleware: the cookie gate and Global Privacy Control.

The Content-Security-Policy header is django-csp's (``hearth.core.csp.CSPMiddleware``, the policy
in ``settings.CONTENT_SECURITY_POLICY``): it keeps the same strict same-origin policy this module
used to write by hand, and adds per-view nonces and report-only mode when we need them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse


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
