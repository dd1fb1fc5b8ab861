"""A KPI's history chart, drawn on the server as SVG: the series, the target line
(the band for a range KPI), the amber and red threshold lines and the forecast.

No script and no style attribute (the Content-Security-Policy forbids both): colours
are SVG presentation attributes, refined by static/css/kpis.css through the classes.
The chart is a picture for those who see it; ``aria-label`` says what it shows and
the page has the plotted points as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from goals import charts as goal_charts
from goals.charts import with_unit
from kpis.forecast import Forecast
from kpis.models import Direction, Kpi

WIDTH = 640
NARROW = 340  # about a phone's card at 390 px: drawn near 1:1, labels stay readable
HEIGHT = 240
LEFT = 56  # room for the value labels, at least
CHAR_WIDTH = 8  # about, at font-size 13
RIGHT = 12
TOP = 12
BOTTOM = 28  # room for the date labels

SERIES = "#135d75"
TARGET = "#116329"
AMBER = "#8a5a00"
RED = "#a40e26"
FORECAST = "#5b3c88"


def _moment(when: date | datetime) -> float:
    if isinstance(when, datetime):
        return when.timestamp()
    return timezone.make_aware(datetime.combine(when, time())).timestamp()


def _f(value: float) -> str:
    return f"{value:.1f}"


@dataclass(frozen=True)
class HistoryChart:
    svg: SafeString
    summary: str


def _lines(kpi: Kpi) -> list[tuple[str, str, Decimal]]:
    """(css class, label, value) of the horizontal lines: target and thresholds."""
    if kpi.direction == Direction.RANGE:
        low = kpi.target_low if kpi.target_low is not None else kpi.target
        return [
            ("kpi-chart-amber", "amber", low - kpi.amber_threshold),
            ("kpi-chart-amber", "amber", kpi.target + kpi.amber_threshold),
            ("kpi-chart-red", "red", low - kpi.red_threshold),
            ("kpi-chart-red", "red", kpi.target + kpi.red_threshold),
        ]
    return [
        ("kpi-chart-target", "target", kpi.target),
        ("kpi-chart-amber", "amber", kpi.amber_threshold),
        ("kpi-chart-red", "red", kpi.red_threshold),
    ]


def _outward(low: Decimal, high: Decimal) -> tuple[Decimal, Decimal]:
    """The scale's ends rounded outwards to as many places as its span needs (408.04 ms
    and 231.23 ms become 409 ms and 231 ms; 99.16% to 100.04% becomes 99.1% to 100.1%)."""
    places = min(max(-(high - low).adjusted(), 0), 4)
    step = Decimal(1).scaleb(-places)
    return low.quantize(step, rounding=ROUND_FLOOR), high.quantize(step, rounding=ROUND_CEILING)


def value_text(kpi: Kpi, value) -> str:
    """The value in the KPI's unit. Four decimal places come from a computed mean (the
    roll-up stores four; people type fewer): shown with two, 93.97% not 93.9667%."""
    if value is None:
        return "—"
    value = Decimal(str(value))
    if value.normalize().as_tuple().exponent < -3:
        value = value.quantize(Decimal("0.01"))
    return with_unit(value, kpi.unit_label)


def history_chart(
    kpi: Kpi,
    points: Sequence[tuple[datetime, Decimal]],
    *,
    forecast: Forecast | None = None,
    dom_id: str = "kpi-chart",
) -> HistoryChart | None:
    """The chart of ``points`` (time, value), oldest first; None when there are none.

    Drawn twice: at WIDTH for wide screens and at NARROW for phones (CSS shows one),
    because a 640-wide drawing shrunk to a phone's width shrinks its labels to 6 px."""
    if not points:
        return None
    fmt = lambda v: value_text(kpi, v)  # noqa: E731
    summary = _summary(kpi, points, forecast, fmt)
    svg = _draw(
        kpi, points, forecast, dom_id=dom_id, width=WIDTH, svg_class="kpi-chart-wide", aria=summary
    )
    narrow = _draw(
        kpi,
        points,
        forecast,
        dom_id=f"{dom_id}-narrow",
        width=NARROW,
        svg_class="kpi-chart-narrow",
        aria=summary,
    )
    return HistoryChart(svg=svg + narrow, summary=summary)


