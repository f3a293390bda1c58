"""Whether a request may be counted in visitor statistics (PP-2, PP-11).

Global Privacy Control (``Sec-GPC: 1``) and Do Not Track (``DNT: 1``) refuse statistics. The
cookie choice (refused statistics) is the cookie app's ``statistics_allowed``; until that lands
this module answers from the two headers alone.
"""

from __future__ import annotations

from django.http import HttpRequest


def signals_refusal(request: HttpRequest) -> bool:
    meta = request.META
    return meta.get("HTTP_SEC_GPC", "").strip() == "1" or meta.get("HTTP_DNT", "").strip() == "1"


def statistics_allowed(request: HttpRequest) -> bool:
    return not signals_refusal(request)
