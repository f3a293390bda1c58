"""Back-office pages of visitor statistics (PP-2): charts and a CSV export of the aggregates.

Reached by staff who passed the back office's second factor and hold ``STATS_ROLES``; others
are sent to the back-office sign-in (not staff) or refused (403). Aggregates only: no person is
read, so no read is audited.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hearth.accounts.roles import has_role
from hearth.core import clock
from hearth.stats import charts, rules, selectors
from hearth.stats.forms import RangeForm
from hearth.stats.models import Dimension

STATS_ROLES = ("administrator", "marketing")
DEFAULT_DAYS = 30
TOP = 10


def _gate(request: HttpRequest) -> HttpResponse | None:
    if not admin.site.has_permission(request):
        login = reverse("admin:login")
        return HttpResponseRedirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
    if not any(has_role(request.user, key) for key in STATS_ROLES):
        raise PermissionDenied
    return None


def _range_form(request: HttpRequest) -> RangeForm:
    today = timezone.localdate(clock.now())
    data = {
        "start": request.GET.get("start", str(today - dt.timedelta(days=DEFAULT_DAYS - 1))),
        "end": request.GET.get("end", str(today)),
    }
    return RangeForm(data)


def _label(dimension: Dimension, key: str) -> str:
    if key:
        return key
    return _("(none: direct or from this site)") if dimension == Dimension.REFERRER else _("(none)")


def dashboard(request: HttpRequest) -> HttpResponse:
    if (refused := _gate(request)) is not None:
        return refused
    form = _range_form(request)
    context = {**admin.site.each_context(request), "title": _("Visitor statistics"), "form": form}
    if not form.is_valid():
        return render(request, "stats/backoffice/dashboard.html", context, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    days = selectors.per_day(start=start, end=end)
    tops = []
    for dimension, title in (
        (Dimension.PAGE, _("Top pages")),
        (Dimension.ENTRY, _("Entry pages")),
        (Dimension.EXIT, _("Exit pages")),
        (Dimension.REFERRER, _("Referring sites")),
        (Dimension.BROWSER, _("Browsers")),
        (Dimension.OS, _("Operating systems")),
    ):
        rows = [
            (_label(dimension, k), n)
            for k, n in selectors.top(dimension, start=start, end=end, limit=TOP)
        ]
        tops.append((f"chart-{dimension.value}", title, rows, charts.hbar_chart(rows)))
    dropped = sum(n for _k, n in selectors.top(Dimension.DROPPED, start=start, end=end))
    context.update(
        {
            "days": days,
            "total_views": sum(d.views for d in days),
            "views_chart": charts.column_chart([(d.day.strftime("%m-%d"), d.views) for d in days]),
            "visitors_chart": charts.column_chart(
                [(d.day.strftime("%m-%d"), d.visitors) for d in days]
            ),
            "tops": tops,
            "dropped": dropped,
            "csv_query": urlencode({"start": start.isoformat(), "end": end.isoformat()}),
        }
    )
    return render(request, "stats/backoffice/dashboard.html", context)


def export_csv(request: HttpRequest) -> HttpResponse:
    if (refused := _gate(request)) is not None:
        return refused
    form = _range_form(request)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"visitor-statistics-{start.isoformat()}-{end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    out = io.StringIO()  # one write into the response, not one per row
    writer = csv.writer(out)
    writer.writerow(["day", "dimension", "key", "count"])
    writer.writerows(
        (day.isoformat(), dim, rules.csv_cell(key), n)
        for day, dim, key, n in selectors.export_rows(start=start, end=end)
    )
    response.write(out.getvalue())
    return response
