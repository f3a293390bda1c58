"""The Content-Security-Policy header built once per process (hearth/core/csp.py) is django-csp's
header: the same on every response, and django-csp's own answer whenever a response or a page
changes the policy (its decorators, a nonce) or the settings change."""

from __future__ import annotations

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from csp.decorators import csp_exempt, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from hearth.core.csp import CSPMiddleware


def _plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("page")


@csp_update({"img-src": "https://images.example"})
def _updated(request: HttpRequest) -> HttpResponse:
    return HttpResponse("page")


@csp_exempt()
def _exempt(request: HttpRequest) -> HttpResponse:
    return HttpResponse("page")


def _with_nonce(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")  # type: ignore[attr-defined]


def _headers(view, path: str = "/") -> tuple[dict[str, str], dict[str, str]]:
    ours = CSPMiddleware(view)(RequestFactory().get(path))
    theirs = DjangoCSPMiddleware(view)(RequestFactory().get(path))
    pick = (HEADER, HEADER_REPORT_ONLY)
    return (
        {h: ours[h] for h in pick if h in ours},
        {h: theirs[h] for h in pick if h in theirs},
    )


def test_every_response_gets_django_csps_header() -> None:
    for _ in range(2):  # built, then kept
        ours, theirs = _headers(_plain)
        assert ours == theirs and HEADER in ours


def test_a_response_that_changes_the_policy_gets_django_csps_answer() -> None:
    ours, theirs = _headers(_updated)
    assert ours == theirs and "https://images.example" in ours[HEADER]
    ours, theirs = _headers(_exempt)
    assert ours == theirs == {}


def test_a_page_that_reads_a_nonce_gets_it_in_the_header(settings) -> None:
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": ["'self'", NONCE]}}
    ours, theirs = _headers(_plain)
    assert ours == theirs and "nonce" not in ours[HEADER]  # no nonce asked: none sent
    request = RequestFactory().get("/")
    response = CSPMiddleware(_with_nonce)(request)
    nonce = request._csp_nonce  # type: ignore[attr-defined]
    assert f"script-src 'self' 'nonce-{nonce}'" in response[HEADER].split("; ")
    assert f"nonce='{nonce}'" in response.content.decode()


def test_a_nonce_asked_for_after_the_header_is_written_fails() -> None:
    request = RequestFactory().get("/")
    CSPMiddleware(_plain)(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)  # type: ignore[attr-defined]


def test_a_changed_policy_setting_is_read_again(settings) -> None:
    _headers(_plain)  # built with the site's policy
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"script-src": ["'self'"]},
        "EXCLUDE_URL_PREFIXES": ["/api/"],
    }
    ours, theirs = _headers(_plain)
    assert ours == theirs
    assert ours[HEADER] == "default-src 'none'" and HEADER_REPORT_ONLY in ours
    ours, theirs = _headers(_plain, "/api/v1/csrf")
    assert ours == theirs and HEADER_REPORT_ONLY not in ours
