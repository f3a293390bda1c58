"""Whether a request may be counted in visitor statistics (PP-2, PP-11).

Global Privacy Control (``Sec-GPC: 1``) and Do Not Track (``DNT: 1``) refuse statistics. A
visitor whose cookie choice refuses statistics is not counted either: the privacy app's
``cookie_policy.statistics_allowed`` decides, after the cheap header check.
"""

from __future__ import annotations

from django.http import HttpRequest

from hearth.privacy import cookie_policy


def signals_refusal(request: HttpRequest) -> bool:
    meta = request.META
    return meta.get("HTTP_SEC_GPC", "").strip() == "1" or meta.get("HTTP_DNT", "").strip() == "1"


def statistics_allowed(request: HttpRequest) -> bool:
    return not signals_refusal(request) and cookie_policy.statistics_allowed(request)
