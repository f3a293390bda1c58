"""The weekly charts' geometry (pure): bars scale to the plot, empty weeks show a dash."""

from __future__ import annotations

import datetime as dt

from hearth.care import charts
from hearth.care.rules import WeekFigures

WEEK = dt.date(2026, 11, 2)


def week(received: int, in_time: int, buckets: tuple[int, ...]) -> WeekFigures:
    return WeekFigures(WEEK, received, in_time, received - sum(buckets), buckets)


def test_the_share_chart_draws_a_bar_per_week_with_cases_and_a_dash_otherwise() -> None:
    chart = charts.share_chart([week(4, 3, (1, 1, 1, 0, 0, 0)), week(0, 0, (0,) * 6)])

    (bar,) = chart.bars
    assert bar.height == (240 - 36 - 16) * 0.75
    assert bar.title.endswith("3 / 4 (75 %)")
    assert [label.text for label in chart.value_labels] == ["75 %", "–"]


def test_the_distribution_stacks_one_segment_per_non_empty_bucket() -> None:
    chart = charts.distribution_chart([week(5, 2, (2, 0, 1, 0, 0, 2))])

    assert [bar.colour for bar in chart.bars] == [
        charts.COLOURS[0],
        charts.COLOURS[2],
        charts.COLOURS[5],
    ]
    assert sum(bar.height for bar in chart.bars) == (240 - 36 - 16) * 5 / 8
    assert [label.text for label in chart.y_labels] == ["0", "2", "4", "6", "8"]
