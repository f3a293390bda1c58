"""Partner reports (PP-20): per music service per ISO week, households using it, minutes and
dropouts, read only from the rollup tables (``DailyRollup``, ``WeeklyServiceHouseholds``),
never from raw events.

The builder (:func:`report_cells`) is pure: rollup rows in, report out. It never outputs a
household or account identifier (its inputs hold none), and suppresses every cell that comes
from fewer than ``min_households`` households (setting ``HEARTH_PARTNER_MIN_HOUSEHOLDS``,
default 20): the cell's value is null and ``suppressed`` is true. How many households a cell
comes from:

- ``households``: the exact weekly distinct count (``WeeklyServiceHouseholds``);
- ``minutes`` and ``dropouts``: the largest daily distinct count of households that contributed
  to that metric in the week, a lower bound of the weekly distinct count, so suppression errs
  towards hiding.

Optional differential privacy (setting ``HEARTH_PARTNER_DP_EPSILON``, off by default): OpenDP's
Laplace mechanism on each shown value, the total epsilon split evenly over the three cells, with
a per-household weekly contribution bound per metric (``HEARTH_PARTNER_DP_BOUNDS``, defaults
below); the epsilon is printed in the report.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

METRICS = {"minutes": "service_minutes", "dropouts": "dropouts"}
CELLS = ("households", "minutes", "dropouts")
DEFAULT_MIN_HOUSEHOLDS = 20
# Per household per week: one household counts once; minutes at most a week's worth per stream
# for a few rooms; dropouts as the device would report them at most. Used only for DP noise.
DEFAULT_DP_BOUNDS = {"households": 1, "minutes": 4 * 7 * 24 * 60, "dropouts": 1_000}
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class ReportsErrorCode(StrEnum):
    BAD_WEEK = "bad_week"
    BAD_PARTNER = "bad_partner"


# --- Weeks


def parse_week(text: str) -> dt.date:
    """'2026-W47' -> the Monday that starts that ISO week; ValueError when malformed."""
    match = _WEEK.match(text.strip())
    if not match:
        raise ValueError("a week is written like 2026-W47")
    try:
        return dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError("no such ISO week") from None


def week_label(week_start: dt.date) -> str:
    year, week, _day = week_start.isocalendar()
    return f"{year}-W{week:02d}"


def week_start_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


# --- Report values


@dataclass(frozen=True)
class RollupRow:
    """One DailyRollup row (no household identifiers)."""

    day: dt.date
    service: str
    metric: str
    tier: str
    households: int
    value: int


@dataclass(frozen=True)
class Cell:
    value: int | None
    suppressed: bool


@dataclass(frozen=True)
class Privacy:
    min_households: int
    epsilon: float | None = None  # None: no noise added
    mechanism: str | None = None


@dataclass(frozen=True)
class ServiceWeekReport:
    service: str
    week_start: dt.date
    cells: dict[str, Cell]
    privacy: Privacy

    @property
    def week(self) -> str:
        return week_label(self.week_start)

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "week": self.week,
            "week_start": self.week_start.isoformat(),
            "week_end": (self.week_start + dt.timedelta(days=6)).isoformat(),
            "cells": {
                name: {"value": cell.value, "suppressed": cell.suppressed}
                for name, cell in self.cells.items()
            },
            "min_households": self.privacy.min_households,
            "differential_privacy": {
                "enabled": self.privacy.epsilon is not None,
                "epsilon": self.privacy.epsilon,
                "mechanism": self.privacy.mechanism,
            },
        }


# Noise: (cell name, true value) -> released value.
Noise = Callable[[str, int], int]


def report_cells(
    *,
    service: str,
    week_start: dt.date,
    weekly_households: int,
    rows: Iterable[RollupRow],
    min_households: int,
    noise: Noise | None = None,
    epsilon: float | None = None,
    mechanism: str | None = None,
) -> ServiceWeekReport:
    """The report for one service and one week from its rollup rows (rows of other services or
    days outside the week are ignored). Every cell from fewer than ``min_households`` households
    is suppressed; the others get ``noise`` when given (clamped at zero)."""
    if min_households < 1:
        raise ValueError("min_households must be at least 1")
    week_end = week_start + dt.timedelta(days=7)
    totals: dict[str, int] = defaultdict(int)
    contributors: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.service != service or not (week_start <= row.day < week_end):
            continue
        totals[row.metric] += row.value
        contributors[row.metric] = max(contributors[row.metric], row.households)
    raw = {"households": (weekly_households, weekly_households)}
    for cell, metric in METRICS.items():
        raw[cell] = (totals[metric], contributors[metric])
    cells: dict[str, Cell] = {}
    for name in CELLS:
        value, households = raw[name]
        if households < min_households:
            cells[name] = Cell(value=None, suppressed=True)
        else:
            shown = noise(name, value) if noise else value
            cells[name] = Cell(value=max(0, int(shown)), suppressed=False)
    return ServiceWeekReport(
        service=service,
        week_start=week_start,
        cells=cells,
        privacy=Privacy(
            min_households=min_households,
            epsilon=epsilon if noise else None,
            mechanism=mechanism if noise else None,
        ),
    )


CSV_COLUMNS = ("service", "week", "metric", "value", "suppressed", "min_households", "epsilon")


def report_csv(reports: Iterable[ServiceWeekReport]) -> str:
    """One row per cell; a suppressed cell has an empty value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        eps = report.privacy.epsilon
        for name, cell in report.cells.items():
            writer.writerow(
                [
                    report.service,
                    report.week,
                    name,
                    "" if cell.value is None else cell.value,
                    "true" if cell.suppressed else "false",
                    report.privacy.min_households,
                    "" if eps is None else eps,
                ]
            )
    return out.getvalue()