def _draw(
    kpi: Kpi,
    points,
    forecast: Forecast | None,
    *,
    dom_id: str,
    width: int,
    svg_class: str,
    aria: str,
) -> SafeString:
    """One drawing of the chart, ``width`` user units wide."""
    fmt = lambda v: value_text(kpi, v)  # noqa: E731
    lines = _lines(kpi)
    values = [Decimal(v) for _, v in points] + [v for _, _, v in lines]
    if forecast is not None:
        values.append(Decimal(str(round(forecast.value, 4))))
    low, high = min(values), max(values)
    if high == low:
        high, low = high + 1, low - 1
    pad = (high - low) / 20
    low, high = _outward(low - pad, high + pad)
    if low < 0 <= min(values):  # counts and costs: no scale below zero
        low = Decimal(0)
    start = _moment(points[0][0])
    end = _moment(forecast.by) if forecast is not None else _moment(points[-1][0])
    end = max(end, _moment(points[-1][0]))
    span = (end - start) or 1.0
    hi_text, lo_text = fmt(high), fmt(low)
    left = max(LEFT, 8 + CHAR_WIDTH * max(len(hi_text), len(lo_text)))
    plot_w, plot_h = width - left - RIGHT, HEIGHT - TOP - BOTTOM

    def x(when: date | datetime) -> float:
        if len(points) == 1 and forecast is None:
            return left + plot_w / 2
        return left + (_moment(when) - start) / span * plot_w

    def y(value) -> float:
        return TOP + float((high - Decimal(str(value))) / (high - low)) * plot_h

    parts: list[SafeString] = []
    # The band of a range KPI: where it is on target.
    if kpi.direction == Direction.RANGE:
        band_low = kpi.target_low if kpi.target_low is not None else kpi.target
        parts.append(
            format_html(
                '<rect class="kpi-chart-band" x="{}" y="{}" width="{}" height="{}"'
                ' fill="#e6f4ea"></rect>',
                left,
                _f(y(kpi.target)),
                plot_w,
                _f(max(y(band_low) - y(kpi.target), 1.0)),
            )
        )
    colours = {"kpi-chart-target": TARGET, "kpi-chart-amber": AMBER, "kpi-chart-red": RED}
    labels: list[SafeString] = []  # drawn last, with a white halo, so the line never hides them
    for css, label, value in lines:
        ly = y(value)
        parts.append(
            format_html(
                '<line class="{}" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"'
                ' stroke-width="1" stroke-dasharray="{}"></line>',
                css,
                left,
                _f(ly),
                width - RIGHT,
                _f(ly),
                colours[css],
                "none" if css == "kpi-chart-target" else "6 3",
            )
        )
        labels.append(
            format_html(
                '<text class="kpi-chart-label" x="{}" y="{}" text-anchor="end"'
                ' font-size="13" fill="{}" stroke="#ffffff" stroke-width="3"'
                ' stroke-linejoin="round" paint-order="stroke">{} {}</text>',
                width - RIGHT - 2,
                _f(ly - 3),
                colours[css],
                label,
                fmt(value),
            )
        )
    # Value labels at the top and bottom of the scale, dates at both ends.
    parts.append(
        format_html(
            '<text class="kpi-chart-axis" x="{l}" y="{t}" text-anchor="end" font-size="13"'
            ' fill="#4a4f57">{hi}</text>'
            '<text class="kpi-chart-axis" x="{l}" y="{b}" text-anchor="end" font-size="13"'
            ' fill="#4a4f57">{lo}</text>'
            '<line class="kpi-chart-axis-line" x1="{x0}" y1="{yb}" x2="{x1}" y2="{yb}"'
            ' stroke="#c5c9cf" stroke-width="1"></line>'
            '<text class="kpi-chart-axis" x="{x0}" y="{dy}" font-size="13" fill="#4a4f57">'
            "{first}</text>"
            '<text class="kpi-chart-axis" x="{x1}" y="{dy}" text-anchor="end" font-size="13"'
            ' fill="#4a4f57">{last}</text>',
            l=left - 4,
            t=TOP + 8,
            b=TOP + plot_h,
            hi=hi_text,
            lo=lo_text,
            x0=left,
            x1=width - RIGHT,
            yb=TOP + plot_h,
            dy=HEIGHT - 8,
            first=date_format(timezone.localtime(points[0][0]).date(), "j M Y"),
            last=date_format(
                forecast.by if forecast else timezone.localtime(points[-1][0]).date(), "j M Y"
            ),
        )
    )
    coords = " ".join(f"{x(w):.1f},{y(v):.1f}" for w, v in points)
    parts.append(
        format_html(
            '<polyline class="kpi-chart-line" points="{}" fill="none" stroke="{}"'
            ' stroke-width="2" stroke-linejoin="round" stroke-linecap="round"></polyline>',
            coords,
            SERIES,
        )
    )
    parts.append(
        format_html_join(
            "",
            '<circle class="kpi-chart-point" cx="{}" cy="{}" r="2.5" fill="' + SERIES + '">'
            "</circle>",
            ((_f(x(w)), _f(y(v))) for w, v in points),
        )
    )
    if forecast is not None:
        last_when, last_value = points[-1]
        parts.append(
            format_html(
                '<line class="kpi-chart-forecast" x1="{}" y1="{}" x2="{}" y2="{}"'
                ' stroke="{}" stroke-width="2" stroke-dasharray="5 4"></line>',
                _f(x(last_when)),
                _f(y(last_value)),
                _f(x(forecast.by)),
                _f(y(round(forecast.value, 4))),
                FORECAST,
            )
        )
    parts += labels
    return format_html(
        '<svg class="kpi-chart {css}" id="{id}" viewBox="0 0 {w} {h}" role="img"'
        ' aria-label="{label}" focusable="false" preserveAspectRatio="xMidYMid meet">{body}</svg>',
        css=svg_class,
        id=dom_id,
        w=width,
        h=HEIGHT,
        label=aria,
        body=SafeString("".join(parts)),
    )


