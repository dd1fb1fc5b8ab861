"""Where a series is heading: least squares over its recent points, to a date.

Plain statistics that explain themselves: the fitted line through the last
``RECENT`` points (at least ``MIN_POINTS``), its value at the end date, and whether
that reaches the target. Used for KPIs (their measurements) and numeric key
results (their check-ins), projected to the end of the cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.formats import date_format

MIN_POINTS = 3
RECENT = 12


@dataclass(frozen=True)
class Forecast:
    value: float  # projected value on ``by``
    by: date
    slope_per_day: float
    points: int
    reaches: bool  # the projection reaches the target

    def sentence(
        self, target_text: str, *, unit: str = "", formatter=None, direction: str = "higher"
    ) -> str:
        """ "On course to reach 42 of 50 by 31 Dec 2026" (or "for only …: at risk").

        Where lower is better (``direction="lower"``) or a range is the aim ("range",
        ``target_text`` the range), "reach 240 ms of 250 ms" would read wrong: the
        sentence says which side of the target the projection lands instead."""
        fmt = formatter or _plain
        projected = fmt(self.value, unit)
        when = date_format(self.by, "j M Y")
        if direction == "lower":
            side = "below" if self.reaches else "above"
            said = f"On course for {projected} by {when}, {side} the {target_text} target"
        elif direction == "range":
            side = "inside" if self.reaches else "outside"
            said = f"On course for {projected} by {when}, {side} the range {target_text}"
        elif self.reaches:
            return f"On course to reach {projected} of {target_text} by {when}"
        else:
            return f"On course for only {projected} of {target_text} by {when}: at risk"
        return said if self.reaches else f"{said}: at risk"


def _plain(value: float, unit: str) -> str:
    text = f"{value:,.1f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


def _day(moment: date | datetime) -> float:
    """Days since the epoch, with the time of day as a fraction."""
    if isinstance(moment, datetime):
        return moment.timestamp() / 86400
    return datetime(moment.year, moment.month, moment.day).timestamp() / 86400


def fit(points: Sequence[tuple[date | datetime, float]]) -> tuple[float, float] | None:
    """Least-squares slope (per day) and intercept through the points; None when
    fewer than MIN_POINTS or all at one time."""
    if len(points) < MIN_POINTS:
        return None
    xs = [_day(when) for when, _ in points]
    ys = [float(value) for _, value in points]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return slope, mean_y - slope * mean_x


def project(
    points: Sequence[tuple[date | datetime, float]],
    by: date,
    reaches: callable,
) -> Forecast | None:
    """Fit the most recent points (oldest first) and project to ``by``.

    ``reaches(value) -> bool`` says whether a projected value meets the target.
    """
    recent = sorted(points, key=lambda p: _day(p[0]))[-RECENT:]
    line = fit(recent)
    if line is None:
        return None
    slope, intercept = line
    value = slope * _day(by) + intercept
    return Forecast(
        value=value, by=by, slope_per_day=slope, points=len(recent), reaches=bool(reaches(value))
    )
