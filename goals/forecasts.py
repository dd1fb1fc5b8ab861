"""Where a numeric key result is heading: least squares over its recent check-ins,
projected to the end of its cycle (kpis.forecast), and said in one sentence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from goals.charts import with_unit
from goals.models import CheckIn, KeyResult
from kpis.forecast import RECENT, Forecast, project

NUMERIC = (KeyResult.Kind.NUMBER, KeyResult.Kind.PERCENT, KeyResult.Kind.CURRENCY)
TOWARD = (KeyResult.Direction.INCREASE, KeyResult.Direction.DECREASE)
# recent_checkins' limit on pages that forecast: the points the fit uses.
CHECKINS_READ = RECENT


def forecastable(kr: KeyResult) -> bool:
    return kr.kind in NUMERIC and kr.direction in TOWARD


def kr_forecast(kr: KeyResult, checkins: Sequence[CheckIn], by: date) -> Forecast | None:
    """The projection of a numeric increase/decrease key result to ``by`` from its
    check-ins (any order); None for other kinds or fewer than three check-ins."""
    if not forecastable(kr):
        return None
    target = float(kr.target_value)
    if kr.direction == KeyResult.Direction.INCREASE:

        def reaches(value: float) -> bool:
            return value >= target
    else:

        def reaches(value: float) -> bool:
            return value <= target

    return project([(c.created_at, float(c.value)) for c in checkins], by, reaches)


def forecast_sentence(kr: KeyResult, forecast: Forecast) -> str:
    """ "On course to reach 42 of 50 by 31 Dec 2026" in the key result's unit."""
    return forecast.sentence(
        with_unit(kr.target_value, kr.unit_label),
        formatter=lambda value, _unit: with_unit(round(value, 1), kr.unit_label),
        direction="lower" if kr.direction == KeyResult.Direction.DECREASE else "higher",
    )
