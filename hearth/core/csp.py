"""The Content-Security-Policy header: django-csp's middleware, with the header built once per
process (issue #12 item 2).

django-csp builds the header from ``settings.CONTENT_SECURITY_POLICY`` on every response (~50 us
a request). Unless a response or a page changes it (django-csp's decorators, a nonce read by a
template), the header is the same for every response of a process, so it is built at the first
and reused; a changed setting (tests) builds it afresh. A response that changes the policy goes
through django-csp's own code, unchanged.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

# What django-csp's decorators leave on a response that changes its policy.
_PER_RESPONSE = tuple(
    f"_csp_{what}{suffix}"
    for what in ("exempt", "config", "update", "replace")
    for suffix in ("", "_ro")
)
_SETTINGS = {"CONTENT_SECURITY_POLICY": False, "CONTENT_SECURITY_POLICY_REPORT_ONLY": True}

# report_only -> (header value, excluded path prefixes); "" when that policy is not set.
_built: dict[bool, tuple[str, tuple[str, ...]]] = {}


def _forget(*, setting: str, **_kwargs: object) -> None:
    if setting in _SETTINGS:
        _built.clear()


setting_changed.connect(_forget, dispatch_uid="hearth.core.csp")


def _policy(report_only: bool) -> tuple[str, tuple[str, ...]]:
    built = _built.get(report_only)
    if built is None:
        name = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
        prefixes = (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
        built = (build_policy(report_only=report_only), tuple(prefixes))
        _built[report_only] = built
    return built


class CSPMiddleware(DjangoCSPMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE)
            or (
                settings.DEBUG
                and response.status_code in (HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.NOT_FOUND)
            )
        ):
            return super().process_response(request, response)
        for report_only, header in ((False, HEADER), (True, HEADER_REPORT_ONLY)):
            policy, excluded = _policy(report_only)
            if policy and header not in response and not request.path_info.startswith(excluded):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header was written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
