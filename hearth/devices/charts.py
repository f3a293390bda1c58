"""Grouped bar charts as plain geometry, for server-rendered inline SVG (no JavaScript).

Pure: categories (weeks) and series (one list of values per music service, None where a cell
was suppressed) in, rectangles and labels out; the template draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

PALETTE = ("#8c4a2f", "#2f6f8c", "#6b8c2f", "#8c2f6b", "#c08a1e", "#4a4a8c", "#2f8c6b", "#777777")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Mark:
    """Where a suppressed cell would have been."""

    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class LegendEntry:
    x: float
    y: float
    fill: str
    text: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_left: float
    plot_bottom: float
    plot_right: float
    bars: list[Bar]
    marks: list[Mark]
    x_labels: list[Label]
    y_labels: list[Label]
    gridlines: list[float]
    legend: list[LegendEntry]


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def bar_chart(
    *,
    categories: list[str],
    series: dict[str, list[int | None]],
    width: int = 760,
    height: int = 280,
) -> BarChart:
    """One group of bars per category, one bar per series, with a 0..nice-max y axis."""
    for name, values in series.items():
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(categories)}")
    left, right, top, bottom = 64.0, width - 140.0, 16.0, height - 36.0
    peak = max((v for values in series.values() for v in values if v is not None), default=0)
    top_value = nice_ceiling(peak)
    plot_h = bottom - top
    group_w = (right - left) / max(1, len(categories))
    bar_w = max(1.0, (group_w * 0.8) / max(1, len(series)))
    bars: list[Bar] = []
    marks: list[Mark] = []
    for s_index, (name, values) in enumerate(series.items()):
        fill = PALETTE[s_index % len(PALETTE)]
        for c_index, value in enumerate(values):
            x = left + c_index * group_w + group_w * 0.1 + s_index * bar_w
            label = f"{name} · {categories[c_index]}"
            if value is None:
                marks.append(Mark(x=x + bar_w / 2, y=bottom - 6, title=label))
                continue
            h = plot_h * value / top_value
            bars.append(
                Bar(x=x, y=bottom - h, width=bar_w, height=h, fill=fill, title=f"{label}: {value}")
            )
    y_labels = []
    gridlines = []
    # Whole-number ticks only: quarters where they divide evenly (20 → 0,5,..,20), else fifths
    # (10 → 0,2,..,10), else halves (2 → 0,1,2), else just 0 and the top (1).
    divisions = next(d for d in (4, 5, 2, 1) if top_value % d == 0)
    for i in range(divisions + 1):
        value = top_value * i // divisions
        y = bottom - plot_h * i / divisions
        gridlines.append(y)
        y_labels.append(Label(x=left - 6, y=y + 4, text=f"{value:,}"))
    x_labels = [
        Label(x=left + (i + 0.5) * group_w, y=bottom + 18, text=text)
        for i, text in enumerate(categories)
    ]
    legend = [
        LegendEntry(x=right + 16, y=top + 18 * i, fill=PALETTE[i % len(PALETTE)], text=name)
        for i, name in enumerate(series)
    ]
    return BarChart(
        width=width,
        height=height,
        plot_left=left,
        plot_bottom=bottom,
        plot_right=right,
        bars=bars,
        marks=marks,
        x_labels=x_labels,
        y_labels=y_labels,
        gridlines=gridlines,
        legend=legend,
    )
