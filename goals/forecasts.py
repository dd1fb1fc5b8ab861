"""Where a numeric key result is heading: least squares over its recent check-ins,
projected to the end of its cycle (kpis.forecast), and said in one sentence.

A goal stores whether any of its counted key results is heading short of its target
(``Goal.forecast_misses``), so that its health reads the same on every page, in the
tree's filters and in the API. ``refresh_forecast_misses`` keeps it: after each
check-in, on approval (new targets), when a cycle's end moves, and in the hourly
KPI roll-up for key results checked in since its last run (check-ins made by KPIs
among them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from django.db.models import QuerySet

from goals.charts import with_unit
from goals.models import CheckIn, Goal, GoalStatus, KeyResult
from kpis.forecast import RECENT, Forecast, project

NUMERIC = (KeyResult.Kind.NUMBER, KeyResult.Kind.PERCENT, KeyResult.Kind.CURRENCY)
TOWARD = (KeyResult.Direction.INCREASE, KeyResult.Direction.DECREASE)
# recent_checkins' limit on pages that forecast: the points the fit uses.
CHECKINS_READ = RECENT
BATCH = 2000  # goals a flag update names at most


def forecastable(kr: KeyResult) -> bool:
    return kr.kind in NUMERIC and kr.direction in TOWARD


# A projection this close to the target (a share of the distance from start to
# target) is on course: a fitted line is an estimate, and 44.97 of 45 is not a miss.
TOLERANCE = 0.02


def kr_forecast(kr: KeyResult, checkins: Sequence[CheckIn], by: date) -> Forecast | None:
    """The projection of a numeric increase/decrease key result to ``by`` from its
    check-ins (any order); None for other kinds or fewer than three check-ins."""
    if not forecastable(kr):
        return None
    target = float(kr.target_value)
    slack = TOLERANCE * abs(target - float(kr.start_value))
    if kr.direction == KeyResult.Direction.INCREASE:

        def reaches(value: float) -> bool:
            return value >= target - slack
    else:

        def reaches(value: float) -> bool:
            return value <= target + slack

    return project([(c.created_at, float(c.value)) for c in checkins], by, reaches)


def forecast_sentence(kr: KeyResult, forecast: Forecast) -> str:
    """ "On course to reach 42 of 50 by 31 Dec 2026" in the key result's unit."""
    return forecast.sentence(
        with_unit(kr.target_value, kr.unit_label),
        formatter=lambda value, _unit: with_unit(round(value, 1), kr.unit_label),
        direction="lower" if kr.direction == KeyResult.Direction.DECREASE else "higher",
    )


def refresh_forecast_misses(org_id: int, goal_ids: Iterable[int] | QuerySet | None = None) -> int:
    """Store ``forecast_misses`` for the organisation's active goals among ``goal_ids``
    (ids or a query of them; None: all of them) from their counted key results' latest
    check-ins; returns how many changed. Three reads and an update per changed value,
    however many goals (each key result's latest ``CHECKINS_READ`` check-ins only)."""
    from goals.selectors import latest_checkins

    goals = Goal.objects.filter(org=org_id, status=GoalStatus.APPROVED)
    if goal_ids is not None:
        goals = goals.filter(pk__in=goal_ids if isinstance(goal_ids, QuerySet) else list(goal_ids))
    rows = list(goals.values_list("pk", "cycle__end", "forecast_misses").order_by())
    if not rows:
        return 0
    key_results = list(
        KeyResult.objects.filter(
            org=org_id,
            goal__in=goals.values("pk"),
            awaiting_approval=False,
            kind__in=NUMERIC,
            direction__in=TOWARD,
        )
        .only("pk", "goal_id", "kind", "direction", "target_value")
        .order_by()
    )
    checkins: dict[int, list[CheckIn]] = defaultdict(list)
    if key_results:
        recent = latest_checkins(
            org_id=org_id, key_results=[kr.pk for kr in key_results], limit=CHECKINS_READ
        )
        for kr_id, at, value in recent.values_list("key_result_id", "created_at", "value"):
            checkins[kr_id].append(CheckIn(created_at=at, value=value))
    ends = {pk: end for pk, end, _flag in rows}
    missing: set[int] = set()
    for kr in key_results:
        forecast = kr_forecast(kr, checkins[kr.pk], ends[kr.goal_id])
        if forecast is not None and not forecast.reaches:
            missing.add(kr.goal_id)
    changed = 0
    for flag in (True, False):
        turned = [pk for pk, _end, stored in rows if (pk in missing) is flag and stored is not flag]
        for i in range(0, len(turned), BATCH):
            # update(), not save(): the goal's last change (updated_at) counts for staleness.
            batch = turned[i : i + BATCH]
            Goal.objects.filter(org=org_id, pk__in=batch).update(forecast_misses=flag)
        changed += len(turned)
    return changed
