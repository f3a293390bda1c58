"""Care's weekly charts as plain geometry for server-rendered inline SVG (as fulfilment's chart):
the share of cases answered within the promise (TOS-27), and the distribution of first-response
times as stacked bars. Pure: figures in, shapes and labels out; the template draws them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hearth.care.rules import OVER_LABEL, RESPONSE_BUCKETS, WeekFigures

#: One colour per response-time bucket, fastest first (distinguishable in greyscale too).
COLOURS = ("#1f5f3f", "#2f8c5f", "#6fae7f", "#d9a441", "#c2632f", "#8c1f1f")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str
    colour: str = "#2f6f8c"


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    bars: list[Bar]
    x_labels: list[Label]
    y_labels: list[Label]
    value_labels: list[Label]
    gridlines: list[float]


@dataclass(frozen=True)
class LegendEntry:
    colour: str
    label: str


LEGEND = [
    LegendEntry(colour, label)
    for colour, label in zip(
        COLOURS, [label for _bound, label in RESPONSE_BUCKETS] + [OVER_LABEL], strict=True
    )
]

_LEFT, _TOP, _BOTTOM_GAP, _RIGHT_GAP = 48.0, 16.0, 36.0, 12.0


def share_chart(weeks: Sequence[WeekFigures], *, width: int = 640, height: int = 240) -> Chart:
    """Bars of the share answered within one business day, 0-100 %; a dash for an empty week."""
    left, right, bottom = _LEFT, width - _RIGHT_GAP, height - _BOTTOM_GAP
    plot_h = bottom - _TOP
    slot = (right - left) / max(1, len(weeks))
    bar_w = slot * 0.6
    bars, x_labels, values = [], [], []
    for i, week in enumerate(weeks):
        centre = left + i * slot + slot / 2
        x_labels.append(Label(centre, bottom + 16, week.week_start.strftime("%m-%d")))
        if week.share is None:
            values.append(Label(centre, bottom - 4, "–"))
            continue
        percent = round(week.share * 100)
        h = plot_h * week.share
        title = (
            f"{week.week_start:%Y-%m-%d}: {week.answered_in_time} / {week.received} ({percent} %)"
        )
        bars.append(Bar(centre - bar_w / 2, bottom - h, bar_w, h, title))
        values.append(Label(centre, bottom - h - 4, f"{percent} %"))
    grid = [bottom - plot_h * p / 100 for p in (0, 25, 50, 75, 100)]
    y_labels = [
        Label(left - 6, y + 4, f"{p} %") for p, y in zip((0, 25, 50, 75, 100), grid, strict=True)
    ]
    return Chart(width, height, left, right, bars, x_labels, y_labels, values, grid)


def distribution_chart(
    weeks: Sequence[WeekFigures], *, width: int = 640, height: int = 240
) -> Chart:
    """Stacked bars per week: how many first responses fell in each time bucket."""
    left, right, bottom = _LEFT, width - _RIGHT_GAP, height - _BOTTOM_GAP
    plot_h = bottom - _TOP
    top_count = max([sum(w.buckets) for w in weeks] + [1])
    scale = _nice_ceiling(top_count)
    slot = (right - left) / max(1, len(weeks))
    bar_w = slot * 0.6
    labels = [label for _bound, label in RESPONSE_BUCKETS] + [OVER_LABEL]
    bars, x_labels, values = [], [], []
    for i, week in enumerate(weeks):
        centre = left + i * slot + slot / 2
        x_labels.append(Label(centre, bottom + 16, week.week_start.strftime("%m-%d")))
        y = bottom
        for count, colour, label in zip(week.buckets, COLOURS, labels, strict=True):
            if not count:
                continue
            h = plot_h * count / scale
            y -= h
            bars.append(
                Bar(
                    centre - bar_w / 2,
                    y,
                    bar_w,
                    h,
                    f"{week.week_start:%Y-%m-%d} {label}: {count}",
                    colour,
                )
            )
        total = sum(week.buckets)
        values.append(Label(centre, y - 4, str(total) if total else "–"))
    steps = [0, scale // 4, scale // 2, 3 * scale // 4, scale]
    grid = [bottom - plot_h * s / scale for s in steps]
    y_labels = [Label(left - 6, g + 4, str(s)) for s, g in zip(steps, grid, strict=True)]
    return Chart(width, height, left, right, bars, x_labels, y_labels, values, grid)


def _nice_ceiling(count: int) -> int:
    """``count`` rounded up to a multiple of 4 (whole numbers on every gridline), at least 4."""
    return max(4, count + (-count % 4))
