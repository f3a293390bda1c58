"""The chart of ship-date promises kept, as plain geometry for a server-rendered inline SVG.

Pure: weeks with (promised, kept) in, bars and labels out; the template draws them. The axis is
fixed at 0-100 %, so weeks compare at a glance; a week with no promise shows a dash, not a bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hearth.fulfilment.rules import WeekPromise


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class PromiseChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    bars: list[Bar]
    x_labels: list[Label]
    y_labels: list[Label]
    value_labels: list[Label]
    gridlines: list[float]


def promise_chart(
    weeks: Sequence[WeekPromise], *, width: int = 640, height: int = 240
) -> PromiseChart:
    left, right, top, bottom = 48.0, width - 12.0, 16.0, height - 36.0
    plot_h = bottom - top
    slot = (right - left) / max(1, len(weeks))
    bar_w = slot * 0.6
    bars, x_labels, values = [], [], []
    for i, week in enumerate(weeks):
        x = left + i * slot + (slot - bar_w) / 2
        centre = left + i * slot + slot / 2
        label = week.week_start.strftime("%Y-%m-%d")
        x_labels.append(Label(centre, bottom + 16, week.week_start.strftime("%m-%d")))
        if week.share is None:
            values.append(Label(centre, bottom - 4, "–"))
            continue
        percent = round(week.share * 100)
        h = plot_h * week.share
        bars.append(
            Bar(x, bottom - h, bar_w, h, f"{label}: {week.kept} / {week.promised} ({percent} %)")
        )
        values.append(Label(centre, bottom - h - 4, f"{percent} %"))
    grid = [bottom - plot_h * p / 100 for p in (0, 25, 50, 75, 100)]
    y_labels = [
        Label(left - 6, y + 4, f"{p} %") for p, y in zip((0, 25, 50, 75, 100), grid, strict=True)
    ]
    return PromiseChart(width, height, left, right, bars, x_labels, y_labels, values, grid)
