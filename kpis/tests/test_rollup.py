"""The hourly KPI roll-up: period values, child roll-ups, key results following KPIs,
and the goal recompute that repairs drifted progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.models import JobRun
from core.periodic import run_job
from core.tenancy import tenant_context
from goals.models import CheckIn, EventKind, Goal, GoalEvent, GoalStatus, KeyResult
from kpis.models import Kpi, Measurement, PeriodValue
from kpis.rollup import rollup_org
from tests.factories import GoalFactory

BERLIN = ZoneInfo("Europe/Berlin")


def values(org_id, kpi, granularity="day"):
    with tenant_context(org_id):
        return {
            pv.period_start.isoformat(): pv.value
            for pv in PeriodValue.objects.filter(kpi=kpi, granularity=granularity)
        }


def period(org_id, kpi, granularity, start):
    with tenant_context(org_id):
        return PeriodValue.objects.get(kpi=kpi, granularity=granularity, period_start=start)


def roll(org, **kwargs):
    with tenant_context(org.pk):
        return rollup_org(org.pk, now=timezone.now(), **kwargs)


def days_ago(n, hour=12):
    at = timezone.now().astimezone(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return at - timedelta(days=n)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("sum", D(60)), ("mean", D(20)), ("min", D(10)), ("max", D(30)), ("weighted_mean", D(20))],
)
def test_it_aggregates_a_kpis_measurements_into_its_days_by_its_rule(
    cast, make_kpi, measure, rule, expected
):
    kpi = make_kpi(aggregation=rule)
    day = datetime(2026, 11, 3, tzinfo=UTC)
    measure(kpi, (day.replace(hour=8), 10), (day.replace(hour=12), 20), (day.replace(hour=16), 30))
    roll(cast.org, tz=ZoneInfo("UTC"))
    pv = period(cast.org.pk, kpi, "day", day.date())
    assert pv.value == expected
    assert pv.source == "rollup"
    assert pv.explanation == {"rule": rule, "points": 3}


def test_a_daily_kpi_also_has_weekly_and_monthly_values_and_a_weekly_one_no_days(
    cast, make_kpi, measure
):
    daily = make_kpi("Daily", cadence="daily")
    weekly = make_kpi("Weekly", cadence="weekly")
    monday, sunday = datetime(2026, 11, 2, 9, tzinfo=UTC), datetime(2026, 11, 8, 9, tzinfo=UTC)
    for kpi in (daily, weekly):
        measure(kpi, (monday, 1), (sunday, 2), (datetime(2026, 10, 30, 9, tzinfo=UTC), 4))
    roll(cast.org, tz=ZoneInfo("UTC"))
    assert values(cast.org.pk, daily, "week") == {"2026-11-02": D(3), "2026-10-26": D(4)}
    assert values(cast.org.pk, daily, "month") == {"2026-11-01": D(3), "2026-10-01": D(4)}
    assert len(values(cast.org.pk, daily, "day")) == 3
    assert values(cast.org.pk, weekly, "day") == {}
    assert values(cast.org.pk, weekly, "week") == {"2026-11-02": D(3), "2026-10-26": D(4)}


def test_periods_are_the_organisations_local_days(cast, make_kpi, measure):
    """23:30 in Berlin on 3 Nov is 22:30 UTC: it belongs to Berlin's 3 Nov, and 00:30
    Berlin on 1 Nov (23:30 UTC on 31 Oct) to November."""
    kpi = make_kpi()
    measure(
        kpi,
        (datetime(2026, 11, 3, 23, 30, tzinfo=BERLIN), 5),
        (datetime(2026, 11, 4, 0, 30, tzinfo=BERLIN), 7),
        (datetime(2026, 11, 1, 0, 30, tzinfo=BERLIN), 11),
    )
    roll(cast.org, tz=BERLIN)
    assert values(cast.org.pk, kpi, "day") == {
        "2026-11-03": D(5),
        "2026-11-04": D(7),
        "2026-11-01": D(11),
    }
    assert values(cast.org.pk, kpi, "month") == {"2026-11-01": D(23)}


def test_children_roll_up_into_parents_at_two_depths_with_explanations(cast, make_kpi, measure):
    company = make_kpi("Company score", aggregation="weighted_mean")
    dept = make_kpi("Engineering incidents", aggregation="sum", parent=company)
    worst = make_kpi("Slowest response", aggregation="max", parent=company, weight=D(3))
    team_a = make_kpi("Team A incidents", parent=dept)
    team_b = make_kpi("Team B incidents", parent=dept)
    fast = make_kpi("Fast API", aggregation="mean", parent=worst)
    slow = make_kpi("Slow API", aggregation="mean", parent=worst)
    day = datetime(2026, 11, 3, 10, tzinfo=UTC)
    measure(team_a, (day, 2), (day.replace(hour=11), 3))
    measure(team_b, (day, 4))
    measure(fast, (day, 100), (day.replace(hour=11), 200))
    measure(slow, (day, 900))
    counts = roll(cast.org, tz=ZoneInfo("UTC"))

    dept_pv = period(cast.org.pk, dept, "day", day.date())
    assert dept_pv.value == D(9)
    assert dept_pv.explanation == {
        "rule": "sum",
        "children": [
            {"id": team_a.pk, "name": "Team A incidents", "value": "5", "weight": "1"},
            {"id": team_b.pk, "name": "Team B incidents", "value": "4", "weight": "1"},
        ],
    }
    assert period(cast.org.pk, worst, "day", day.date()).value == D(900)
    # Depth two: (1 × 9 + 3 × 900) ÷ 4.
    top = period(cast.org.pk, company, "day", day.date())
    assert top.value == D("677.2500")
    assert [c["name"] for c in top.explanation["children"]] == [
        "Engineering incidents",
        "Slowest response",
    ]
    assert top.explanation["rule"] == "weighted_mean"
    assert period(cast.org.pk, company, "month", day.date().replace(day=1)).value == D("677.2500")
    assert counts["rolled_up"] == 9  # three parents × day, week, month
    with tenant_context(cast.org.pk):
        company.refresh_from_db()
        team_a.refresh_from_db()
    assert company.latest_value == D("677.2500")
    assert team_a.latest_value == D(3)


def test_it_leaves_the_other_organisation_alone(cast, make_kpi, measure):
    kpi = make_kpi()
    measure(kpi, (days_ago(1), 5))
    with tenant_context(cast.other_org.pk):
        rollup_org(cast.other_org.pk, now=timezone.now())
    assert values(cast.org.pk, kpi) == {}


def run(org, at=None):
    return run_job("kpi_rollup", org.pk, trigger="manual", now=at)


def test_an_incremental_run_picks_up_a_new_measurement_and_a_correction(cast, make_kpi, measure):
    parent = make_kpi("All incidents")
    kpi = make_kpi("Incidents", parent=parent)
    other = make_kpi("Quiet", parent=parent)
    first = measure(kpi, (days_ago(3), 5), (days_ago(2), 6))[0]
    measure(other, (days_ago(3), 1))
    now = timezone.now()
    assert run(cast.org, now).status == "ran"

    measure(kpi, (days_ago(2, hour=15), 4))
    with tenant_context(cast.org.pk):
        Measurement.objects.filter(pk=first.pk).update(is_current=False)
        Measurement.objects.create(
            org=cast.org, kpi=kpi, value=D(50), measured_at=first.measured_at, replaces=first
        )
    outcome = run(cast.org, now + timedelta(hours=1))
    assert outcome.status == "ran"
    day3, day2 = days_ago(3).date().isoformat(), days_ago(2).date().isoformat()
    assert values(cast.org.pk, kpi)[day3] == D(50)
    assert values(cast.org.pk, kpi)[day2] == D(10)
    assert values(cast.org.pk, parent)[day3] == D(51)
    # Only the two touched days (and their weeks and months) were written.
    assert outcome.counts["period_values"] <= 6
    assert outcome.counts["period_values"] >= 2


def latest(org, kpi):
    with tenant_context(org.pk):
        kpi.refresh_from_db()
    return kpi.latest_value, kpi.latest_at


def test_an_incremental_run_keeps_the_latest_value_of_a_leaf(cast, make_kpi, measure):
    kpi = make_kpi()
    newest = measure(kpi, (days_ago(3), 5), (days_ago(1), 6))[1]
    # Runs in hours past: each sees the rows created since the one before.
    now = timezone.now() - timedelta(hours=5)
    run(cast.org, now)
    assert latest(cast.org, kpi) == (D(6), newest.measured_at)
    # A late value for an older day leaves the latest alone.
    measure(kpi, (days_ago(10), 99))
    run(cast.org, now + timedelta(hours=1))
    assert latest(cast.org, kpi) == (D(6), newest.measured_at)
    # A correction of the newest value replaces it.
    with tenant_context(cast.org.pk):
        Measurement.objects.filter(pk=newest.pk).update(is_current=False)
        Measurement.objects.create(
            org=cast.org, kpi=kpi, value=D(60), measured_at=newest.measured_at, replaces=newest
        )
    run(cast.org, now + timedelta(hours=2))
    assert latest(cast.org, kpi) == (D(60), newest.measured_at)
    # A newer value takes over.
    measure(kpi, (days_ago(0, hour=0), 7))
    run(cast.org, now + timedelta(hours=3))
    assert latest(cast.org, kpi)[0] == D(7)


def test_running_twice_changes_nothing_the_second_time(cast, make_kpi, measure):
    kpi = make_kpi()
    measure(kpi, (days_ago(1), 5))
    goal = GoalFactory(owner=cast.admin, status=GoalStatus.APPROVED, key_results=1)
    with tenant_context(cast.org.pk):
        KeyResult.objects.filter(goal=goal).update(kpi=kpi)
    now = timezone.now()
    first = run(cast.org, now)
    assert first.counts["key_results_moved"] == 1
    again = run(cast.org, now)
    assert again.counts == {
        "period_values": 0,
        "rolled_up": 0,
        "key_results_moved": 0,
        "goals_repaired": 0,
        "forecasts_changed": 0,
    }
    later = run(cast.org, now + timedelta(hours=1))
    assert later.counts == again.counts
    with tenant_context(cast.org.pk):
        assert CheckIn.objects.filter(goal=goal).count() == 1


def test_a_key_result_follows_its_kpi_with_a_check_in_made_by_the_kpi(cast, make_kpi, measure):
    kpi = make_kpi("Weekly active teams", aggregation="max")
    goal = GoalFactory(
        owner=cast.admin,
        status=GoalStatus.APPROVED,
        key_results=[{"title": "Grow teams", "start_value": D(0), "target_value": D(200)}],
    )
    draft = GoalFactory(owner=cast.admin, status=GoalStatus.DRAFT, key_results=1)
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(goal=goal)
        KeyResult.objects.filter(pk=kr.pk).update(kpi=kpi)
        KeyResult.objects.filter(goal=draft).update(kpi=kpi)
    measure(kpi, (days_ago(2), 40), (days_ago(1, hour=9), 30), (days_ago(1, hour=10), 50))

    outcome = run(cast.org)
    assert outcome.counts["key_results_moved"] == 1
    with tenant_context(cast.org.pk):
        kr.refresh_from_db()
        goal.refresh_from_db()
        checkin = CheckIn.objects.get(key_result=kr)
        event = GoalEvent.objects.filter(goal=goal, kind=EventKind.CHECKED_IN).get()
        draft_kr = KeyResult.objects.get(goal=draft)
    assert kr.current_value == D(50)  # yesterday's max
    assert kr.progress == pytest.approx(0.25)
    assert goal.progress == pytest.approx(0.25)
    assert goal.last_checkin_at is not None
    assert checkin.kpi_id == kpi.pk and checkin.author is None
    assert checkin.note == "Recorded by KPI “Weekly active teams”"
    assert event.actor is None and event.after["value"] == "50"
    assert draft_kr.current_value == D(0)  # a draft's key result does not follow yet


def test_the_job_repairs_corrupted_goal_and_key_result_progress(cast):
    parent = GoalFactory(owner=cast.admin, status=GoalStatus.APPROVED, key_results=0)
    child = GoalFactory(
        owner=cast.admin,
        parent=parent,
        status=GoalStatus.APPROVED,
        key_results=[{"title": "Half", "start_value": D(0), "target_value": D(10)}],
    )
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(goal=child)
        KeyResult.objects.filter(pk=kr.pk).update(current_value=D(5), progress=0.5)
        Goal.objects.filter(pk__in=[parent.pk, child.pk]).update(progress=0.5)
        # Corrupt both stored numbers.
        KeyResult.objects.filter(pk=kr.pk).update(progress=0.9)
        Goal.objects.filter(pk__in=[parent.pk, child.pk]).update(progress=0.01)
    outcome = run_job("kpi_rollup", cast.org.pk, trigger="manual")
    assert outcome.status == "ran"
    assert outcome.counts["goals_repaired"] == 2
    with tenant_context(cast.org.pk):
        assert KeyResult.objects.get(pk=kr.pk).progress == pytest.approx(0.5)
        assert Goal.objects.get(pk=parent.pk).progress == pytest.approx(0.5)
        assert Goal.objects.get(pk=child.pk).progress == pytest.approx(0.5)
        run_row = JobRun.objects.get(pk=outcome.run_id)
    assert run_row.outcome == JobRun.Outcome.SUCCESS
    assert run_row.counts["goals_repaired"] == 2


def test_the_roll_up_takes_a_constant_number_of_queries(
    cast, make_kpi, measure, django_assert_max_num_queries
):
    def build(n):
        parent = make_kpi(f"Parent {n}")
        for i in range(n):
            child = make_kpi(f"Child {n}-{i}", parent=parent)
            measure(child, *[(days_ago(d), d) for d in range(1, 6)])

    build(2)
    with django_assert_max_num_queries(30) as small:
        roll(cast.org)
    with tenant_context(cast.org.pk):
        PeriodValue.objects.all().delete()
        Kpi.objects.update(latest_value=None)
    build(12)
    with django_assert_max_num_queries(30) as large:
        roll(cast.org)
    assert len(large.captured_queries) <= len(small.captured_queries) + 2
