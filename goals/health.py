"""On track / at risk / off track, and stale: computed when read, never stored.

Expected progress is the share of the cycle elapsed. A goal is on track when its
progress is at most 10 points behind that and its latest confidence is not low;
at risk when at most 25 points behind (or on pace with low confidence); off track
otherwise. A goal on track whose numeric key result is projected (least squares over
its recent check-ins, at least three, goals.forecasts) to miss its target by the
cycle's end is at risk too: the goal stores that (``Goal.forecast_misses``, kept by
goals.forecasts), so every page, filter and the API agree. It is stale when nobody
checked in within the organisation's cadence (counted from the goal's last change,
its updated_at, when there was never a check-in: approving is such a change, and so
is any later edit; the tree's "stale" filter in goals.selectors counts the same way).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from goals.models import Confidence, Goal, GoalStatus, elapsed_share

CADENCE_DAYS = {"weekly": 7, "fortnightly": 14, "monthly": 31}
ON_TRACK_GAP = 0.10
AT_RISK_GAP = 0.25
FORECAST_MISSES = "a key result's trend misses its target by the cycle's end"


@dataclass(frozen=True)
class Health:
    code: str  # on_track, at_risk, off_track, done, not_started, cancelled
    label: str
    expected: float
    stale: bool
    # Why an otherwise on-track goal is at risk: a key result's projection misses.
    reason: str = ""

    @property
    def expected_percent(self) -> int:
        return round(self.expected * 100)


def health(
    goal: Goal,
    *,
    cycle_start: date,
    cycle_end: date,
    cadence: str,
    today: date | None = None,
    now: datetime | None = None,
    forecasts: Iterable | None = None,
) -> Health:
    """``forecasts``: the projections (kpis.forecast.Forecast) of its counted key
    results, None for those with fewer than three check-ins; when not given, the
    goal's stored ``forecast_misses``."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    expected = elapsed_share(cycle_start, cycle_end, today)
    if goal.status == GoalStatus.COMPLETED:
        return Health("done", "Completed", expected, False)
    if goal.status == GoalStatus.CANCELLED:
        return Health("cancelled", "Cancelled", expected, False)
    if goal.status != GoalStatus.APPROVED:
        return Health("not_started", "Not active yet", expected, False)
    gap = expected - goal.progress
    low = goal.confidence == Confidence.LOW
    if gap <= ON_TRACK_GAP and not low:
        code, label = "on_track", "On track"
    elif gap <= AT_RISK_GAP:
        code, label = "at_risk", "At risk"
    else:
        code, label = "off_track", "Off track"
    reason = ""
    if forecasts is None:
        misses = goal.forecast_misses
    else:
        misses = any(f is not None and not f.reaches for f in forecasts)
    if code == "on_track" and misses:
        code, label = "at_risk", "At risk"
        reason = FORECAST_MISSES
    since = goal.last_checkin_at or goal.updated_at
    stale = since is not None and now - since > timedelta(days=CADENCE_DAYS.get(cadence, 7))
    return Health(code, label, expected, stale, reason)


def health_for(goal: Goal, org, forecasts: Iterable | None = None) -> Health:
    """Health of a goal whose cycle is loaded (select_related("cycle"))."""
    return health(
        goal,
        cycle_start=goal.cycle.start,
        cycle_end=goal.cycle.end,
        cadence=org.checkin_cadence,
        forecasts=forecasts,
    )