def _summary(kpi: Kpi, points, forecast: Forecast | None, fmt) -> str:
    count = len(points)
    first = date_format(timezone.localtime(points[0][0]).date(), "j M Y")
    last = date_format(timezone.localtime(points[-1][0]).date(), "j M Y")
    noun = "measurement" if count == 1 else "measurements"
    if count == 1:
        text = f"{kpi.name}: 1 {noun}, {fmt(points[0][1])} on {first}"
    else:
        text = (
            f"{kpi.name}: {count} {noun} from {first} to {last}, "
            f"from {fmt(points[0][1])} to {fmt(points[-1][1])}"
        )
    if kpi.direction == Direction.RANGE:
        low = kpi.target_low if kpi.target_low is not None else kpi.target
        text += f"; target range {fmt(low)} to {fmt(kpi.target)}"
    else:
        text += (
            f"; target {fmt(kpi.target)}, amber at {fmt(kpi.amber_threshold)}, "
            f"red at {fmt(kpi.red_threshold)}"
        )
    if forecast is not None:
        text += f"; forecast {fmt(round(forecast.value, 1))} by {date_format(forecast.by, 'j M Y')}"
    return text + "."


def sparkline(kpi: Kpi, history: Sequence[tuple[datetime, Decimal]]):
    """The list's small chart of a KPI's recent values (goals.charts' sparkline)."""
    fmt = lambda v: value_text(kpi, v)  # noqa: E731
    chart = goal_charts.sparkline(
        history, target=kpi.target, dom_id=f"kpi-spark-{kpi.pk}", title=kpi.name, fmt=fmt
    )
    if chart is None:
        return None
    count = len(history)
    if count == 1:
        summary = f"1 recent value: {fmt(history[0][1])}; target {fmt(kpi.target)}"
    else:
        summary = (
            f"Last {count} values from {fmt(history[0][1])} to {fmt(history[-1][1])}; "
            f"target {fmt(kpi.target)}"
        )
    return replace(chart, summary=summary)
