"""Visitor statistics charts as plain geometry for server-rendered inline SVG (no JavaScript).

Pure: values in, rectangles and labels out; the template draws them. Views per day are columns
(``hearth.devices.charts.bar_chart``); a top list is horizontal bars with its keys as labels.
"""

from __future__ import annotations

from dataclasses import dataclass

from hearth.devices.charts import nice_ceiling

MAX_LABEL = 48


@dataclass(frozen=True)
class HBar:
    y: float
    width: float
    text_y: float
    value_x: float
    label: str
    value: str
    title: str


@dataclass(frozen=True)
class HBarChart:
    width: int
    height: int
    plot_left: float
    label_x: float
    bar_height: float
    bars: list[HBar]


def hbar_chart(rows: list[tuple[str, int]], *, width: int = 760, row_h: int = 22) -> HBarChart:
    left, right = 300.0, width - 70.0
    peak = nice_ceiling(max((n for _, n in rows), default=0))
    bars = []
    for i, (label, n) in enumerate(rows):
        shown = label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"
        y, w = 8.0 + i * row_h, (right - left) * n / peak
        bars.append(
            HBar(
                y=y,
                width=w,
                text_y=y + row_h * 0.55,
                value_x=left + w + 4,
                label=shown,
                value=f"{n:,}",
                title=f"{label}: {n:,}",
            )
        )
    return HBarChart(width, 16 + row_h * max(1, len(rows)), left, left - 6, row_h * 0.7, bars)


@dataclass(frozen=True)
class Column:
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
class ColumnChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    columns: list[Column]
    x_labels: list[Label]
    y_labels: list[Label]
    gridlines: list[float]


def column_chart(
    points: list[tuple[str, int]], *, width: int = 760, height: int = 260, max_labels: int = 10
) -> ColumnChart:
    """One column per point (a day), a 0..nice-max axis, at most ``max_labels`` x labels."""
    left, right, top, bottom = 64.0, width - 12.0, 16.0, height - 36.0
    peak = nice_ceiling(max((n for _, n in points), default=0))
    slot = (right - left) / max(1, len(points))
    every = max(1, -(-len(points) // max_labels))
    columns, x_labels = [], []
    for i, (label, n) in enumerate(points):
        h = (bottom - top) * n / peak
        x = left + i * slot + slot * 0.1
        columns.append(Column(x, bottom - h, slot * 0.8, h, f"{label}: {n:,}"))
        if i % every == 0:
            x_labels.append(Label(left + (i + 0.5) * slot, bottom + 18, label))
    divisions = next(d for d in (4, 5, 2, 1) if peak % d == 0)
    gridlines = [bottom - (bottom - top) * i / divisions for i in range(divisions + 1)]
    y_labels = [
        Label(left - 6, y + 4, f"{peak * i // divisions:,}") for i, y in enumerate(gridlines)
    ]
    return ColumnChart(width, height, left, right, columns, x_labels, y_labels, gridlines)
