"""Small charts drawn on the server as SVG: a key result's check-in history and a
goal's (or the organisation's) progress over its cycle.

No script and no style attribute (the Content-Security-Policy forbids both):
the colours are SVG presentation attributes, which static/css/checkins.css may
refine through the classes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from core.formatting import number, percent

WIDTH = 160
HEIGHT = 40
PAD = 4  # keeps the line and the last point's dot inside the box


def with_unit(value: Decimal | float | int, unit_label: str = "") -> str:
    """74 and "%" -> "74%", 74 and "teams" -> "74 teams", 74 and "$" -> "$74"."""
    text = number(value)
    if not unit_label:
        return text
    if unit_label == "%":
        return f"{text}%"
    if len(unit_label) == 1 and not unit_label.isalnum():
        return f"{unit_label}{text}"  # a currency sign
    return f"{text} {unit_label}"


@dataclass(frozen=True)
class Sparkline:
    """A line of values over time with the target as a dashed line."""

    dom_id: str
    title: str
    summary: str  # the text alternative, also shown under the chart
    points: tuple[tuple[float, float], ...]  # (x, y) in the SVG's coordinates
    target_y: float

    @property
    def svg(self) -> SafeString:
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)
        last_x, last_y = self.points[-1]
        dots = format_html_join(
            "",
            '<circle class="sparkline-point" cx="{}" cy="{}" r="2"></circle>',
            ((f"{x:.1f}", f"{y:.1f}") for x, y in self.points),
        )
        return format_html(
            '<svg class="sparkline" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img"'
            ' aria-labelledby="{id}-title {id}-desc" focusable="false">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{summary}</desc>'
            '<line class="sparkline-target" x1="0" y1="{ty}" x2="{w}" y2="{ty}"'
            ' stroke="#8a5a00" stroke-width="1" stroke-dasharray="4 3"></line>'
            '<polyline class="sparkline-line" points="{coords}" fill="none" stroke="#135d75"'
            ' stroke-width="2" stroke-linejoin="round" stroke-linecap="round"></polyline>'
            '<g class="sparkline-points" fill="#135d75">{dots}</g>'
            '<circle class="sparkline-last" cx="{lx}" cy="{ly}" r="3.5" fill="#135d75"'
            ' stroke="#ffffff" stroke-width="1.5"></circle>'
            "</svg>",
            w=WIDTH,
            h=HEIGHT,
            id=self.dom_id,
            title=self.title,
            summary=self.summary,
            ty=f"{self.target_y:.1f}",
            coords=coords,
            dots=dots,
            lx=f"{last_x:.1f}",
            ly=f"{last_y:.1f}",
        )


def sparkline(
    history: Sequence[tuple[datetime, Decimal]],
    *,
    target: Decimal,
    dom_id: str,
    title: str,
    fmt: Callable[[Decimal], str] = number,
    total: int = 0,
) -> Sparkline | None:
    """The chart of ``history`` (time, value), oldest first; None when there is none.

    ``total``: how many check-ins there are in all when ``history`` holds only the latest.
    """
    if not history:
        return None
    values = [value for _, value in history]
    low, high = min(*values, target), max(*values, target)
    span = (high - low) or Decimal(1)

    def y(value: Decimal) -> float:
        return PAD + float((high - value) / span) * (HEIGHT - 2 * PAD)

    first, last = history[0][0], history[-1][0]
    seconds = (last - first).total_seconds()
    count = len(history)
    points = []
    for index, (when, value) in enumerate(history):
        if count == 1:
            share = 0.5
        elif seconds > 0:
            share = (when - first).total_seconds() / seconds
        else:  # all at the same moment: spread them evenly
            share = index / (count - 1)
        points.append((PAD + share * (WIDTH - 2 * PAD), y(value)))
    noun = "check-in" if count == 1 else "check-ins"
    if total > count:
        summary = (
            f"{total:,} check-ins, the latest {count} from {fmt(values[0])} to "
            f"{fmt(values[-1])}; target {fmt(target)}"
        )
    elif count == 1:
        summary = f"1 {noun}: {fmt(values[0])}; target {fmt(target)}"
    else:
        summary = f"{count} {noun} from {fmt(values[0])} to {fmt(values[-1])}; target {fmt(target)}"
    return Sparkline(
        dom_id=dom_id, title=title, summary=summary, points=tuple(points), target_y=y(target)
    )


# The progress-over-time chart: wide enough to read a quarter's days, scaled to the
# width of its container by CSS (viewBox), so it fits a phone.
LINE_WIDTH = 600
LINE_HEIGHT = 160
LINE_PAD = 24


@dataclass(frozen=True)
class ProgressChart:
    """Progress (0..1) by day over a cycle, with the expected pace as a dashed line;
    ``rows`` are the table alternative (day, percent text)."""

    dom_id: str
    title: str
    summary: str
    points: tuple[tuple[float, float], ...]
    rows: tuple[tuple[date, str], ...]

    @property
    def svg(self) -> SafeString:
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)
        last_x, last_y = self.points[-1]
        bottom, top = LINE_HEIGHT - LINE_PAD, LINE_PAD / 2
        grid = format_html_join(
            "",
            '<line class="progress-chart-grid" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#d0d5db"'
            ' stroke-width="1"></line><text class="progress-chart-label" x="2" y="{}"'
            ' font-size="10" fill="#55606b">{}%</text>',
            (
                (LINE_PAD, f"{y:.1f}", LINE_WIDTH - 4, f"{y:.1f}", f"{y + 3:.1f}", share)
                for share, y in ((s, bottom - (bottom - top) * s / 100) for s in (0, 50, 100))
            ),
        )
        return format_html(
            '<svg class="progress-chart" viewBox="0 0 {w} {h}" role="img"'
            ' aria-labelledby="{id}-title {id}-desc" focusable="false"'
            ' preserveAspectRatio="xMidYMid meet">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{summary}</desc>'
            "{grid}"
            '<line class="progress-chart-expected" x1="{x0}" y1="{bottom}" x2="{x1}" y2="{top}"'
            ' stroke="#8a5a00" stroke-width="1" stroke-dasharray="4 3"></line>'
            '<polyline class="progress-chart-line" points="{coords}" fill="none"'
            ' stroke="#135d75" stroke-width="2" stroke-linejoin="round"'
            ' stroke-linecap="round"></polyline>'
            '<circle class="progress-chart-last" cx="{lx}" cy="{ly}" r="4" fill="#135d75"'
            ' stroke="#ffffff" stroke-width="1.5"></circle>'
            "</svg>",
            w=LINE_WIDTH,
            h=LINE_HEIGHT,
            id=self.dom_id,
            title=self.title,
            summary=self.summary,
            grid=grid,
            x0=LINE_PAD,
            x1=LINE_WIDTH - 4,
            bottom=f"{bottom:.1f}",
            top=f"{top:.1f}",
            coords=coords,
            lx=f"{last_x:.1f}",
            ly=f"{last_y:.1f}",
        )


def progress_chart(
    history: Sequence[tuple[date, float]],
    *,
    start: date,
    end: date,
    dom_id: str,
    title: str,
) -> ProgressChart | None:
    """The chart of (day, progress 0..1), oldest first, placed on the days start..end
    (points outside are dropped); None when nothing falls inside."""
    inside = [(day, value) for day, value in history if start <= day <= end]
    if not inside:
        return None
    days = max((end - start).days, 1)
    bottom, top = LINE_HEIGHT - LINE_PAD, LINE_PAD / 2
    left, right = LINE_PAD, LINE_WIDTH - 4
    points = tuple(
        (
            left + (right - left) * (day - start).days / days,
            bottom - (bottom - top) * min(max(value, 0.0), 1.0),
        )
        for day, value in inside
    )
    first, last = inside[0], inside[-1]
    if len(inside) == 1:
        summary = f"{percent(last[1])} on {_day(last[0])}"
    else:
        summary = (
            f"From {percent(first[1])} on {_day(first[0])} to {percent(last[1])} on "
            f"{_day(last[0])}; the dashed line is the expected pace to 100% on {_day(end)}"
        )
    rows = tuple((day, percent(value)) for day, value in inside)
    return ProgressChart(dom_id, title, summary, points, rows)


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"
