"""Back-office pages of the reports side: partner reports as charts (PP-20).

Reached by staff who passed the back office's second factor and hold a role that may see
aggregate reports (``REPORT_ROLES``); others are sent to the back-office sign-in (not staff) or
refused (403).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from hearth.accounts.roles import has_role
from hearth.core import clock
from hearth.devices import charts, reports

REPORT_ROLES = ("administrator", "care_agent")
DEFAULT_WEEKS = 8
MAX_WEEKS = 52


def may_see_reports(request: HttpRequest) -> bool:
    return admin.site.has_permission(request) and any(
        has_role(request.user, key) for key in REPORT_ROLES
    )


def _weeks(request: HttpRequest) -> list[dt.date]:
    try:
        count = int(request.GET.get("weeks", DEFAULT_WEEKS))
    except ValueError:
        count = DEFAULT_WEEKS
    count = min(MAX_WEEKS, max(1, count))
    until = reports.week_start_of(clock.now().date())
    raw = request.GET.get("until")
    if raw:
        with contextlib.suppress(ValueError):
            until = reports.parse_week(raw)
    return [until - dt.timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def partner_reports(request: HttpRequest) -> HttpResponse:
    if not admin.site.has_permission(request):
        login = reverse("admin:login")
        return HttpResponseRedirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
    if not may_see_reports(request):
        raise PermissionDenied
    weeks = _weeks(request)
    found = reports.service_reports(services=None, week_starts=weeks)
    services = sorted({r.service for r in found})
    labels = [reports.week_label(w) for w in weeks]
    cell = {(r.week_start, r.service): r.cells for r in found}

    def series(name: str) -> dict[str, list[int | None]]:
        return {s: [cell[(w, s)][name].value for w in weeks] for s in services}

    figures = [
        (
            _("Households using each service"),
            charts.bar_chart(categories=labels, series=series("households")),
        ),
        (
            _("Minutes played per service"),
            charts.bar_chart(categories=labels, series=series("minutes")),
        ),
        (_("Dropouts per service"), charts.bar_chart(categories=labels, series=series("dropouts"))),
    ]
    privacy = found[0].privacy if found else None
    context = {
        **admin.site.each_context(request),
        "title": _("Partner reports"),
        "figures": figures,
        "reports": found,
        "privacy": privacy,
        "weeks": labels,
    }
    return render(request, "devices/backoffice/reports.html", context)
