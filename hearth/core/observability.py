"""Every request's id, latency metric and access-log line (issue #17 item 2), in one middleware.

- Request id: the ``X-Request-ID`` the proxy sent when it is a plausible id (1 to 128 letters,
  digits, ``.``, ``_``, ``:`` or ``-``), else a new random one; it is echoed in the response's
  ``X-Request-ID`` and carried by every log line written while the request runs
  (``hearth.core.logjson``).
- Latency: ``hearth.core.metrics.observe_request`` by the URL pattern's view name.
- Access log: one line per request on the ``hearth.request`` logger at INFO (off unless that
  logger is enabled: ``HEARTH_ACCESS_LOG=1``, which ``hearth serve`` sets): method, view name,
  status, milliseconds and the client address (behind trusted proxies, ``client_of``), which
  the IP filter truncates (PP-2). The raw
  path is not logged: it can carry tokens (a confirmation link, an unsubscribe link).

First in MIDDLEWARE, so that it times and tags everything below it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from hearth.core import metrics
from hearth.core.client_address import client_of

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
request_id_var: ContextVar[str | None] = ContextVar("hearth_request_id", default=None)
access_log = logging.getLogger("hearth.request")


def valid_request_id(raw: str | None) -> str | None:
    return raw if raw is not None and _VALID_ID.fullmatch(raw) else None


def new_request_id() -> str:
    return uuid.uuid4().hex


def view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unmatched>"
    return match.view_name or match.route or "<unnamed>"


class RequestObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = valid_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()
        request.request_id = rid  # type: ignore[attr-defined]
        # Kept until the request is finished (not only until this returns): Django logs a 4xx
        # or 5xx on ``django.request`` after the middleware chain, and that line carries it too.
        request_id_var.set(rid)
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        view = view_name(request)
        metrics.observe_request(view, request.method or "", response.status_code, seconds)
        response[REQUEST_ID_HEADER] = rid
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "%s %s %s %.1fms client=%s",
                request.method,
                view,
                response.status_code,
                seconds * 1000,
                client_of(request),
            )
        return response


def _forget_request_id(**_kwargs: object) -> None:
    request_id_var.set(None)


request_finished.connect(_forget_request_id, dispatch_uid="hearth.core.observability")
