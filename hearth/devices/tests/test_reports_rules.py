"""Partner report cells from rollup rows (PP-20): suppression, no identifiers, CSV, weeks."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.devices import charts
from hearth.devices.reports import (
    Cell,
    LaplaceNoise,
    RollupRow,
    parse_week,
    report_cells,
    report_csv,
    week_label,
)

MON = dt.date(2026, 11, 16)  # 2026-W47
OPT_IN = "registered_opt_in"


def row(day: int, metric: str, households: int, value: int, service: str = "tunewave"):
    return RollupRow(MON + dt.timedelta(days=day), service, metric, OPT_IN, households, value)


@pytest.mark.parametrize(
    ("text", "monday"),
    [
        ("2026-W47", dt.date(2026, 11, 16)),
        ("2026-W01", dt.date(2025, 12, 29)),
        ("2020-W53", dt.date(2020, 12, 28)),
    ],
)
def test_iso_weeks_parse_to_their_monday(text, monday):
    assert parse_week(text) == monday
    assert week_label(monday) == text


@pytest.mark.parametrize("text", ["2026-47", "2026-W1", "2026-W54", "2026-W00", "W47", ""])
def test_malformed_weeks_are_refused(text):
    with pytest.raises(ValueError):
        parse_week(text)


@pytest.mark.promise("PP-20")
def test_cells_sum_the_week_and_count_households():
    rows = [
        row(0, "service_minutes", 25, 1000),
        row(6, "service_minutes", 30, 500),
        row(7, "service_minutes", 90, 99999),  # next week: ignored
        row(-1, "service_minutes", 90, 99999),  # previous week: ignored
        row(2, "dropouts", 21, 40),
        row(3, "dropouts", 5, 2),
        row(2, "service_minutes", 50, 7, service="radiolia"),  # another service: ignored
    ]
    report = report_cells(
        service="tunewave", week_start=MON, weekly_households=40, rows=rows, min_households=20
    )
    assert report.cells == {
        "households": Cell(40, False),
        "minutes": Cell(1500, False),
        "dropouts": Cell(42, False),
    }
    assert report.as_dict() == {
        "service": "tunewave",
        "week": "2026-W47",
        "week_start": "2026-11-16",
        "week_end": "2026-11-22",
        "cells": {
            "households": {"value": 40, "suppressed": False},
            "minutes": {"value": 1500, "suppressed": False},
            "dropouts": {"value": 42, "suppressed": False},
        },
        "min_households": 20,
        "differential_privacy": {"enabled": False, "epsilon": None, "mechanism": None},
    }


@pytest.mark.promise("PP-20")
@pytest.mark.parametrize(
    ("weekly", "minute_households", "dropout_households", "expected"),
    [
        (19, 19, 19, {"households": True, "minutes": True, "dropouts": True}),
        (20, 20, 20, {"households": False, "minutes": False, "dropouts": False}),
        (100, 20, 19, {"households": False, "minutes": False, "dropouts": True}),
        (100, 3, 0, {"households": False, "minutes": True, "dropouts": True}),
        (0, 0, 0, {"households": True, "minutes": True, "dropouts": True}),
    ],
)
def test_a_cell_from_fewer_than_20_households_is_suppressed(
    weekly, minute_households, dropout_households, expected
):
    rows = [row(1, "service_minutes", minute_households, 777)]
    if dropout_households:
        rows.append(row(1, "dropouts", dropout_households, 9))
    report = report_cells(
        service="tunewave", week_start=MON, weekly_households=weekly, rows=rows, min_households=20
    )
    assert {k: c.suppressed for k, c in report.cells.items()} == expected
    for cell in report.cells.values():
        if cell.suppressed:
            assert cell.value is None


@pytest.mark.promise("PP-20")
def test_a_cells_households_is_the_largest_daily_count_never_a_sum_of_days():
    # 15 households on each of two days may be the same 15: the cell stays suppressed
    rows = [row(0, "service_minutes", 15, 100), row(1, "service_minutes", 15, 100)]
    report = report_cells(
        service="tunewave", week_start=MON, weekly_households=25, rows=rows, min_households=20
    )
    assert report.cells["minutes"] == Cell(None, True)


@pytest.mark.promise("PP-20")
@given(
    st.integers(0, 60),
    st.lists(
        st.tuples(
            st.integers(-3, 10),
            st.sampled_from(["service_minutes", "dropouts", "queue_actions"]),
            st.integers(0, 60),
            st.integers(0, 10**6),
        ),
        max_size=20,
    ),
    st.integers(1, 50),
)
def test_no_shown_cell_comes_from_fewer_households_than_the_minimum(weekly, spec, minimum):
    rows = [row(d, m, h, v) for d, m, h, v in spec]
    report = report_cells(
        service="tunewave",
        week_start=MON,
        weekly_households=weekly,
        rows=rows,
        min_households=minimum,
    )
    in_week = [r for r in rows if MON <= r.day < MON + dt.timedelta(days=7)]
    sources = {
        "households": weekly,
        "minutes": max((r.households for r in in_week if r.metric == "service_minutes"), default=0),
        "dropouts": max((r.households for r in in_week if r.metric == "dropouts"), default=0),
    }
    for name, cell in report.cells.items():
        assert cell.suppressed == (sources[name] < minimum)
        assert (cell.value is None) == cell.suppressed


@pytest.mark.promise("PP-20")
def test_report_output_holds_no_identifiers():
    rows = [row(0, "service_minutes", 25, 123456789012), row(1, "dropouts", 30, 5)]
    report = report_cells(
        service="tunewave", week_start=MON, weekly_households=31, rows=rows, min_households=20
    )
    for text in (json.dumps(report.as_dict()), report_csv([report])):
        # no 12-digit household ID shape beyond the summed value we put in, no email, no account
        assert "household_id" not in text
        assert "account" not in text
        assert "@" not in text
    assert set(report.as_dict()) == {
        "service",
        "week",
        "week_start",
        "week_end",
        "cells",
        "min_households",
        "differential_privacy",
    }


def test_csv_has_one_row_per_cell_and_blanks_suppressed_values():
    rows = [row(0, "service_minutes", 25, 1000)]
    report = report_cells(
        service="tunewave", week_start=MON, weekly_households=31, rows=rows, min_households=20
    )
    assert report_csv([report]) == (
        "service,week,metric,value,suppressed,min_households,epsilon\n"
        "tunewave,2026-W47,households,31,false,20,\n"
        "tunewave,2026-W47,minutes,1000,false,20,\n"
        "tunewave,2026-W47,dropouts,,true,20,\n"
    )


def test_noise_applies_to_shown_cells_only_and_the_epsilon_is_printed():
    rows = [row(0, "service_minutes", 25, 1000)]
    report = report_cells(
        service="tunewave",
        week_start=MON,
        weekly_households=31,
        rows=rows,
        min_households=20,
        noise=lambda name, value: value - 2000 if name == "minutes" else value + 3,
        epsilon=1.5,
        mechanism="test",
    )
    assert report.cells == {
        "households": Cell(34, False),
        "minutes": Cell(0, False),  # clamped at zero
        "dropouts": Cell(None, True),
    }
    assert report.as_dict()["differential_privacy"] == {
        "enabled": True,
        "epsilon": 1.5,
        "mechanism": "test",
    }
    assert report_csv([report]).splitlines()[1] == "tunewave,2026-W47,households,34,false,20,1.5"


def test_opendp_laplace_noise_returns_integers_near_the_value():
    noise = LaplaceNoise(epsilon=30.0, bounds={"households": 1, "minutes": 1, "dropouts": 1})
    draws = [noise("households", 1000) for _ in range(200)]
    assert all(isinstance(d, int) for d in draws)
    assert all(abs(d - 1000) < 50 for d in draws)  # scale 0.1: far tails are ~e^-500
    with pytest.raises(ValueError):
        LaplaceNoise(epsilon=0)


def test_bar_chart_geometry():
    chart = charts.bar_chart(
        categories=["2026-W46", "2026-W47"],
        series={"tunewave": [10, None], "radiolia": [20, 5]},
        width=400,
        height=200,
    )
    assert len(chart.bars) == 3
    assert len(chart.marks) == 1
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.title == "radiolia · 2026-W46: 20"
    assert tallest.y == pytest.approx(16.0)  # 20 is the top of the axis
    assert [label.text for label in chart.y_labels] == ["0", "5", "10", "15", "20"]
    assert [e.text for e in chart.legend] == ["tunewave", "radiolia"]
    assert re.fullmatch(r"#[0-9a-f]{6}", chart.bars[0].fill)


@pytest.mark.parametrize(
    ("peak", "ticks"),
    [
        (0, ["0", "1"]),
        (1, ["0", "1"]),
        (2, ["0", "1", "2"]),
        (3, ["0", "1", "2", "3", "4", "5"]),
        (7, ["0", "2", "4", "6", "8", "10"]),
        (90, ["0", "25", "50", "75", "100"]),
    ],
)
def test_bar_chart_axis_ticks_are_whole_numbers(peak, ticks):
    chart = charts.bar_chart(categories=["2026-W47"], series={"tunewave": [peak]})
    assert [label.text for label in chart.y_labels] == ticks


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (20, 20), (21, 50), (101, 200)]
)
def test_nice_ceiling(value, ceiling):
    assert charts.nice_ceiling(value) == ceiling
