"""Visitor statistics reads (PP-2): aggregates only, from the rollups.

Closed days read ``DailyCount`` only. The open days' unique visitors and entry and exit pages
are counted from their visitor-days (at most a day or two of them), so the dashboard is live.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Sum

from hearth.stats.models import DailyCount, Dimension, VisitorDay

_FROM_VISITOR_DAYS = {Dimension.ENTRY: "entry_path", Dimension.EXIT: "exit_path"}


@dataclass(frozen=True)
class DayFigures:
    day: dt.date
    views: int
    visitors: int


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def per_day(*, start: dt.date, end: dt.date) -> list[DayFigures]:
    """Views and unique visitors of every day from start to end (inclusive), zeros included."""
    rows = DailyCount.objects.filter(
        day__range=(start, end), dimension__in=[Dimension.VIEWS, Dimension.VISITORS]
    ).values_list("day", "dimension", "count")
    cell: Counter[tuple[dt.date, str]] = Counter()
    for day, dim, n in rows:
        cell[(day, dim)] += n
    live = (
        VisitorDay.objects.filter(day__range=(start, end))
        .values_list("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    for day, n in live:
        cell[(day, Dimension.VISITORS.value)] += n
    return [
        DayFigures(d, cell[(d, Dimension.VIEWS.value)], cell[(d, Dimension.VISITORS.value)])
        for d in _days(start, end)
    ]


def top(
    dimension: Dimension, *, start: dt.date, end: dt.date, limit: int | None = 10
) -> list[tuple[str, int]]:
    """The keys of one dimension over the days, most counted first (ties by key)."""
    totals: Counter[str] = Counter(
        dict(
            DailyCount.objects.filter(day__range=(start, end), dimension=dimension)
            .values_list("key")
            .annotate(n=Sum("count"))
            .order_by()
        )
    )
    field = _FROM_VISITOR_DAYS.get(dimension)
    if field:
        totals.update(
            dict(
                VisitorDay.objects.filter(day__range=(start, end))
                .values_list(field)
                .annotate(n=Count("id"))
                .order_by()
            )
        )
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked if limit is None else ranked[:limit]


def export_rows(*, start: dt.date, end: dt.date) -> list[tuple[dt.date, str, str, int]]:
    """Every count of the days, per day, dimension and key (open days' visitors included)."""
    rows: Counter[tuple[dt.date, str, str]] = Counter()
    for day, dim, key, n in DailyCount.objects.filter(day__range=(start, end)).values_list(
        "day", "dimension", "key", "count"
    ):
        rows[(day, dim, key)] += n
    open_days = VisitorDay.objects.filter(day__range=(start, end))
    for day, n in open_days.values_list("day").annotate(n=Count("id")).order_by():
        rows[(day, Dimension.VISITORS.value, "")] += n
    for dim, field in _FROM_VISITOR_DAYS.items():
        for day, key, n in open_days.values_list("day", field).annotate(n=Count("id")).order_by():
            rows[(day, dim.value, key)] += n
    return [(d, dim, key, n) for (d, dim, key), n in sorted(rows.items())]
