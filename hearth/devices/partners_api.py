"""Partner report API (PP-20), mounted at /api/v1/partners/: a partner's Bearer token reads only
its own music service's weekly report, as JSON or CSV. Another service's report is a 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.security import HttpBearer

from hearth.core.errors import DomainError
from hearth.devices import reports
from hearth.devices.models_reports import Partner
from hearth.devices.partners import partner_for_token
from hearth.devices.reports import ReportsErrorCode


class PartnerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Partner | None:
        return partner_for_token(token)


router = Router(tags=["partners"], auth=PartnerToken())


class ReportQuery(Schema):
    week: str
    service: str | None = None


class CellOut(Schema):
    value: int | None
    suppressed: bool


class PrivacyOut(Schema):
    enabled: bool
    epsilon: float | None
    mechanism: str | None


class ReportOut(Schema):
    service: str
    week: str
    week_start: str
    week_end: str
    cells: dict[str, CellOut]
    min_households: int
    differential_privacy: PrivacyOut


def _report(request: HttpRequest, query: ReportQuery) -> reports.ServiceWeekReport:
    partner: Partner = request.auth  # type: ignore[attr-defined]
    if query.service is not None and query.service != partner.service:
        raise Http404  # another service's report: as if it did not exist
    try:
        week_start = reports.parse_week(query.week)
    except ValueError:
        raise DomainError(
            ReportsErrorCode.BAD_WEEK,
            _("Write the week as an ISO week, like 2026-W47."),
            field="week",
        ) from None
    return reports.service_week_report(service=partner.service, week_start=week_start)


@router.get(
    "/reports",
    response=ReportOut,
    summary="Weekly report (JSON)",
    description=(
        "Households using the partner's own music service, minutes and dropouts in one ISO week "
        "(`?week=2026-W47`). No household or account identifiers; any cell from fewer than the "
        "minimum number of households is null with `suppressed: true`; the differential-privacy "
        "epsilon, when noise is on, is printed. `service` may only name the partner's own service."
    ),
)
def weekly_report(request: HttpRequest, query: Query[ReportQuery]) -> dict[str, Any]:
    return _report(request, query).as_dict()


@router.get(
    "/reports.csv",
    summary="Weekly report (CSV)",
    description="The same report as CSV: one row per cell, an empty value when suppressed.",
)
def weekly_report_csv(request: HttpRequest, query: Query[ReportQuery]) -> HttpResponse:
    report = _report(request, query)
    response = HttpResponse(reports.report_csv([report]), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{report.service}-{report.week}.csv"'
    return response
