"""Numeric key results projected to their cycle's end, the sentence on the goal page,
"at risk" when the projection misses, and key results that follow a KPI."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from core.periodic import run_job
from core.tenancy import tenant_context
from goals.forecasts import forecast_sentence, kr_forecast, refresh_forecast_misses
from goals.health import FORECAST_MISSES, health
from goals.models import CheckIn, Goal, GoalStatus, KeyResult
from kpis.forecast import Forecast
from kpis.models import Kpi, Measurement
from tests.factories import GoalFactory

START = date(2026, 1, 1)
END = START + timedelta(days=100)
NOW = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)


def projection(reaches: bool) -> Forecast:
    return Forecast(value=1.0, by=END, slope_per_day=0.1, points=3, reaches=reaches)


def badge(*, progress, forecasts=(), confidence=""):
    goal = Goal(
        status=GoalStatus.APPROVED, progress=progress, confidence=confidence, last_checkin_at=NOW
    )
    return health(
        goal,
        cycle_start=START,
        cycle_end=END,
        cadence="weekly",
        today=START + timedelta(days=50),
        now=NOW,
        forecasts=forecasts,
    )


def test_an_on_track_goal_whose_projection_misses_is_at_risk():
    result = badge(progress=0.5, forecasts=[projection(True), projection(False)])
    assert (result.code, result.label) == ("at_risk", "At risk")
    assert result.reason == FORECAST_MISSES


def test_projections_that_reach_or_are_missing_keep_it_on_track():
    assert badge(progress=0.5, forecasts=[projection(True), None]).code == "on_track"
    assert badge(progress=0.5).code == "on_track"
    assert badge(progress=0.5).reason == ""


def test_a_goal_already_off_track_stays_off_track_whatever_the_projection():
    assert badge(progress=0.0, forecasts=[projection(False)]).code == "off_track"
    assert badge(progress=0.5, forecasts=[projection(False)], confidence="low").reason == ""


def kr(**fields):
    return KeyResult(
        kind=fields.pop("kind", "number"),
        direction=fields.pop("direction", "increase"),
        start_value=D(0),
        target_value=fields.pop("target_value", D(50)),
        **fields,
    )


def checkins(*points):
    return [CheckIn(created_at=at, value=D(v)) for at, v in points]


def test_the_projection_follows_the_least_squares_line_to_the_cycles_end():
    base = datetime(2026, 12, 1, 12, tzinfo=UTC)
    history = checkins((base, 10), (base + timedelta(days=10), 20), (base + timedelta(days=20), 30))
    forecast = kr_forecast(kr(), history, date(2026, 12, 31))
    assert forecast.value == pytest.approx(39.5, abs=0.1)
    assert not forecast.reaches
    assert kr_forecast(kr(target_value=D(30)), history, date(2026, 12, 31)).reaches
    down = kr_forecast(kr(direction="decrease"), history, date(2026, 12, 31))
    assert down.reaches  # 39.5 is at most 50


def test_the_sentence_says_which_side_of_a_lower_target_the_projection_lands():
    base = datetime(2026, 12, 1, 12, tzinfo=UTC)
    falling = checkins((base, 60), (base + timedelta(days=10), 50), (base + timedelta(days=20), 40))
    goal_kr = kr(direction="decrease", target_value=D(25), unit_label="ms")
    forecast = kr_forecast(goal_kr, falling, date(2026, 12, 31))
    # Not "On course to reach 30.5 ms of 25 ms", which reads as if more were better.
    assert forecast_sentence(goal_kr, forecast) == (
        "On course for 30.5 ms by 31 Dec 2026, above the 25 ms target: at risk"
    )
    goal_kr.target_value = D(35)
    forecast = kr_forecast(goal_kr, falling, date(2026, 12, 31))
    assert forecast_sentence(goal_kr, forecast) == (
        "On course for 30.5 ms by 31 Dec 2026, below the 35 ms target"
    )


def test_two_check_ins_or_a_boolean_give_no_projection():
    base = datetime(2026, 12, 1, tzinfo=UTC)
    assert kr_forecast(kr(), checkins((base, 1), (base, 2)), date(2026, 12, 31)) is None
    three = checkins((base, 0), (base + timedelta(days=1), 1), (base + timedelta(days=2), 1))
    assert kr_forecast(kr(kind="boolean"), three, date(2026, 12, 31)) is None
    assert kr_forecast(kr(direction="stay_above"), three, date(2026, 12, 31)) is None


def page(cast, login, goal):
    url = reverse("goals:goal_detail", args=[cast.org.slug, goal.pk])
    return login(cast.admin).get(url).content.decode()


def test_the_goal_page_says_where_a_key_result_is_heading_and_flags_the_goal(cast, login):
    goal = GoalFactory(
        owner=cast.admin,
        status=GoalStatus.APPROVED,
        key_results=[{"title": "Customers", "start_value": D(0), "target_value": D(1000)}],
    )
    with tenant_context(cast.org.pk):
        cycle_end = goal.cycle.end
        key_result = KeyResult.objects.get(goal=goal)
        now = timezone.now()
        for days, value in ((20, 100), (10, 110), (1, 120)):
            CheckIn.objects.create(
                org=cast.org,
                key_result=key_result,
                goal=goal,
                value=D(value),
                created_at=now - timedelta(days=days),
            )
        # On pace by its stored number: only the projection puts it at risk.
        Goal.objects.filter(pk=goal.pk).update(progress=0.6, last_checkin_at=now)
        # Written behind the services' back: the goal's flag is refreshed as the hourly
        # roll-up refreshes it for goals checked in since its last run.
        refresh_forecast_misses(cast.org.pk, [goal.pk])
    html = page(cast, login, goal)
    assert "On course for only" in html
    assert f"of 1,000 by {cycle_end.day} {cycle_end:%b %Y}: at risk" in html
    assert "At risk although on pace" in html


def test_a_kpi_driven_key_result_says_so_in_why_and_in_its_history(cast, login):
    goal = GoalFactory(
        owner=cast.admin,
        status=GoalStatus.APPROVED,
        key_results=[{"title": "Signups", "start_value": D(0), "target_value": D(100)}],
    )
    with tenant_context(cast.org.pk):
        kpi = Kpi.objects.create(
            org=cast.org,
            owner=cast.admin,
            name="Weekly signups",
            target=D(100),
            amber_threshold=D(80),
            red_threshold=D(50),
            cadence="weekly",
            aggregation="sum",
        )
        at = timezone.now() - timedelta(minutes=5)
        Measurement.objects.create(org=cast.org, kpi=kpi, value=D(30), measured_at=at)
        Measurement.objects.create(org=cast.org, kpi=kpi, value=D(12), measured_at=at)
        key_result = KeyResult.objects.get(goal=goal)
        KeyResult.objects.filter(pk=key_result.pk).update(kpi=kpi)
    run_job("kpi_rollup", cast.org.pk, trigger="manual")
    html = page(cast, login, goal)
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    assert f"Follows KPI “Weekly signups”: latest value 42 for the week of {monday.day} " in html
    assert "42%" in html
    history = login(cast.admin).get(
        reverse("goals:kr_history", args=[cast.org.slug, key_result.pk])
    )
    assert "KPI “Weekly signups”" in history.content.decode()
    assert "Recorded by KPI “Weekly signups”" in history.content.decode()


def test_the_goal_page_draws_progress_over_the_cycle_with_a_table(cast, login):
    goal = GoalFactory(owner=cast.admin, status=GoalStatus.APPROVED, key_results=1)
    with tenant_context(cast.org.pk):
        Goal.objects.filter(pk=goal.pk).update(progress=0.25)
    yesterday = timezone.now() - timedelta(days=1)
    run_job("snapshots", cast.org.pk, trigger="manual", now=yesterday + timedelta(days=0))
    with tenant_context(cast.org.pk):
        Goal.objects.filter(pk=goal.pk).update(progress=0.5)
    html = page(cast, login, goal)
    assert 'class="progress-chart"' in html and 'role="img"' in html
    assert "Progress by day, as a table" in html
    assert '<td class="num">25%</td>' in html and '<td class="num">50%</td>' in html


@pytest.mark.parametrize(
    ("direction", "start", "target", "last", "reaches"),
    [
        # A line ending at 98.5 of 100 (start 0) is within 2% of the way: on course.
        ("increase", 0, 100, "98.5", True),
        ("increase", 0, 100, "97.5", False),
        # Decreasing from 50 to 10: the way is 40, so 2% is 0.8.
        ("decrease", 50, 10, "10.7", True),
        ("decrease", 50, 10, "10.9", False),
    ],
)
def test_a_projection_within_two_percent_of_the_way_is_on_course(
    direction, start, target, last, reaches
):
    kr = KeyResult(
        kind=KeyResult.Kind.NUMBER,
        direction=direction,
        start_value=D(start),
        target_value=D(target),
    )
    # Three check-ins on a flat line at ``last``: the projection is ``last``.
    checkins = [
        CheckIn(value=D(last), created_at=datetime(2026, 1, day, tzinfo=UTC)) for day in (1, 8, 15)
    ]
    forecast = kr_forecast(kr, checkins, END)
    assert round(forecast.value, 6) == float(last)
    assert forecast.reaches is reaches
