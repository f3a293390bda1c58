"""Counts page views for visitor statistics (PP-2), with no cookie and no database write.

A view counts when it is a GET answered 200 with HTML, on a page outside the excluded prefixes
(back office, API, ...), by an agent that is no bot, not a prefetch, and from a visitor who has
not refused statistics (cookie choice, GPC, DNT). What is kept: the path, the referring domain,
the browser and OS families, and the visitor-day key; the IP and the agent are dropped here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from hearth.core import clock
from hearth.core.client_address import client_of
from hearth.stats import consent, rules, services
from hearth.stats.buffer import PageView

logger = logging.getLogger(__name__)


def page_view(request: HttpRequest, response: HttpResponse) -> PageView | None:
    """The view to count, or None when this request is not counted."""
    if request.method != "GET" or response.status_code != 200:
        return None
    if not response.get("Content-Type", "").startswith("text/html"):
        return None
    if not rules.countable_path(request.path):
        return None
    meta = request.META  # not request.headers: building that costs more than all of this
    if meta.get("HTTP_SEC_PURPOSE") or meta.get("HTTP_PURPOSE") == "prefetch":
        return None
    agent = meta.get("HTTP_USER_AGENT", "")
    families = rules.classify_agent(agent)
    if families.bot or not consent.statistics_allowed(request):
        return None
    at = clock.now()
    day = services.day_of(at)
    ip = client_of(request)  # the visitor, not the load balancer in front of us
    return PageView(
        day=day,
        at=at,
        path=rules.page_key(request.path),
        # The Host header only tells our own pages apart from other sites (no trust needed).
        referrer=rules.referrer_domain(
            meta.get("HTTP_REFERER", ""),
            own_host=meta.get("HTTP_HOST") or meta.get("SERVER_NAME", ""),
        ),
        browser=families.browser,
        os=families.os,
        visitor=rules.visitor_key(ip=ip, user_agent=agent, salt=services.salt_for(day)),
    )


class VisitorStatisticsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if services.config("ENABLED"):
            try:
                view = page_view(request, response)
                if view is not None:
                    services.count_view(view)
            except Exception:  # statistics never break a page
                logger.exception("visitor statistics: a view could not be counted")
        return response
