"""The edge's guards on every request, in one place (issue #10, items 16, 17 and 22).

- :class:`InputGuardMiddleware`: a NUL character in the path, the query string, a header (the
  Idempotency-Key, a cookie), a form field or a JSON body's strings is refused with a 400
  naming the field, before any view or database sees it (PostgreSQL cannot store one; SQLite
  would keep it silently). A body over
  ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413. Under ``/api/`` both answer DESIGN.md's error body;
  elsewhere a page that says what was wrong.
- :class:`ApiCsrfMiddleware`: a state-changing API call that carries the session cookie (and so
  could be forged by another site in a signed-in browser) must pass Django's CSRF check. Calls
  authenticated by an ``Authorization`` header (device and partner tokens) carry no ambient
  authority and need no token.

A gzip body is checked once decompressed, where it is decoded (hearth/devices/services.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.translation import gettext as _

from hearth.core.errors import CoreErrorCode, error_body
from hearth.core.input import json_may_hold_nul, nul_field, nul_in_pairs, nul_message

API_PREFIX = "/api/"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _refuse_nul(request: HttpRequest, field: str, *, in_header: bool = False) -> HttpResponse:
    reason = nul_message()
    message = _("Invalid input: %(field)s: %(reason)s") % {"field": field, "reason": reason}
    if is_api(request):
        body = error_body(CoreErrorCode.INVALID, message, {field: reason})
        return JsonResponse(body, status=400)
    if in_header:  # the site's page would read the session named by a cookie holding the NUL
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    context = {"title": _("This request cannot be accepted"), "message": message, "field": field}
    return render(request, "web/bad_input.html", context, status=400)


def _refuse_too_large(request: HttpRequest) -> HttpResponse:
    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1_000_000
    message = _("The request body is too large: at most %(mb).1f MB.") % {"mb": limit_mb}
    if is_api(request):
        body = error_body(CoreErrorCode.TOO_LARGE, message, {"body": message})
        return JsonResponse(body, status=413)
    context = {"title": _("This request is too large"), "message": message, "field": None}
    return render(request, "web/bad_input.html", context, status=413)


def _header_nul_field(request: HttpRequest) -> str | None:
    """A request header (the Cookie header included) holding a NUL, by its name."""
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
            return key.removeprefix("HTTP_").replace("_", "-").title()
    return None


def _body_nul_field(request: HttpRequest) -> str | None:
    content_type = request.content_type or ""
    if content_type in _FORM_TYPES:
        return nul_in_pairs(request.POST.lists())
    raw = request.body
    if not raw or not json_may_hold_nul(raw):
        return None
    if request.headers.get("Content-Encoding", "").strip().lower() not in ("", "identity"):
        return None  # compressed: checked where it is decoded
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError):
        return None  # not JSON: the view answers malformed_json
    return nul_field(data)


class InputGuardMiddleware:
    """Last in MIDDLEWARE, so its answers get every other middleware's headers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = "path" if "\x00" in request.path else nul_in_pairs(request.GET.lists())
        if field is None:
            header = _header_nul_field(request)
            if header is not None:
                return _refuse_nul(request, header, in_header=True)
        if field is None and request.method not in _SAFE_METHODS:
            try:
                field = _body_nul_field(request)
            except RequestDataTooBig:
                return _refuse_too_large(request)
        if field is not None:
            return _refuse_nul(request, field)
        return self.get_response(request)


def _checked_view(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    return HttpResponseForbidden()


def _csrf_rejected(request: HttpRequest) -> bool:
    check = CsrfViewMiddleware(_checked_view)
    request.csrf_processing_done = False  # type: ignore[attr-defined]
    check.process_request(request)
    return check.process_view(request, _checked_view, (), {}) is not None


class ApiCsrfMiddleware:
    """CSRF for session-cookie API calls that change state (ninja's views are csrf_exempt)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            is_api(request)
            and request.method not in _SAFE_METHODS
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and "Authorization" not in request.headers
            and _csrf_rejected(request)
        ):
            message = _(
                "CSRF check failed: a call with the session cookie that changes something must "
                "send the token from GET /api/v1/csrf in the X-CSRFToken header."
            )
            return JsonResponse(error_body(CoreErrorCode.CSRF_FAILED, message), status=403)
        return self.get_response(request)