# --- Differential privacy (OpenDP)


@dataclass
class LaplaceNoise:
    """OpenDP's Laplace mechanism on integers, ``epsilon`` split evenly over the report's cells;
    each cell's scale is its per-household bound over its share of epsilon."""

    epsilon: float
    bounds: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_DP_BOUNDS))
    mechanism: str = "laplace (OpenDP)"

    def __post_init__(self) -> None:
        if not self.epsilon > 0:
            raise ValueError("epsilon must be positive")
        import opendp.prelude as dp

        dp.enable_features("contrib")
        share = self.epsilon / len(CELLS)
        space = dp.atom_domain(T=int), dp.absolute_distance(T=int)
        self._measurements = {
            name: dp.m.make_laplace(*space, scale=float(self.bounds[name]) / share)
            for name in CELLS
        }

    def __call__(self, name: str, value: int) -> int:
        return int(self._measurements[name](int(value)))


# --- Reading the rollups (Django from here on)


def _settings() -> tuple[int, float | None, dict[str, int]]:
    from django.conf import settings

    min_households = int(getattr(settings, "HEARTH_PARTNER_MIN_HOUSEHOLDS", DEFAULT_MIN_HOUSEHOLDS))
    epsilon = getattr(settings, "HEARTH_PARTNER_DP_EPSILON", None)
    bounds = {**DEFAULT_DP_BOUNDS, **getattr(settings, "HEARTH_PARTNER_DP_BOUNDS", {})}
    return min_households, (float(epsilon) if epsilon is not None else None), bounds


def service_reports(
    *, services: Iterable[str] | None, week_starts: Iterable[dt.date]
) -> list[ServiceWeekReport]:
    """Reports for these services (None: every service in the rollups) and weeks, from two
    queries over the rollup tables. Ordered by week, then service."""
    from django.db.models import Count

    from hearth.devices.models import DailyRollup, WeeklyServiceHouseholds

    weeks = sorted(set(week_starts))
    if not weeks:
        return []
    min_households, epsilon, bounds = _settings()
    noise = LaplaceNoise(epsilon=epsilon, bounds=bounds) if epsilon is not None else None
    wanted = None if services is None else sorted(set(services))

    counts = WeeklyServiceHouseholds.objects.filter(week_start__in=weeks)
    rollups = DailyRollup.objects.filter(
        day__gte=weeks[0],
        day__lt=weeks[-1] + dt.timedelta(days=7),
        metric__in=list(METRICS.values()),
    )
    if wanted is not None:
        counts = counts.filter(service__in=wanted)
        rollups = rollups.filter(service__in=wanted)
    weekly: dict[tuple[dt.date, str], int] = {
        (row["week_start"], row["service"]): row["n"]
        for row in counts.values("week_start", "service").annotate(n=Count("*")).order_by()
    }
    by_week: dict[tuple[dt.date, str], list[RollupRow]] = defaultdict(list)
    for values in rollups.values_list("day", "service", "metric", "tier", "households", "value"):
        row = RollupRow(*values)
        by_week[(week_start_of(row.day), row.service)].append(row)
    found = sorted({s for _w, s in weekly} | {s for _w, s in by_week})
    names = wanted if wanted is not None else found
    return [
        report_cells(
            service=service,
            week_start=week,
            weekly_households=weekly.get((week, service), 0),
            rows=by_week.get((week, service), ()),
            min_households=min_households,
            noise=noise,
            epsilon=epsilon,
            mechanism=noise.mechanism if noise else None,
        )
        for week in weeks
        for service in names
    ]


def service_week_report(*, service: str, week_start: dt.date) -> ServiceWeekReport:
    """One partner's report: one service, one week."""
    return service_reports(services=[service], week_starts=[week_start])[0]
